/**
 * Keyboard wiring: every shortcut comes from the editor's action table (src/editor/keymap.ts); Space is held
 * for panning. Keys typed into text fields are left alone.
 */
import { useEffect } from 'react';
import { dispatchKey, type UiHooks } from '../../editor/keymap';
import { editor } from '../editorInstance';

/** True while Space is held (pan mode). Read by the canvas; not React state. */
export const spaceHeld = { current: false };

function isTextField(el: EventTarget | null): boolean {
  if (!(el instanceof HTMLElement)) return false;
  if (el.isContentEditable) return true;
  if (el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') return true;
  if (el.tagName === 'INPUT') {
    const t = (el as HTMLInputElement).type;
    return !['range', 'checkbox', 'radio', 'button', 'submit', 'color', 'file'].includes(t);
  }
  return false;
}

export function useEditorKeys(ui: UiHooks, onSpaceChange: () => void): void {
  useEffect(() => {
    const down = (e: KeyboardEvent) => {
      if (isTextField(e.target) || e.defaultPrevented) return;
      // A modal dialog (help) keeps its keys, Escape included.
      if (e.target instanceof Element && e.target.closest('dialog')) return;
      if (document.querySelector('dialog[open]')) return;
      if (e.key === ' ' || e.code === 'Space') {
        if (!(e.target instanceof HTMLButtonElement)) e.preventDefault();
        if (!spaceHeld.current) {
          spaceHeld.current = true;
          onSpaceChange();
        }
        return;
      }
      // Buttons keep Enter for themselves.
      if (e.key === 'Enter' && e.target instanceof HTMLButtonElement) return;
      const a = dispatchKey(e, { editor, ui });
      if (a) e.preventDefault();
    };
    const up = (e: KeyboardEvent) => {
      if ((e.key === ' ' || e.code === 'Space') && spaceHeld.current) {
        spaceHeld.current = false;
        onSpaceChange();
      }
    };
    const blur = () => {
      if (spaceHeld.current) {
        spaceHeld.current = false;
        onSpaceChange();
      }
    };
    window.addEventListener('keydown', down);
    window.addEventListener('keyup', up);
    window.addEventListener('blur', blur);
    return () => {
      window.removeEventListener('keydown', down);
      window.removeEventListener('keyup', up);
      window.removeEventListener('blur', blur);
    };
  }, [ui, onSpaceChange]);
}
