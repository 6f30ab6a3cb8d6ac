/**
 * UI commands shared by buttons, shortcuts, drag-and-drop and paste. Each reports failures through the
 * messages store (role="alert") and leaves the document unchanged on failure.
 */
import { useSyncExternalStore } from 'react';
import { encodeTrimapPng } from '../core/trimap/png';
import { Autosaver, SessionDb } from '../editor/autosave';
import type { UiHooks } from '../editor/keymap';
import { FolderSession } from '../editor/folder';
import { generateSample, SAMPLES, type SampleId } from '../editor/samples';
import { editor } from './editorInstance';
import {
  baseName,
  decodeImageBlob,
  decodeMaskBlob,
  decodeTrimapBlob,
  downloadBytes,
  IMAGE_ACCEPT,
  pickFile,
  pickFiles,
  readFileBytes,
  UserFacingError,
  type PickedFile,
} from './imageIO';
import { useMessages } from './messages';
import { useUi } from './stores';
import { registerTestHook, type FileActionsHook, type SessionHook } from './testHook';

/** A failed command's error as the editor's message: an input error's own words, anything else in context. */
function reportError(e: unknown, context: string): void {
  useMessages.getState().report(e, 'editor', { context });
}

async function busy<T>(label: string, f: () => Promise<T>): Promise<T> {
  useMessages.getState().setStatus(label);
  try {
    return await f();
  } finally {
    useMessages.getState().setStatus(null);
  }
}

// ---- file actions -----------------------------------------------------------------------------------------
//
// Opening and importing files is asynchronous (reading, decoding). File actions run one after another, in
// the order they were asked for, so that each applies to the document the previous one left: an import
// chosen while a big photo is still opening lands on that photo, and two opens end with the later one.
// A sample or "New" (immediate) chosen while a file action waits or runs wins: that action is dropped.

let queue: Promise<unknown> = Promise.resolve();
/** Increments on every immediate document choice (sample, New). */
let documentChoice = 0;

const fileActions: FileActionsHook = {
  started: 0,
  finished: 0,
  last: null,
  idle: () => queue.then(() => undefined),
};

/** Runs `f` after every file action asked for before it; the status bar says what is under way. */
function fileAction(label: string, f: (stillWanted: () => boolean) => Promise<boolean>): Promise<boolean> {
  fileActions.started++;
  const choice = documentChoice;
  const stillWanted = () => choice === documentChoice;
  const run = queue.then(async () => {
    let ok = false;
    useMessages.getState().setStatus(label);
    try {
      ok = stillWanted() && (await f(stillWanted));
    } finally {
      fileActions.finished++;
      fileActions.last = { label, ok };
      if (fileActions.finished === fileActions.started) useMessages.getState().setStatus(null);
    }
    return ok;
  });
  queue = run.catch(() => undefined);
  return run;
}

export function openImageFile(file: Blob, name = (file as File).name || 'pasted image.png'): Promise<boolean> {
  return fileAction(`Opening ${name}…`, async (stillWanted) => {
    try {
      const image = await decodeImageBlob(file, name);
      if (!stillWanted()) return false;
      await leaveFolder();
      if (!stillWanted()) return false;
      editor.loadImage(image, name);
      useMessages.getState().clear('editor');
      return true;
    } catch (e) {
      reportError(e, `Could not open "${name}"`);
      return false;
    }
  });
}

export async function openImageDialog(): Promise<void> {
  const f = await pickFile(IMAGE_ACCEPT);
  if (f) await openImageFile(f);
}

export async function openSample(id: SampleId): Promise<void> {
  documentChoice++;
  const info = SAMPLES.find((s) => s.id === id);
  await leaveFolder();
  editor.loadImage(generateSample(id), `${info?.label ?? id}.png`);
  useMessages.getState().clear('editor');
}

export function importTrimapFile(file: Blob, name = (file as File).name || 'trimap.png'): Promise<boolean> {
  return fileAction(`Importing ${name}…`, async (stillWanted) => {
    try {
      if (!editor.hasDocument()) throw new UserFacingError('Open an image before importing a trimap.');
      const t = await decodeTrimapBlob(file, name, editor.getTrimap()!);
      if (!stillWanted()) return false;
      editor.importTrimap(t);
      useMessages.getState().clear('editor');
      return true;
    } catch (e) {
      reportError(e, `Could not import "${name}" as a trimap`);
      return false;
    }
  });
}

export function importMaskFile(file: Blob, name = (file as File).name || 'mask.png'): Promise<boolean> {
  return fileAction(`Importing ${name}…`, async (stillWanted) => {
    try {
      if (!editor.hasDocument()) throw new UserFacingError('Open an image before importing a mask.');
      const m = await decodeMaskBlob(file, name, editor.getTrimap()!);
      if (!stillWanted()) return false;
      editor.importMask(m);
      useMessages.getState().clear('editor');
      return true;
    } catch (e) {
      reportError(e, `Could not import "${name}" as a mask`);
      return false;
    }
  });
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

const saveOpts = {
  delayMs: 500,
  onError: (e: unknown) => useMessages.getState().error(`Autosave failed: ${e instanceof Error ? e.message : String(e)}`),
};

// ---- autosave ---------------------------------------------------------------------------------------------

let autosaver: Autosaver | null = null;
let starting: Promise<void> | null = null;
let markRestored: () => void = () => {};
const sessionLookedUp = new Promise<void>((resolve) => (markRestored = resolve));
const session: SessionHook = { restored: () => sessionLookedUp, flush: () => flushSession(), folder: () => folder };
registerTestHook({ files: fileActions, session });

export function getAutosaver(): Autosaver | null {
  return autosaver;
}

/** Restores the previous session (if any) and starts autosaving. Safe to call more than once. */
export function startAutosave(): Promise<void> {
  starting ??= startAutosaveOnce();
  return starting;
}

async function startAutosaveOnce(): Promise<void> {
  try {
    await restoreAndAutosave();
  } finally {
    useUi.getState().set({ restored: true });
    markRestored();
  }
}

async function restoreAndAutosave(): Promise<void> {
  if (typeof indexedDB === 'undefined') return;
  autosaver = new Autosaver(editor, new SessionDb(indexedDB), saveOpts);
  try {
    if (folder && !editor.hasDocument() && (await folder.restore(() => !editor.hasDocument()))) {
      addFlushListeners();
      return; // the single-image autosaver starts when the folder is left
    }
  } catch (e) {
    useMessages.getState().error(`Could not restore the folder session: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    let restored = false;
    if (!editor.hasDocument()) restored = await autosaver.restore(() => !editor.hasDocument());
    // something opened while the session was being looked up: save it
    if (!restored && editor.hasDocument()) autosaver.touch();
  } catch (e) {
    useMessages.getState().error(`Could not restore the previous session: ${e instanceof Error ? e.message : String(e)}`);
  }
  autosaver.start();
  addFlushListeners();
}

/** Saves whatever is open now (a single image or the folder's current one). */
function flushSession(): Promise<void> {
  return (folder?.active ? folder.flush() : autosaver?.flush()) ?? Promise.resolve();
}

function addFlushListeners(): void {
  const flushSoon = () => void flushSession();
  window.addEventListener('pagehide', flushSoon);
  document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && flushSoon());
}

/** "New": closes the document and forgets the saved session. */
export async function newDocument(): Promise<void> {
  documentChoice++;
  await leaveFolder();
  editor.clearDocument();
  useMessages.getState().clear('editor');
}

// ---- folder sessions ---------------------------------------------------------------------------------------

/** The page's folder session (null without IndexedDB); restored by startAutosave. */
const folder: FolderSession | null =
  typeof indexedDB === 'undefined'
    ? null
    : new FolderSession(editor, indexedDB, (bytes, name, type) => decodeImageBlob(new Blob([bytes as BlobPart], { type }), name), saveOpts);

export function getFolder(): FolderSession | null {
  return folder;
}

const subscribeFolder = (cb: () => void) => (folder ? folder.subscribe(cb) : () => {});

/** React: re-renders on folder changes; returns the page's folder session (null without IndexedDB). */
export function useFolder(): FolderSession | null {
  useSyncExternalStore(subscribeFolder, () => folder?.revision ?? -1);
  return folder;
}

/** Leaves a folder session (its labels stay saved) and hands saving back to the single-image autosaver. */
async function leaveFolder(): Promise<void> {
  if (!folder?.active) return;
  await folder.leave();
  autosaver?.start();
}

/** Opens the images of a folder (or of a multi-file pick / drop) as a folder session (a file action). */
export function openFolderFiles(name: string, picked: PickedFile[]): Promise<boolean> {
  return fileAction(`Opening ${picked.length} images of ${name}…`, async (stillWanted) => {
    try {
      await startAutosave();
      if (!folder) throw new UserFacingError('Folder sessions need IndexedDB, which this browser does not offer here.');
      if (!picked.length) throw new UserFacingError(`"${name}" has no PNG, JPEG, WebP or BMP images.`);
      const f = folder;
      const files = await Promise.all(picked.map(async (p) => ({ name: p.path, type: p.file.type, bytes: await readFileBytes(p.file) })));
      if (!stillWanted()) return false;
      // the single-image autosaver must not save the folder's images
      await autosaver?.flush();
      autosaver?.stop();
      try {
        await f.open(name, files);
      } catch (e) {
        if (!f.active) autosaver?.start();
        throw e;
      }
      useMessages.getState().clear('editor');
      return true;
    } catch (e) {
      reportError(e, `Could not open the folder "${name}"`);
      return false;
    }
  });
}

export async function openFolderDialog(directory = true): Promise<void> {
  const picked = await pickFiles(IMAGE_ACCEPT, directory);
  if (picked) await openFolderFiles(picked.folder, picked.files);
}

async function folderStep(f: (s: FolderSession) => Promise<void>): Promise<void> {
  if (!folder?.active) return;
  try {
    await f(folder);
  } catch (e) {
    reportError(e, 'Could not open that image');
  }
}

export function showFolderImage(index: number): Promise<void> {
  return folderStep((s) => s.show(index));
}

export async function exportFolderMasks(): Promise<void> {
  if (!folder?.active) {
    useMessages.getState().error('Export masks works on a folder: open a folder first.');
    return;
  }
  const f = folder;
  try {
    const out = await busy('Exporting masks…', () => f.exportMasks());
    downloadBytes(out.bytes, out.filename, 'application/zip');
    useMessages.getState().notice(`Exported ${out.masks} mask${out.masks === 1 ? '' : 's'} of ${f.items.length} images.`);
  } catch (e) {
    reportError(e, 'Could not export the masks');
  }
}

// ---- the action table's UI side ----------------------------------------------------------------------------

/**
 * Runs a long editor command after the busy label has had a frame to show; errors become a message.
 */
function busyCommand(label: string, f: () => void): void {
  useMessages.getState().setStatus(label);
  requestAnimationFrame(() =>
    setTimeout(() => {
      try {
        f();
      } catch (e) {
        reportError(e, 'The command failed');
      } finally {
        useMessages.getState().setStatus(null);
      }
    }, 0),
  );
}

/** The hooks that the action table (src/editor/keymap.ts) calls for UI work; extended by the folder session. */
export const uiHooks: UiHooks = {
  openImage: () => void openImageDialog(),
  importTrimap: () => void importTrimapDialog(),
  importMask: () => void importMaskDialog(),
  exportTrimap: () => exportTrimap(),
  toggleHelp: () => useUi.getState().setHelpOpen(!useUi.getState().helpOpen),
  newDocument: () => void newDocument(),
  notify: (kind, text) => (kind === 'error' ? useMessages.getState().error(text) : useMessages.getState().notice(text)),
  busy: busyCommand,
  openFolder: () => void openFolderDialog(true),
  openImages: () => void openFolderDialog(false),
  nextImage: () => void folderStep((s) => s.next()),
  previousImage: () => void folderStep((s) => s.previous()),
  exportMasks: () => void exportFolderMasks(),
  folderActive: () => !!folder?.active,
};
