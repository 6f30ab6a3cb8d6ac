import { useEffect } from 'react';
import type { GenerationController } from './controller';
import { useResults } from './stores';

function isFormField(el: Element | null): boolean {
  if (!el) return false;
  const tag = el.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || tag === 'BUTTON' || (el as HTMLElement).isContentEditable;
}

/** Ctrl/Cmd+Enter generates; holding Tab (outside form fields, with a result shown) shows the original. */
export function useGenerateKeys(g: GenerationController) {
  useEffect(() => {
    const down = (e: KeyboardEvent) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        void g.generate();
        return;
      }
      if (e.key === 'Tab' && !e.shiftKey && !isFormField(document.activeElement) && useResults.getState().selectedId !== null) {
        e.preventDefault();
        if (!useResults.getState().showOriginal) useResults.setState({ showOriginal: true });
      }
    };
    const up = (e: KeyboardEvent) => {
      if (e.key === 'Tab' && useResults.getState().showOriginal) useResults.setState({ showOriginal: false });
    };
    const blur = () => useResults.getState().showOriginal && useResults.setState({ showOriginal: false });
    window.addEventListener('keydown', down);
    window.addEventListener('keyup', up);
    window.addEventListener('blur', blur);
    return () => {
      window.removeEventListener('keydown', down);
      window.removeEventListener('keyup', up);
      window.removeEventListener('blur', blur);
    };
  }, [g]);
}
