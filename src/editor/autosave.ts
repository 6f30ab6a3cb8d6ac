/**
 * Autosave of the editor session to IndexedDB: image, trimap and both history stacks (so the undo position
 * survives a reload). Writes are debounced and incremental: the image only when a new one was opened, and
 * only history steps not saved yet (dropped ones are deleted). Tests run it on fake-indexeddb.
 */
import type { RGBAImage, Trimap } from '../core/image';
import type { Editor, SessionState } from './Editor';
import type { HistoryStep } from './history';
import type { ToolSettings } from './tools';
import { done, req } from './idb';

interface StoredUi {
  settings: ToolSettings;
  view: { zoom: number; x: number; y: number };
}

const DB_VERSION = 1;
const KV = 'kv';
const STEPS = 'steps';

interface StoredImage {
  name: string;
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

interface StoredState {
  width: number;
  height: number;
  trimap: Uint8Array;
  undoIds: number[];
  redoIds: number[];
}

export class SessionDb {
  private dbp: Promise<IDBDatabase> | null = null;

  constructor(
    private readonly factory: IDBFactory,
    readonly name = 'defect-studio-session',
  ) {}

  private db(): Promise<IDBDatabase> {
    if (!this.dbp) {
      this.dbp = new Promise((resolve, reject) => {
        const open = this.factory.open(this.name, DB_VERSION);
        open.onupgradeneeded = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains(KV)) db.createObjectStore(KV);
          if (!db.objectStoreNames.contains(STEPS)) db.createObjectStore(STEPS, { keyPath: 'id' });
        };
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
    }
    return this.dbp;
  }

  async write(p: {
    image?: StoredImage;
    state?: StoredState;
    ui?: StoredUi;
    putSteps: HistoryStep[];
    deleteStepIds: number[];
  }): Promise<void> {
    const db = await this.db();
    const tx = db.transaction([KV, STEPS], 'readwrite');
    const kv = tx.objectStore(KV);
    const steps = tx.objectStore(STEPS);
    if (p.image) kv.put(p.image, 'image');
    if (p.state) kv.put(p.state, 'state');
    if (p.ui) kv.put(p.ui, 'ui');
    for (const s of p.putSteps) steps.put(s);
    for (const id of p.deleteStepIds) steps.delete(id);
    await done(tx);
  }

  async read(): Promise<SessionState | null> {
    const db = await this.db();
    const tx = db.transaction([KV, STEPS], 'readonly');
    const kv = tx.objectStore(KV);
    const image = (await req(kv.get('image'))) as StoredImage | undefined;
    const state = (await req(kv.get('state'))) as StoredState | undefined;
    const ui = (await req(kv.get('ui'))) as StoredUi | undefined;
    if (!image || !state || image.width !== state.width || image.height !== state.height) return null;
    const steps = tx.objectStore(STEPS);
    const load = async (ids: number[]) => {
      const out: HistoryStep[] = [];
      for (const id of ids) {
        const s = (await req(steps.get(id))) as HistoryStep | undefined;
        if (!s) return null;
        out.push(s);
      }
      return out;
    };
    const undo = await load(state.undoIds);
    const redo = await load(state.redoIds);
    const img: RGBAImage = { width: image.width, height: image.height, data: image.data };
    const trimap: Trimap = { width: state.width, height: state.height, data: state.trimap };
    // A missing step (should not happen: one transaction writes them) drops the history, never the painting.
    return {
      image: img,
      imageName: image.name,
      trimap,
      undo: undo && redo ? undo : [],
      redo: undo && redo ? redo : [],
      settings: ui?.settings,
      view: ui?.view,
    };
  }

  /** Only the saved trimap (not the image or the history), or null when none is saved. */
  async readTrimap(): Promise<Trimap | null> {
    const db = await this.db();
    const tx = db.transaction(KV, 'readonly');
    const state = (await req(tx.objectStore(KV).get('state'))) as StoredState | undefined;
    return state ? { width: state.width, height: state.height, data: state.trimap } : null;
  }

  async clear(): Promise<void> {
    const db = await this.db();
    const tx = db.transaction([KV, STEPS], 'readwrite');
    tx.objectStore(KV).clear();
    tx.objectStore(STEPS).clear();
    await done(tx);
  }

  async allStepIds(): Promise<number[]> {
    const db = await this.db();
    const tx = db.transaction(STEPS, 'readonly');
    return (await req(tx.objectStore(STEPS).getAllKeys())) as number[];
  }

  close(): void {
    void this.dbp?.then((db) => db.close());
    this.dbp = null;
  }
}

export interface AutosaveOptions {
  delayMs?: number;
  onError?: (e: unknown) => void;
}

/** Watches an editor and saves its session (debounced). `flush()` saves now. */
export class Autosaver {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private savedImageRevision = -1;
  private savedStepIds = new Set<number>();
  private dirty = false;
  /** Only settings or the view changed: a small write. */
  private dirtyUi = false;
  private chain: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | null = null;
  private readonly delayMs: number;
  /** Number of completed writes (for tests and e2e). */
  saves = 0;

  constructor(
    private readonly editor: Editor,
    readonly db: SessionDb,
    private readonly opts: AutosaveOptions = {},
  ) {
    this.delayMs = opts.delayMs ?? 400;
  }

  /**
   * Restores the saved session into the editor, if any (and if `shouldApply()` still agrees once it has been
   * read; `preloaded`: what the caller already read from this saver's db). Returns true when one was restored.
   */
  async restore(shouldApply: () => boolean = () => true, preloaded?: SessionState | null): Promise<boolean> {
    const s = preloaded !== undefined ? preloaded : await this.db.read();
    // The user may have opened something while the session was being read: theirs wins.
    if (!s || !shouldApply()) return false;
    this.editor.restoreSession(s);
    this.savedImageRevision = this.editor.imageRevision;
    this.savedStepIds = new Set([...s.undo, ...s.redo].map((x) => x.id));
    this.dirty = false;
    return true;
  }

  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.editor.subscribe((c) => {
      if (c.type === 'document' || c.type === 'trimap' || c.type === 'history') this.schedule();
      else if (c.type === 'settings' || c.type === 'view') this.schedule(true);
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Marks the whole session as changed (e.g. a document opened before autosave started). */
  touch(): void {
    this.schedule();
  }

  private schedule(uiOnly = false): void {
    if (uiOnly) this.dirtyUi = true;
    else this.dirty = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush().catch((e) => this.opts.onError?.(e));
    }, this.delayMs);
  }

  /** True while changes are waiting to be written. */
  get pending(): boolean {
    return this.dirty || this.dirtyUi;
  }

  /** Writes pending changes now (serialised with any write in progress). */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.chain = this.chain.then(() => this.writeNow()).catch((e) => {
      this.opts.onError?.(e);
    });
    return this.chain;
  }

  private uiRecord(): StoredUi {
    const vp = this.editor.getViewport();
    return { settings: { ...this.editor.getSettings() }, view: { zoom: vp.zoom, x: vp.x, y: vp.y } };
  }

  private async writeNow(): Promise<void> {
    const ed = this.editor;
    if (!this.dirty) {
      if (this.dirtyUi && ed.hasDocument()) {
        this.dirtyUi = false;
        await this.db.write({ ui: this.uiRecord(), putSteps: [], deleteStepIds: [] });
      }
      return;
    }
    this.dirty = false;
    this.dirtyUi = false;
    const image = ed.getImage();
    const trimap = ed.getTrimap();
    if (!image || !trimap) {
      await this.db.clear();
      this.savedImageRevision = ed.imageRevision;
      this.savedStepIds.clear();
      this.saves++;
      return;
    }
    const snap = ed.history.snapshot();
    const live = [...snap.undo, ...snap.redo];
    const liveIds = new Set(live.map((s) => s.id));
    const newImage = this.savedImageRevision !== ed.imageRevision;
    const putSteps = newImage ? live : live.filter((s) => !this.savedStepIds.has(s.id));
    const deleteStepIds = newImage ? await this.db.allStepIds() : [...this.savedStepIds].filter((id) => !liveIds.has(id));
    const imageRevision = ed.imageRevision;
    await this.db.write({
      image: newImage ? { name: ed.getImageName(), width: image.width, height: image.height, data: image.data } : undefined,
      state: {
        width: trimap.width,
        height: trimap.height,
        trimap: trimap.data.slice(),
        undoIds: snap.undo.map((s) => s.id),
        redoIds: snap.redo.map((s) => s.id),
      },
      ui: this.uiRecord(),
      putSteps,
      deleteStepIds: deleteStepIds.filter((id) => !liveIds.has(id)),
    });
    this.savedImageRevision = imageRevision;
    this.savedStepIds = liveIds;
    this.saves++;
  }
}
