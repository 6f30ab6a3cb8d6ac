/**
 * The storage under the pack store (packStore.ts): folders of named blobs. `OpfsStoreBackend` is the
 * browser's origin-private file system; `MemoryStoreBackend` is the same contract in memory (unit tests in
 * Node; a quota can be set to test the quota path).
 */

/** Appends to one blob; `close` commits what was written (also after an interrupted download). */
export interface StoreWriter {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export interface StoreBackend {
  /** 'opfs' or 'memory'. */
  readonly kind: string;
  /** The folder names. */
  dirs(): Promise<string[]>;
  /** The blobs of a folder with their sizes (empty when the folder does not exist). */
  files(dir: string): Promise<Map<string, number>>;
  /** One blob (null when missing). The bytes are read lazily: a File in the browser. */
  read(dir: string, name: string): Promise<Blob | null>;
  /** A writer that starts at `offset`: the blob is created when missing and cut to `offset` first. */
  writer(dir: string, name: string, offset: number): Promise<StoreWriter>;
  remove(dir: string, name: string): Promise<void>;
  removeDir(dir: string): Promise<void>;
  /** Bytes used and the quota for this origin (navigator.storage.estimate), null when unknown. */
  estimate(): Promise<{ usage: number; quota: number } | null>;
}

/** A writer's failure because the storage is full (the platform's QuotaExceededError). */
export function isQuotaError(e: unknown): boolean {
  return (e as Error)?.name === 'QuotaExceededError';
}

function notFound(e: unknown): boolean {
  const n = (e as Error)?.name;
  return n === 'NotFoundError' || n === 'TypeMismatchError';
}

type Entries = AsyncIterable<[string, FileSystemHandle]>;

/**
 * The origin-private file system under one folder (`defect-studio-packs`). In a Worker, blobs are written
 * through `FileSystemSyncAccessHandle` (in place, flushed every 64 MiB, so an interrupted download keeps
 * what arrived even if the tab dies); elsewhere through `createWritable` (committed on close).
 */
export class OpfsStoreBackend implements StoreBackend {
  readonly kind = 'opfs';
  constructor(private readonly root: FileSystemDirectoryHandle) {}

  /** The store's folder, or null where the browser has no OPFS (old browsers, some private modes). */
  static async open(folder = 'defect-studio-packs'): Promise<OpfsStoreBackend | null> {
    try {
      if (typeof navigator === 'undefined' || !navigator.storage?.getDirectory) return null;
      const top = await navigator.storage.getDirectory();
      return new OpfsStoreBackend(await top.getDirectoryHandle(folder, { create: true }));
    } catch {
      return null;
    }
  }

  private async dir(name: string, create: boolean): Promise<FileSystemDirectoryHandle | null> {
    try {
      return await this.root.getDirectoryHandle(name, { create });
    } catch (e) {
      if (notFound(e)) return null;
      throw e;
    }
  }

  private async file(dir: string, name: string): Promise<FileSystemFileHandle | null> {
    const d = await this.dir(dir, false);
    if (!d) return null;
    try {
      return await d.getFileHandle(name);
    } catch (e) {
      if (notFound(e)) return null;
      throw e;
    }
  }

  async dirs(): Promise<string[]> {
    const out: string[] = [];
    for await (const [name, h] of (this.root as unknown as { entries(): Entries }).entries()) if (h.kind === 'directory') out.push(name);
    return out;
  }

  async files(dir: string): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const d = await this.dir(dir, false);
    if (!d) return out;
    for await (const [name, h] of (d as unknown as { entries(): Entries }).entries()) {
      if (h.kind === 'file') out.set(name, (await (h as FileSystemFileHandle).getFile()).size);
    }
    return out;
  }

  async read(dir: string, name: string): Promise<Blob | null> {
    const fh = await this.file(dir, name);
    return fh ? fh.getFile() : null;
  }

  async writer(dir: string, name: string, offset: number): Promise<StoreWriter> {
    const d = (await this.dir(dir, true))!;
    const fh = await d.getFileHandle(name, { create: true });
    // Sync access handles exist in dedicated Workers only.
    const sync = (fh as { createSyncAccessHandle?: () => Promise<FileSystemSyncAccessHandle> }).createSyncAccessHandle;
    if (typeof sync === 'function') {
      const h = await sync.call(fh);
      try {
        h.truncate(offset);
      } catch (e) {
        h.close();
        throw e;
      }
      let at = offset;
      let unflushed = 0;
      return {
        async write(chunk) {
          let n = 0;
          while (n < chunk.length) n += h.write(chunk.subarray(n), { at: at + n });
          at += chunk.length;
          unflushed += chunk.length;
          if (unflushed >= 64 * 1024 * 1024) {
            h.flush();
            unflushed = 0;
          }
        },
        async close() {
          try {
            h.flush();
          } finally {
            h.close();
          }
        },
      };
    }
    const w = await fh.createWritable({ keepExistingData: true });
    await w.truncate(offset);
    await w.seek(offset);
    return {
      write: (chunk) => w.write(chunk as Uint8Array<ArrayBuffer>),
      close: () => w.close(),
    };
  }

  async remove(dir: string, name: string): Promise<void> {
    const d = await this.dir(dir, false);
    try {
      await d?.removeEntry(name);
    } catch (e) {
      if (!notFound(e)) throw e;
    }
  }

  async removeDir(dir: string): Promise<void> {
    try {
      await this.root.removeEntry(dir, { recursive: true });
    } catch (e) {
      if (!notFound(e)) throw e;
    }
  }

  async estimate(): Promise<{ usage: number; quota: number } | null> {
    try {
      const e = await navigator.storage.estimate();
      return e.quota !== undefined ? { usage: e.usage ?? 0, quota: e.quota } : null;
    } catch {
      return null;
    }
  }
}

/** The same contract in memory. `quota` (bytes) makes writes past it fail like a full disk. */
export class MemoryStoreBackend implements StoreBackend {
  readonly kind = 'memory';
  readonly data = new Map<string, Map<string, Uint8Array>>();
  constructor(public quota: number | null = null) {}

  private used(): number {
    let n = 0;
    for (const d of this.data.values()) for (const b of d.values()) n += b.length;
    return n;
  }

  async dirs(): Promise<string[]> {
    return [...this.data.keys()];
  }

  async files(dir: string): Promise<Map<string, number>> {
    return new Map([...(this.data.get(dir) ?? new Map<string, Uint8Array>())].map(([k, v]) => [k, v.length]));
  }

  async read(dir: string, name: string): Promise<Blob | null> {
    const b = this.data.get(dir)?.get(name);
    return b ? new Blob([b as Uint8Array<ArrayBuffer>]) : null;
  }

  async writer(dir: string, name: string, offset: number): Promise<StoreWriter> {
    if (!this.data.has(dir)) this.data.set(dir, new Map());
    const d = this.data.get(dir)!;
    const kept = (d.get(name) ?? new Uint8Array(0)).slice(0, offset);
    d.set(name, kept);
    const chunks: Uint8Array[] = [kept];
    let size = kept.length;
    const commit = () => {
      const all = new Uint8Array(size);
      let o = 0;
      for (const c of chunks) {
        all.set(c, o);
        o += c.length;
      }
      d.set(name, all);
    };
    return {
      write: async (chunk) => {
        if (this.quota !== null && this.used() - (d.get(name)?.length ?? 0) + size + chunk.length > this.quota) {
          throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        }
        chunks.push(chunk.slice());
        size += chunk.length;
      },
      close: async () => commit(),
    };
  }

  async remove(dir: string, name: string): Promise<void> {
    this.data.get(dir)?.delete(name);
  }

  async removeDir(dir: string): Promise<void> {
    this.data.delete(dir);
  }

  async estimate(): Promise<{ usage: number; quota: number } | null> {
    return this.quota === null ? null : { usage: this.used(), quota: this.quota };
  }
}
