/**
 * The seam between the editor and the rest of the UI: one headless Editor per page, plus React hooks that
 * re-render on its changes. Pixel buffers stay in the editor (never in React state): read them with
 * `editor.getImage()` / `editor.getTrimap()` when a revision changes.
 *
 *   import { editor, useEditorRevision, useViewport } from '../editorInstance';
 *   const rev = useEditorRevision();          // re-render when image or trimap change
 *   const img = editor.getImage();            // RGBAImage | null (full resolution)
 *   const tri = editor.getTrimap();           // Trimap | null (class ids 0/1/2, same size)
 *   const vp = useViewport();                 // {zoom, x, y, viewWidth, viewHeight}: screen = image*zoom + (x, y)
 */
import { useSyncExternalStore } from 'react';
import { Editor, type EditorChange } from '../editor/Editor';
import type { Viewport } from '../editor/viewport';
import type { ToolSettings } from '../editor/tools';
import { registerTestHook } from './testHook';

export { generateSample, SAMPLES, SAMPLE_SIZE, type SampleId, type SampleInfo } from '../editor/samples';
export type { EditorChange } from '../editor/Editor';
export { Editor };

/** The page's editor (a singleton). */
export const editor = new Editor();

registerTestHook({ editor });

function subscribeTo(types: EditorChange['type'][]) {
  return (onChange: () => void) =>
    editor.subscribe((c) => {
      if (types.includes(c.type)) onChange();
    });
}

const subDoc = subscribeTo(['document', 'trimap']);
const subDocument = subscribeTo(['document']);
const subView = subscribeTo(['view', 'document']);
const subSettings = subscribeTo(['settings']);
const subHistory = subscribeTo(['history', 'document']);

/** Re-renders when the image or any trimap pixel changes; returns `editor.revision`. */
export function useEditorRevision(): number {
  return useSyncExternalStore(subDoc, () => editor.revision);
}

/** Re-renders only when a new image is opened (or closed); returns `editor.imageRevision`. */
export function useImageRevision(): number {
  return useSyncExternalStore(subDocument, () => editor.imageRevision);
}

export function useViewport(): Readonly<Viewport> {
  return useSyncExternalStore(subView, () => editor.getViewport());
}

export function useToolSettings(): Readonly<ToolSettings> {
  return useSyncExternalStore(subSettings, () => editor.getSettings());
}

/** [canUndo, canRedo] */
export function useHistoryState(): { canUndo: boolean; canRedo: boolean; undoCount: number; redoCount: number } {
  const key = useSyncExternalStore(subHistory, () => `${editor.history.undoCount}/${editor.history.redoCount}`);
  const [u, r] = key.split('/').map(Number);
  return { canUndo: u > 0, canRedo: r > 0, undoCount: u, redoCount: r };
}
