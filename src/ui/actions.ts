/**
 * UI commands shared by buttons, shortcuts, drag-and-drop and paste. Each reports failures through the
 * messages store (role="alert") and leaves the document unchanged on failure.
 */
import { decodeMaskPng, decodeTrimapPng, encodeTrimapPng } from '../core/trimap/png';
import { Autosaver, SessionDb } from '../editor/autosave';
import { EditorError } from '../editor/Editor';
import { performAction, type UiHooks } from '../editor/keymap';
import { generateSample, SAMPLES, type SampleId } from '../editor/samples';
import { editor } from './editorInstance';
import { baseName, decodeImageBlob, downloadBytes, IMAGE_ACCEPT, pickFile, readFileBytes, UserFacingError } from './imageIO';
import { useMessages, useUi } from './stores';

function reportError(e: unknown, fallback: string): void {
  const text = e instanceof UserFacingError || e instanceof EditorError ? e.message : `${fallback} (${e instanceof Error ? e.message : String(e)})`;
  useMessages.getState().error(text);
}

async function busy<T>(label: string, f: () => Promise<T>): Promise<T> {
  useUi.getState().set({ busy: label });
  try {
    return await f();
  } finally {
    useUi.getState().set({ busy: null });
  }
}

export async function openImageFile(file: Blob, name = (file as File).name || 'pasted image.png'): Promise<boolean> {
  try {
    const image = await busy(`Opening ${name}…`, () => decodeImageBlob(file, name));
    editor.loadImage(image, name);
    useMessages.getState().clear();
    return true;
  } catch (e) {
    reportError(e, `Could not open "${name}"`);
    return false;
  }
}

export async function openImageDialog(): Promise<void> {
  const f = await pickFile(IMAGE_ACCEPT);
  if (f) await openImageFile(f);
}

export function openSample(id: SampleId): void {
  const info = SAMPLES.find((s) => s.id === id);
  editor.loadImage(generateSample(id), `${info?.label ?? id}.png`);
  useMessages.getState().clear();
}

export async function importTrimapFile(file: Blob, name = (file as File).name || 'trimap.png'): Promise<boolean> {
  try {
    if (!editor.hasDocument()) throw new UserFacingError('Open an image before importing a trimap.');
    const t = decodeTrimapPng(await readFileBytes(file));
    editor.importTrimap(t);
    useMessages.getState().clear();
    return true;
  } catch (e) {
    reportError(e, `Could not import "${name}" as a trimap`);
    return false;
  }
}

export async function importMaskFile(file: Blob, name = (file as File).name || 'mask.png'): Promise<boolean> {
  try {
    if (!editor.hasDocument()) throw new UserFacingError('Open an image before importing a mask.');
    const m = decodeMaskPng(await readFileBytes(file));
    editor.importMask(m);
    useMessages.getState().clear();
    return true;
  } catch (e) {
    reportError(e, `Could not import "${name}" as a mask`);
    return false;
  }
}

export async function importTrimapDialog(): Promise<void> {
  const f = await pickFile('image/png,.png');
  if (f) await importTrimapFile(f);
}

export async function importMaskDialog(): Promise<void> {
  const f = await pickFile('image/png,.png');
  if (f) await importMaskFile(f);
}

export function exportTrimap(): void {
  const t = editor.getTrimap();
  if (!t) {
    useMessages.getState().error('Nothing to export: open an image first.');
    return;
  }
  downloadBytes(encodeTrimapPng(t), `${baseName(editor.getImageName())}_trimap.png`, 'image/png');
}

// ---- autosave ---------------------------------------------------------------------------------------------

let autosaver: Autosaver | null = null;
let starting: Promise<void> | null = null;

export function getAutosaver(): Autosaver | null {
  return autosaver;
}

/** Restores the previous session (if any) and starts autosaving. Safe to call more than once. */
export function startAutosave(): Promise<void> {
  starting ??= startAutosaveOnce();
  return starting;
}

async function startAutosaveOnce(): Promise<void> {
  if (typeof indexedDB === 'undefined') {
    useUi.getState().set({ restored: true });
    return;
  }
  autosaver = new Autosaver(editor, new SessionDb(indexedDB), {
    delayMs: 500,
    onError: (e) => useMessages.getState().error(`Autosave failed: ${e instanceof Error ? e.message : String(e)}`),
  });
  if (window.__defectStudio) (window.__defectStudio as Record<string, unknown>).autosave = autosaver;
  try {
    let restored = false;
    if (!editor.hasDocument()) restored = await autosaver.restore(() => !editor.hasDocument());
    // something opened while the session was being looked up: save it
    if (!restored && editor.hasDocument()) autosaver.touch();
  } catch (e) {
    useMessages.getState().error(`Could not restore the previous session: ${e instanceof Error ? e.message : String(e)}`);
  }
  autosaver.start();
  const flushSoon = () => void autosaver?.flush();
  window.addEventListener('pagehide', flushSoon);
  document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && flushSoon());
  useUi.getState().set({ restored: true });
}

/** "New": closes the document and forgets the saved session. */
export function newDocument(): void {
  editor.clearDocument();
  useMessages.getState().clear();
}

// ---- the action table's UI side ----------------------------------------------------------------------------

/**
 * Runs a long editor command after the busy label has had a frame to show; errors become a message.
 */
function busyCommand(label: string, f: () => void): void {
  useUi.getState().set({ busy: label });
  requestAnimationFrame(() =>
    setTimeout(() => {
      try {
        f();
      } catch (e) {
        reportError(e, 'The command failed');
      } finally {
        useUi.getState().set({ busy: null });
      }
    }, 0),
  );
}

/** The hooks that the action table (src/editor/keymap.ts) calls for UI work; extended by the folder session. */
export const uiHooks: UiHooks = {
  openImage: () => void openImageDialog(),
  exportTrimap: () => exportTrimap(),
  toggleHelp: () => useUi.getState().setHelpOpen(!useUi.getState().helpOpen),
  newDocument: () => newDocument(),
  notify: (kind, text) => (kind === 'error' ? useMessages.getState().error(text) : useMessages.getState().info(text)),
  busy: busyCommand,
};

/** Runs an action of the table by id: toolbar buttons call this, so a button does what its key does. */
export function runAction(id: string): void {
  performAction(id, { editor, ui: uiHooks });
}
