// The models kept in this browser ("Add model"): the list with sizes and the storage estimate, which one
// is chosen, and adding or deleting one. A worker checks and stores packs (src/worker/addPack.ts and the
// pack store); this module only asks it and renders what it says. Errors and notices go to the one message
// channel (source `models`).
import type { PackOrigin } from '../../worker/addPack';
import { GenerationClient } from '../../worker/client';
import type { PickedFile } from '../imageIO';
import { useMessages } from '../messages';
import { BUILTIN_MODEL_ID } from '../generate/appController';
import type { GenerationController } from '../generate/controller';
import { useSettings } from '../generate/stores';
import { registerTestHook } from '../testHook';
import { CHOSEN_MODEL_KEY, useLibrary } from './store';
import { mb } from '../packProgress';

/**
 * The worker that checks and stores packs: its own, not the generation worker, so a pack's check (every
 * session created once) never waits for a run, and its WASM heap is given back when the add is over.
 */
let client: GenerationClient | null = null;
const libraryClient = () => (client ??= new GenerationClient());
function releaseClient() {
  client?.dispose();
  client = null;
}

let refreshes = 0;
/** Read the list and the storage estimate again. */
export async function refreshLibrary(): Promise<void> {
  const n = ++refreshes;
  try {
    const r = await libraryClient().packs();
    if (n === refreshes) useLibrary.setState({ packs: r.packs, storage: r.storage, listed: true });
  } catch (e) {
    if (n === refreshes) useLibrary.setState({ listed: true });
    useMessages.getState().report(e, 'models', { context: 'The stored models could not be listed' });
  }
}

/** Sizes in the model list: the one formatter of the pack progress line. */
export { mb };

/** Counters for tests: adds asked for and finished (refused or not), and the last outcome. */
const adds = { started: 0, finished: 0, last: null as null | { ok: boolean; id?: string; message?: string } };

/** The title of a refused pack in the message channel (the text is the loader's, as the CLI prints it). */
export const NOT_ADDED = 'The model was not added';

/** Check and keep a pack from a picked/dropped folder or a URL; true when it is kept. */
export async function addModel(origin: PackOrigin): Promise<boolean> {
  if (useLibrary.getState().adding) return false;
  adds.started++;
  const messages = useMessages.getState();
  messages.clear('models');
  useLibrary.setState({ adding: { step: 'checking', phase: 'read', file: '', fileLoadedBytes: 0, fileTotalBytes: 0, loadedBytes: 0, totalBytes: 0 } });
  try {
    const r = await libraryClient().addPack(origin, useSettings.getState().backend, [BUILTIN_MODEL_ID], ({ type: _type, id: _id, ...progress }) =>
      useLibrary.setState({ adding: progress }),
    );
    const p = r.added!;
    useLibrary.setState({ packs: r.packs, storage: r.storage, listed: true });
    messages.notice(
      r.already ? `"${p.name}" is already kept here (${mb(p.bytes)}).` : `Added "${p.name}" (${mb(p.bytes)}). Choose it in the list to generate with it.`,
      'models',
    );
    adds.last = { ok: true, id: p.id };
    return true;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    messages.error(message, 'models', NOT_ADDED);
    adds.last = { ok: false, message };
    return false;
  } finally {
    releaseClient(); // the check's sessions and heap go with the worker
    useLibrary.setState({ adding: null });
    adds.finished++;
    void refreshLibrary();
  }
}

/** The files of a picked folder as "Add model" takes them. */
export function folderOrigin(folder: string, files: PickedFile[]): PackOrigin {
  return { kind: 'folder', name: folder, files: files.map((f) => ({ path: f.path, file: f.file })) };
}

/** Drop `?model=` from the address (the choice in the list replaces it, and a reload keeps the choice). */
function forgetModelParam() {
  const url = new URL(location.href);
  if (!url.searchParams.has('model')) return;
  url.searchParams.delete('model');
  history.replaceState(history.state, '', url.href);
}

/** Use this kept pack ('' = the built-in model) for Generate, now and after a reload. */
export function chooseModel(generation: GenerationController, id: string): void {
  useLibrary.setState({ chosen: id });
  try {
    if (id) localStorage.setItem(CHOSEN_MODEL_KEY, id);
    else localStorage.removeItem(CHOSEN_MODEL_KEY);
  } catch {
    /* storage denied: the choice holds for this page */
  }
  forgetModelParam();
  if (!generation.running) void generation.ensureModel(true);
}

/** Delete a kept pack (never the built-in model); the built-in model is used again if it was chosen. */
export async function deleteModel(generation: GenerationController, id: string): Promise<void> {
  if (id === BUILTIN_MODEL_ID) return;
  try {
    const r = await libraryClient().packs(id);
    useLibrary.setState({ packs: r.packs, storage: r.storage, listed: true });
  } catch (e) {
    useMessages.getState().report(e, 'models', { context: 'The model could not be deleted' });
    return;
  }
  if (useLibrary.getState().chosen === id) chooseModel(generation, '');
}

registerTestHook({
  models: {
    adds,
    state: () => useLibrary.getState(),
  },
});
