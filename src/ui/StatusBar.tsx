/** Zoom, cursor position and class under the cursor, history depth. Re-renders at most once per frame. */
import { useEffect, useReducer } from 'react';
import { editor, useHistoryState, useViewport } from './editorInstance';
import { CLASS_LABELS } from './stores';
import type { TrimapClass } from '../core/image';

export function StatusBar() {
  const vp = useViewport();
  const h = useHistoryState();
  const [, tick] = useReducer((x: number) => x + 1, 0);
  useEffect(() => {
    let raf: number | null = null;
    const off = editor.subscribe((c) => {
      if ((c.type === 'preview' || c.type === 'trimap') && raf === null)
        raf = requestAnimationFrame(() => {
          raf = null;
          tick();
        });
    });
    return () => {
      off();
      if (raf !== null) cancelAnimationFrame(raf);
    };
  }, []);
  const c = editor.getCursor();
  const t = editor.getTrimap();
  let under = '';
  if (c && t) {
    const x = Math.floor(c.x);
    const y = Math.floor(c.y);
    if (x >= 0 && y >= 0 && x < t.width && y < t.height) under = `${x}, ${y} · ${CLASS_LABELS[t.data[y * t.width + x] as TrimapClass]}`;
  }
  const mb = editor.history.bytes / 1048576;
  return (
    <footer className="ds-status">
      <span>{Math.round(vp.zoom * 1000) / 10}%</span>
      <span>{under}</span>
      <span title="Undo steps / memory used by the history">
        History {h.undoCount}
        {h.redoCount ? ` (+${h.redoCount})` : ''} · {mb < 10 ? mb.toFixed(2) : mb.toFixed(0)} MB
      </span>
      <span className="ds-muted">Press ? for shortcuts</span>
    </footer>
  );
}
