/**
 * Folder sessions: a list of photos labelled one after the other. Each image keeps its own trimap and undo
 * history, saved by the ordinary Autosaver into its own SessionDb ("<prefix>-<folder id>-<index>"); the
 * folder itself (names, the original file bytes, which image is open, label status) lives in one more
 * IndexedDB database. Switching images flushes the current one and restores (or first decodes) the next.
 * A reload restores the folder and the open image exactly. No DOM: the UI passes an image decoder.
 */
import type { RGBAImage, Trimap } from '../core/image';
import { buildFolderLabelFiles, labelStatus, type LabelStatus } from '../core/export/folder';
import { zipFiles } from '../core/export/mvtec';
import { Autosaver, SessionDb, type AutosaveOptions } from './autosave';
import { EditorError, type Editor } from './Editor';
import { done, req } from './idb';

export interface FolderFile {
  name: string;
  type: string;
  bytes: Uint8Array;
}

export interface FolderItem {
  name: string;
  status: LabelStatus;
  defectPixels: number;
}

interface FolderMeta {
  id: string;
  name: string;
  items: FolderItem[];
  current: number;
  /** false once the user left the folder (opened a single image, or New). */
  active: boolean;
}

export type ImageDecoder = (bytes: Uint8Array, name: string, type: string) => Promise<RGBAImage>;

const META = 'meta';
const FILES = 'files';

/** The folder's own database: its description and the original file bytes. */
export class FolderDb {
  private dbp: Promise<IDBDatabase> | null = null;
  constructor(
    private readonly factory: IDBFactory,
    readonly name = 'defect-studio-folder',
  ) {}

  private db(): Promise<IDBDatabase> {
    this.dbp ??= new Promise((resolve, reject) => {
      const open = this.factory.open(this.name, 1);
      open.onupgradeneeded = () => {
        const db = open.result;
        if (!db.objectStoreNames.contains(META)) db.createObjectStore(META);
        if (!db.objectStoreNames.contains(FILES)) db.createObjectStore(FILES);
      };
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    return this.dbp;
  }

  async readMeta(): Promise<FolderMeta | null> {
    const db = await this.db();
    return ((await req(db.transaction(META, 'readonly').objectStore(META).get('folder'))) as FolderMeta | undefined) ?? null;
  }

  async writeMeta(meta: FolderMeta): Promise<void> {
    const db = await this.db();
    const tx = db.transaction(META, 'readwrite');
    tx.objectStore(META).put(meta, 'folder');
    await done(tx);
  }

  /** Replaces the whole folder (meta and files) in one transaction. */
  async replace(meta: FolderMeta, files: FolderFile[]): Promise<void> {
    const db = await this.db();
    const tx = db.transaction([META, FILES], 'readwrite');
    tx.objectStore(FILES).clear();
    files.forEach((f, i) => tx.objectStore(FILES).put(f, i));
    tx.objectStore(META).put(meta, 'folder');
    await done(tx);
  }

  async file(index: number): Promise<FolderFile | null> {
    const db = await this.db();
    return ((await req(db.transaction(FILES, 'readonly').objectStore(FILES).get(index))) as FolderFile | undefined) ?? null;
  }

  close(): void {
    void this.dbp?.then((db) => db.close());
    this.dbp = null;
  }
}

export interface FolderOptions extends AutosaveOptions {
  /** Prefix of the per-image session databases. */
  prefix?: string;
  /** Delay of the label-status update after an edit (ms). */
  statusDelayMs?: number;
}

export type FolderListener = () => void;

/** Natural order of names: "img2" before "img10". */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' });
}

export class FolderSession {
  private meta: FolderMeta | null = null;
  private saver: Autosaver | null = null;
  private slotDb: SessionDb | null = null;
  private readonly db: FolderDb;
  private readonly listeners = new Set<FolderListener>();
  private chain: Promise<unknown> = Promise.resolve();
  private statusTimer: ReturnType<typeof setTimeout> | null = null;
  private unsubscribe: (() => void) | null = null;
  /** Increments on every change of the folder, the open image or a status (for UI subscriptions). */
  revision = 0;

  constructor(
    private readonly editor: Editor,
    private readonly factory: IDBFactory,
    private readonly decode: ImageDecoder,
    private readonly opts: FolderOptions = {},
  ) {
    this.db = new FolderDb(factory, `${opts.prefix ?? 'defect-studio-folder'}`);
  }

  // ---- state ----------------------------------------------------------------------------------------------

  get active(): boolean {
    return !!this.meta?.active;
  }
  get name(): string {
    return this.meta?.name ?? '';
  }
  get items(): readonly FolderItem[] {
    return this.meta?.items ?? [];
  }
  get current(): number {
    return this.meta?.current ?? -1;
  }
  /** The autosaver of the open image (null outside a folder session). */
  get autosaver(): Autosaver | null {
    return this.saver;
  }

  subscribe(l: FolderListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private changed(): void {
    this.revision++;
    for (const l of [...this.listeners]) l();
  }

  private slotName(id: string, index: number): string {
    return `${this.opts.prefix ?? 'defect-studio-folder'}-${id}-${index}`;
  }

  /** Runs folder operations one at a time (a key held down queues its switches). */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const p = this.chain.then(f, f);
    this.chain = p.catch(() => undefined);
    return p;
  }

  // ---- opening, switching, leaving ------------------------------------------------------------------------

  /**
   * Opens a folder: the images (sorted by name) replace any previous folder (whose saved labels are deleted)
   * and the first one is shown. Throws EditorError, changing nothing, when there is no image.
   */
  open(name: string, files: FolderFile[]): Promise<void> {
    return this.serial(async () => {
      if (!files.length) throw new EditorError(`"${name}" has no PNG, JPEG, WebP or BMP images.`);
      const sorted = [...files].sort((a, b) => naturalCompare(a.name, b.name));
      // decode the first image before anything is replaced: a broken file leaves everything as it was
      const first = await this.decode(sorted[0].bytes, sorted[0].name, sorted[0].type);
      await this.detach();
      const old = this.meta ?? (await this.db.readMeta());
      const meta: FolderMeta = {
        id: `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`,
        name,
        items: sorted.map((f) => ({ name: f.name, status: 'unlabelled', defectPixels: 0 })),
        current: 0,
        active: true,
      };
      await this.db.replace(meta, sorted);
      this.meta = meta;
      if (old) await this.deleteSlots(old);
      await this.attach(0, first);
      this.changed();
    });
  }

  /** Restores the saved folder session, if one is active (and `shouldApply()` still agrees). Returns whether it did. */
  restore(shouldApply: () => boolean = () => true): Promise<boolean> {
    return this.serial(async () => {
      const meta = await this.db.readMeta();
      if (!meta || !meta.active || !meta.items.length || !shouldApply()) return false;
      this.meta = meta;
      await this.attach(Math.min(Math.max(0, meta.current), meta.items.length - 1));
      this.changed();
      return true;
    });
  }

  /** Shows image `index` (its own trimap and history). Out of range: nothing happens. */
  show(index: number): Promise<void> {
    return this.serial(async () => {
      const meta = this.meta;
      if (!meta?.active || index < 0 || index >= meta.items.length || index === meta.current) return;
      const slot = new SessionDb(this.factory, this.slotName(meta.id, index));
      const saved = await slot.read();
      let image: RGBAImage | undefined;
      if (!saved) {
        const f = await this.db.file(index);
        if (!f) throw new EditorError(`The folder's copy of "${meta.items[index].name}" is missing; open the folder again.`);
        image = await this.decode(f.bytes, f.name, f.type);
      }
      await this.detach();
      await this.attach(index, image, slot, saved);
      this.changed();
    });
  }

  next(): Promise<void> {
    return this.show(this.current + 1);
  }

  previous(): Promise<void> {
    return this.show(this.current - 1);
  }

  /** Leaves the folder (its labels stay saved until another folder is opened). */
  leave(): Promise<void> {
    return this.serial(async () => {
      if (!this.meta?.active) return;
      await this.detach();
      this.meta.active = false;
      await this.db.writeMeta(this.meta);
      this.changed();
    });
  }

  /** Saves the open image and the folder description now. */
  flush(): Promise<void> {
    return this.serial(async () => {
      if (!this.meta?.active) return;
      this.updateStatus();
      await this.saver?.flush();
      await this.db.writeMeta(this.meta);
    });
  }

  private async attach(index: number, image?: RGBAImage, slot?: SessionDb, saved?: Awaited<ReturnType<SessionDb['read']>>): Promise<void> {
    const meta = this.meta!;
    meta.current = index;
    this.slotDb = slot ?? new SessionDb(this.factory, this.slotName(meta.id, index));
    this.saver = new Autosaver(this.editor, this.slotDb, this.opts);
    const restored = image ? false : await this.saver.restore(() => true, saved);
    if (!restored) {
      if (!image) {
        const f = await this.db.file(index);
        if (!f) throw new EditorError(`The folder's copy of "${meta.items[index].name}" is missing; open the folder again.`);
        image = await this.decode(f.bytes, f.name, f.type);
      }
      this.editor.loadImage(image, meta.items[index].name);
      this.saver.touch();
    }
    this.saver.start();
    this.unsubscribe = this.editor.subscribe((c) => {
      if (c.type === 'history' || c.type === 'document') this.scheduleStatus();
    });
    await this.db.writeMeta(meta);
  }

  private async detach(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.statusTimer) clearTimeout(this.statusTimer);
    this.statusTimer = null;
    if (!this.saver) return;
    this.updateStatus();
    await this.saver.flush();
    this.saver.stop();
    this.saver = null;
    this.slotDb?.close();
    this.slotDb = null;
    if (this.meta) await this.db.writeMeta(this.meta);
  }

  private async deleteSlots(meta: FolderMeta): Promise<void> {
    await Promise.all(
      meta.items.map(
        (_, i) =>
          new Promise<void>((resolve) => {
            const r = this.factory.deleteDatabase(this.slotName(meta.id, i));
            r.onsuccess = r.onerror = r.onblocked = () => resolve();
          }),
      ),
    );
  }

  // ---- label status ---------------------------------------------------------------------------------------

  private scheduleStatus(): void {
    if (this.statusTimer) clearTimeout(this.statusTimer);
    this.statusTimer = setTimeout(() => {
      this.statusTimer = null;
      if (this.updateStatus() && this.meta) void this.db.writeMeta(this.meta).catch((e) => this.opts.onError?.(e));
    }, this.opts.statusDelayMs ?? 300);
  }

  /** Recomputes the open image's status from the editor; returns whether it changed. */
  private updateStatus(): boolean {
    const meta = this.meta;
    if (!meta?.active || meta.current < 0 || this.editor.getImageName() !== meta.items[meta.current].name) return false;
    const item = meta.items[meta.current];
    const { status, defectPixels } = labelStatus(this.editor.getTrimap());
    if (status === item.status && defectPixels === item.defectPixels) return false;
    meta.items[meta.current] = { ...item, status, defectPixels };
    this.changed();
    return true;
  }

  // ---- export ---------------------------------------------------------------------------------------------

  /**
   * "Export masks": the whole folder's labels as a zip (see core/export/folder), read image by image from
   * the saved sessions (the open one from the editor).
   */
  exportMasks(): Promise<{ bytes: Uint8Array; filename: string; masks: number }> {
    return this.serial(async () => {
      const meta = this.meta;
      if (!meta?.active) throw new EditorError('Open a folder first.');
      this.updateStatus();
      await this.saver?.flush();
      const files = await buildFolderLabelFiles(
        meta.name,
        meta.items.map((it) => it.name),
        async (i): Promise<Trimap | null> => {
          if (i === meta.current) return this.editor.getTrimap();
          const db = new SessionDb(this.factory, this.slotName(meta.id, i));
          try {
            return await db.readTrimap();
          } finally {
            db.close();
          }
        },
      );
      const masks = [...files.keys()].filter((k) => k.endsWith('_mask.png')).length;
      return { bytes: zipFiles(files), filename: `${meta.name || 'folder'}_masks.zip`, masks };
    });
  }
}
