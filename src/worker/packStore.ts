/**
 * The browser's model pack store: packs downloaded once, kept in the origin-private file system (OPFS),
 * and handed to the core's loader as a pack source. The store knows nothing of the pack format beyond the
 * core loader's `readPackManifest` (one parser) and the manifest's per-file size and sha256.
 *
 * ## API (stable: the "Add model" dialog is built on it)
 * ```ts
 * const store = await openPackStore();            // null where the browser has no OPFS
 * await store.list();                              // StoredPack[]: id, name, bytes, storedBytes, complete, source
 * await store.put(source, { onProgress, signal }); // download (or copy) a pack from any PackSource
 * const src = await store.get(id);                 // a PackSource for loadPack, or null
 * await store.delete(id);
 * await store.usage();                             // { usage, quota, packBytes } or null
 * await store.ensure(new FetchPackSource(url));    // the worker's load: the stored copy, downloading what is missing
 * ```
 * `put` takes any `PackSource`: `FetchPackSource` (a URL), `FilesPackSource` (a local folder picked in the
 * page), `MemoryPackSource`. Errors: a `PackError` (code 'pack') for a broken pack, with the same message
 * the CLI prints for the same pack; a `DefectStudioError` with code 'storage' when the quota is too small
 * ("this pack needs N MB; the browser allows M MB more here", decided before any byte is downloaded);
 * AbortError when `signal` aborts.
 *
 * ## Layout and guarantees
 * One OPFS folder per pack id; inside it, each file of the pack is a blob named by its sha256 (so a new
 * version of a pack downloads only the files that changed), `pack.json` (where it came from) and, written
 * last, `defect-studio.json`: a pack is complete, listed as such and loadable only once every file has been
 * downloaded and checked.
 * - Streaming: every file streams from the source into its blob, hashed WHILE it streams (incremental
 *   SHA-256 of the core); no file is gathered in memory for the download.
 * - Resume: an interrupted download (network error, short body, closed tab) keeps its bytes; the next `put`
 *   re-hashes what is there and asks the source for the rest (HTTP Range), within the same `put` too (three
 *   tries without progress before it gives up).
 * - Integrity: a file whose size or sha256 is not the manifest's is refused and the whole pack folder is
 *   removed: nothing of a broken pack stays stored. The loader checks sha256 again on every load (storage
 *   can rot); a stored copy that fails then is removed by the worker and downloaded again.
 * - One writer per pack id, across tabs and workers: `put` and `delete` hold the Web Lock
 *   `defect-studio-pack:<id>` exclusively (navigator.locks, in windows and workers of the origin); `get` and
 *   `ensure`'s look at the stored copy hold it shared, so they wait while another tab writes that pack and
 *   see either no pack or the complete, checked one. Two tabs loading the same pack: one downloads, the
 *   other waits and then finds it stored. A `delete` during another tab's download waits for it to end and
 *   then removes the pack. Where `navigator.locks` is absent (Node tests, old browsers) there is no lock
 *   between contexts; calls on one PackStore are still queued per pack id.
 */
import { DefectStudioError, abortReason } from '../core/errors';
import { PackError } from '../core/models/errors';
import { canonicalPackPath, MANIFEST_FILE, parseManifest } from '../core/models/manifest';
import { readPackManifest } from '../core/models/pack';
import type { PackManifest } from '../core/models/manifest-types';
import {
  MissingFileError,
  NO_SUCH_FILE,
  fileReadError,
  readCapped,
  sha256Error,
  sizeError,
  type ByteStream,
  type PackProgress,
  type PackSource,
  type ReadLimits,
} from '../core/models/pack-source';
import { Sha256, sha256Hex } from '../core/models/sha256';
import { isQuotaError, OpfsStoreBackend, type StoreBackend } from './storeBackend';

/** One pack in the store. */
export interface StoredPack {
  /** The manifest's `id` (one stored copy per id: a new version replaces the old one). */
  id: string;
  name: string;
  /** Bytes of all the pack's files, as the manifest declares them. */
  bytes: number;
  /** Bytes stored now (less than `bytes` while a download is unfinished). */
  storedBytes: number;
  /** Every file downloaded and checked: `get` returns it. */
  complete: boolean;
  /** Where it came from (a URL, or the name of a local folder). */
  source: string;
  /** sha256 of its defect-studio.json (pins every file). */
  manifestSha256: string;
}

export interface PutOptions {
  onProgress?: (p: PackProgress) => void;
  signal?: AbortSignal;
  /** Called with the manifest before any file is downloaded; throw to refuse (e.g. assertFitsWasm). */
  beforeDownload?: (manifest: PackManifest) => void;
  /** The manifest, when the caller has already read it from this source. */
  manifest?: ManifestRead;
}

const RECORD = 'pack.json';

/** The part of the Web Locks API (`navigator.locks`) the store uses; unit tests pass a double. */
export interface PackLockManager {
  request<T>(name: string, options: { mode: 'exclusive' | 'shared' }, fn: () => Promise<T>): Promise<T>;
}

/** The Web Lock name of a pack id, shared by every tab and worker of the origin. */
export function packLockName(id: string): string {
  return `defect-studio-pack:${id}`;
}

/** navigator.locks where the platform has it (Chromium windows and workers), else null: no lock between contexts. */
function platformLocks(): PackLockManager | null {
  const locks = (globalThis as { navigator?: { locks?: unknown } }).navigator?.locks;
  return locks && typeof (locks as PackLockManager).request === 'function' ? (locks as PackLockManager) : null;
}

/** A manifest as `readPackManifest` gives it: parsed, its sha256, its text. */
export type ManifestRead = Awaited<ReturnType<typeof readPackManifest>>;
/** Tries in a row without a single new byte before a download gives up. */
const MAX_STALLED_TRIES = 3;

/** The folder of a pack id (OPFS names cannot hold '/', and '.'/'..' are not names). */
function dirOf(id: string): string {
  return `pack-${encodeURIComponent(id).replace(/\./g, '%2E')}`;
}

function mb(bytes: number, round: (x: number) => number): string {
  return round(bytes / 1e6).toLocaleString('en-US');
}

/** The message when the storage cannot hold what a pack still needs. */
export function quotaMessage(needBytes: number, availableBytes: number): string {
  return (
    `Not enough browser storage: this pack needs ${mb(needBytes, Math.ceil)} MB; the browser allows ` +
    `${mb(Math.max(0, availableBytes), Math.floor)} MB more here. Delete a stored model or free disk space, then try again.`
  );
}

/** A stored, complete pack as a source for the core's loader. */
export class StoredPackSource implements PackSource {
  readonly location: string;
  constructor(
    private readonly backend: StoreBackend,
    private readonly dir: string,
    readonly manifest: PackManifest,
    private readonly manifestText: string,
    readonly manifestSha256: string,
  ) {
    this.location = `browser storage: ${manifest.id}`;
  }

  private async blob(relPath: string): Promise<Blob> {
    const c = canonicalPackPath(relPath);
    const entry = c === null ? undefined : this.manifest.files[c];
    const blob = entry ? await this.backend.read(this.dir, entry.sha256) : null;
    if (!blob) throw new MissingFileError(relPath, NO_SUCH_FILE);
    return blob;
  }

  async readFile(relPath: string, limits?: ReadLimits): Promise<Uint8Array> {
    if (relPath === MANIFEST_FILE) {
      const b = new TextEncoder().encode(this.manifestText);
      const err = sizeError(relPath, b.length, limits);
      if (err) throw err;
      return b;
    }
    const blob = await this.blob(relPath);
    const err = sizeError(relPath, blob.size, limits);
    if (err) throw err;
    // One buffer of the stored size, filled chunk by chunk (with byte progress).
    return readCapped(blob.stream(), relPath, { ...limits, bytes: blob.size });
  }

  async readText(relPath: string, limits?: ReadLimits): Promise<string> {
    return new TextDecoder().decode(await this.readFile(relPath, limits));
  }

  async exists(relPath: string): Promise<boolean> {
    if (relPath === MANIFEST_FILE) return true;
    return this.blob(relPath).then(
      () => true,
      () => false,
    );
  }

  async openStream(relPath: string, offset: number): Promise<ByteStream> {
    const blob = await this.blob(relPath);
    if (offset > blob.size) throw new RangeError(`${relPath}: offset past the end`);
    return { stream: blob.slice(offset).stream(), offset, length: blob.size - offset };
  }
}

export class PackStore {
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly locks: PackLockManager | null;

  /** `locks`: the lock manager between tabs; default navigator.locks (null: none, see the module comment). */
  constructor(
    readonly backend: StoreBackend,
    locks: PackLockManager | null = platformLocks(),
  ) {
    this.locks = locks;
  }

  /** Runs `fn` after every earlier put/delete of the same pack on this store (one context). */
  private serial<T>(dir: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(dir) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.queues.set(dir, tail);
    void tail.then(() => this.queues.get(dir) === tail && this.queues.delete(dir));
    return next;
  }

  /** `fn` as the only writer of pack `id`: queued here, and holding its Web Lock exclusively (other tabs wait). */
  private exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const locks = this.locks;
    return this.serial(dirOf(id), locks ? () => locks.request(packLockName(id), { mode: 'exclusive' }, fn) : fn);
  }

  /** `fn` while no tab writes pack `id` (Web Lock shared: waits for a writer, runs alongside other readers). */
  private shared<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.locks ? this.locks.request(packLockName(id), { mode: 'shared' }, fn) : fn();
  }

  /** Every pack in the store, complete or not (an unfinished download can be resumed with `put`). */
  async list(): Promise<StoredPack[]> {
    const out: StoredPack[] = [];
    for (const dir of await this.backend.dirs()) {
      if (!dir.startsWith('pack-')) continue;
      const info = await this.info(dir);
      if (info) out.push(info);
    }
    return out.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  private async info(dir: string): Promise<StoredPack | null> {
    const rec = await this.backend.read(dir, RECORD);
    if (!rec) return null;
    let r: Omit<StoredPack, 'storedBytes' | 'complete'>;
    try {
      r = JSON.parse(await rec.text());
    } catch {
      return null;
    }
    const files = await this.backend.files(dir);
    let storedBytes = 0;
    for (const [name, size] of files) if (/^[0-9a-f]{64}$/.test(name)) storedBytes += size;
    return { id: r.id, name: r.name, bytes: r.bytes, source: r.source, manifestSha256: r.manifestSha256, storedBytes, complete: files.has(MANIFEST_FILE) };
  }

  /** A complete stored pack as a PackSource (for `loadPack`), or null. */
  get(id: string): Promise<StoredPackSource | null> {
    return this.shared(id, () => this.getUnlocked(id));
  }

  private async getUnlocked(id: string): Promise<StoredPackSource | null> {
    const dir = dirOf(id);
    const blob = await this.backend.read(dir, MANIFEST_FILE);
    if (!blob) return null;
    const text = await blob.text();
    return new StoredPackSource(this.backend, dir, parseManifest(text), text, await sha256Hex(new TextEncoder().encode(text)));
  }

  /** Removes a pack (complete or not) and every byte of it. */
  delete(id: string): Promise<void> {
    const dir = dirOf(id);
    return this.exclusive(id, () => this.backend.removeDir(dir));
  }

  /** The origin's storage use and quota (all of the origin's storage), and the bytes of the stored packs. */
  async usage(): Promise<{ usage: number; quota: number; packBytes: number } | null> {
    const est = await this.backend.estimate();
    if (!est) return null;
    const packBytes = (await this.list()).reduce((a, p) => a + p.storedBytes, 0);
    return { ...est, packBytes };
  }

  /**
   * Download (or copy) the pack of `source` into the store, resuming what an earlier put left. Resolves
   * when every file is stored and checked; see the module comment for errors.
   */
  async put(source: PackSource, opts: PutOptions = {}): Promise<StoredPack> {
    const read = opts.manifest ?? (await readPackManifest(source));
    return (await this.store(source, read, opts, false)).pack;
  }

  /**
   * `put` under the pack's exclusive lock. `ifChanged`: when the stored copy is already complete with this
   * manifest (another tab stored it while this one waited for the lock), nothing is downloaded. Returns the
   * stored copy as a source too, read before the lock is let go (a delete cannot slip in between).
   */
  private store(source: PackSource, read: ManifestRead, opts: PutOptions, ifChanged: boolean): Promise<{ pack: StoredPack; stored: StoredPackSource; downloaded: boolean }> {
    const dir = dirOf(read.manifest.id);
    return this.exclusive(read.manifest.id, async () => {
      if (ifChanged) {
        const have = await this.getUnlocked(read.manifest.id);
        const info = have && have.manifestSha256 === read.sha256 ? await this.info(dir) : null;
        if (have && info) {
          opts.beforeDownload?.(have.manifest);
          return { pack: info, stored: have, downloaded: false };
        }
      }
      let pack: StoredPack;
      try {
        pack = await this.putLocked(source, read, dir, opts);
      } catch (e) {
        // A broken pack leaves nothing behind; an interruption (abort, network, full disk) keeps its bytes.
        if (e instanceof PackError) await this.backend.removeDir(dir).catch(() => undefined);
        throw e;
      }
      const stored = await this.getUnlocked(read.manifest.id);
      if (!stored) throw new PackError('the stored pack disappeared while it was stored', { file: MANIFEST_FILE });
      return { pack, stored, downloaded: true };
    });
  }

  /**
   * The stored copy of the pack at `source`: reads the source's manifest, and downloads what is missing
   * unless the stored copy has the same manifest. When the source cannot be reached (offline), the complete
   * stored pack that came from the same location is used. `downloaded` says whether any file was fetched.
   */
  async ensure(source: PackSource, opts: Omit<PutOptions, 'manifest'> = {}): Promise<{ source: StoredPackSource; downloaded: boolean }> {
    let read: ManifestRead;
    try {
      read = await readPackManifest(source);
    } catch (e) {
      const unreachable = e instanceof PackError && e.file === MANIFEST_FILE && e.cause instanceof MissingFileError;
      const hit = unreachable ? (await this.list()).find((p) => p.complete && p.source === source.location) : undefined;
      const stored = hit ? await this.get(hit.id) : null;
      if (!stored) throw e;
      opts.beforeDownload?.(stored.manifest);
      return { source: stored, downloaded: false };
    }
    const have = await this.get(read.manifest.id);
    if (have && have.manifestSha256 === read.sha256) {
      opts.beforeDownload?.(have.manifest);
      return { source: have, downloaded: false };
    }
    // Another tab may be storing the same pack: `store` waits for its lock and then downloads only if needed.
    const r = await this.store(source, read, opts, true);
    return { source: r.stored, downloaded: r.downloaded };
  }

  private async putLocked(source: PackSource, read: ManifestRead, dir: string, opts: PutOptions): Promise<StoredPack> {
    const { manifest } = read;
    opts.beforeDownload?.(manifest);
    opts.signal?.throwIfAborted();
    const have = await this.backend.files(dir);
    const wanted = new Map<string, number>();
    for (const f of Object.values(manifest.files)) wanted.set(f.sha256, f.bytes);
    // Not complete any more until this put finishes; blobs of an older version that this one does not use go.
    await this.backend.remove(dir, MANIFEST_FILE);
    for (const name of have.keys()) {
      if (name !== RECORD && name !== MANIFEST_FILE && !wanted.has(name)) await this.backend.remove(dir, name);
    }
    const totalBytes = [...Object.values(manifest.files)].reduce((a, f) => a + f.bytes, 0);
    let present = 0;
    for (const [sha, bytes] of wanted) present += Math.min(have.get(sha) ?? 0, bytes);
    await this.checkQuota([...wanted.values()].reduce((a, b) => a + b, 0) - present);

    const record = { id: manifest.id, name: manifest.name, bytes: totalBytes, source: source.location, manifestSha256: read.sha256 };
    await this.writeSmall(dir, RECORD, new TextEncoder().encode(JSON.stringify(record)));

    let doneBytes = 0;
    let lastReport = 0;
    const stored = new Set<string>();
    for (const [file, entry] of Object.entries(manifest.files)) {
      const report = (phase: PackProgress['phase'], fileLoadedBytes: number, force = false) => {
        const now = Date.now();
        if (!force && now - lastReport < 100) return;
        lastReport = now;
        opts.onProgress?.({ phase, file, fileLoadedBytes, fileTotalBytes: entry.bytes, loadedBytes: doneBytes + fileLoadedBytes, totalBytes });
      };
      report('download', 0, true);
      if (!stored.has(entry.sha256)) {
        await this.storeFile(source, dir, file, entry, have.get(entry.sha256) ?? 0, report, opts.signal);
        stored.add(entry.sha256);
      }
      report('download', entry.bytes, true);
      doneBytes += entry.bytes;
    }
    await this.writeSmall(dir, MANIFEST_FILE, new TextEncoder().encode(read.text));
    return { ...record, storedBytes: totalBytes, complete: true };
  }

  private async checkQuota(missingBytes: number): Promise<void> {
    if (missingBytes <= 0) return;
    const est = await this.backend.estimate();
    if (est && missingBytes > est.quota - est.usage) throw new DefectStudioError('storage', quotaMessage(missingBytes, est.quota - est.usage));
  }

  private async writeSmall(dir: string, name: string, bytes: Uint8Array): Promise<void> {
    const w = await this.writer(dir, name, 0);
    try {
      await this.write(w, bytes);
    } finally {
      await w.close();
    }
  }

  private async writer(dir: string, name: string, offset: number) {
    try {
      return await this.backend.writer(dir, name, offset);
    } catch (e) {
      throw this.storageError(e);
    }
  }

  private async write(w: { write(c: Uint8Array): Promise<void> }, chunk: Uint8Array): Promise<void> {
    try {
      await w.write(chunk);
    } catch (e) {
      throw this.storageError(e);
    }
  }

  private storageError(e: unknown): DefectStudioError {
    if (isQuotaError(e)) return new DefectStudioError('storage', 'The browser storage is full: the download stopped (what arrived is kept). Delete a stored model or free disk space, then try again.', { cause: e });
    return new DefectStudioError('storage', `The browser storage failed: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }

  /** One file into its blob: resume from what is stored, stream the rest, hash while streaming, check. */
  private async storeFile(
    source: PackSource,
    dir: string,
    file: string,
    entry: { bytes: number; sha256: string },
    storedSize: number,
    report: (phase: PackProgress['phase'], loaded: number, force?: boolean) => void,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const blobName = entry.sha256;
    let hash = new Sha256();
    let offset = 0;
    if (storedSize > entry.bytes) await this.backend.remove(dir, blobName);
    else if (storedSize > 0) {
      // Resume: re-hash the bytes already there (the hash state is not stored; the bytes are).
      const blob = await this.backend.read(dir, blobName);
      if (blob) {
        const reader = blob.stream().getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          hash.update(value);
          offset += value.length;
          report('check', offset);
        }
        report('check', offset, true);
      }
      if (offset === entry.bytes && !sha256Error(file, entry.sha256, hash.hex())) return; // already complete
      if (offset === entry.bytes) {
        hash = new Sha256();
        offset = 0;
      }
    }

    if (!source.openStream) {
      // A source without streams (memory): one read, checked, then written.
      let data: Uint8Array;
      try {
        data = await source.readFile(file, { bytes: entry.bytes });
      } catch (e) {
        throw fileReadError(file, e);
      }
      const err = sha256Error(file, entry.sha256, await sha256Hex(data));
      if (err) throw err;
      const w = await this.writer(dir, blobName, 0);
      try {
        await this.write(w, data);
      } finally {
        await w.close();
      }
      return;
    }

    let stalled = 0;
    let lastError: unknown = null;
    while (offset < entry.bytes) {
      if (signal?.aborted) throw abortReason(signal);
      if (stalled >= MAX_STALLED_TRIES) {
        // Not a broken pack (its bytes so far are kept for the next try): code 'pack' as every load failure.
        const why = lastError ? ` (${(lastError as Error)?.message ?? String(lastError)})` : '';
        throw new DefectStudioError('pack', `download interrupted; file ${file}; expected ${entry.bytes} bytes; found ${offset} bytes after ${MAX_STALLED_TRIES} tries${why}`);
      }
      let bs: ByteStream;
      try {
        bs = await source.openStream(file, offset, signal);
      } catch (e) {
        // The source has no byte at `offset`: the file is shorter than the manifest says.
        if (e instanceof RangeError && offset > 0) throw sizeError(file, offset, { bytes: entry.bytes })!;
        // Not there (404) or refused: final. A network error or a server error (5xx...): try again.
        const transient = e instanceof MissingFileError && e.detail !== undefined && e.detail !== NO_SUCH_FILE && !/^HTTP 4/.test(e.detail);
        if (!transient) throw fileReadError(file, e);
        lastError = e;
        stalled++;
        continue;
      }
      if (bs.offset !== offset) {
        hash = new Sha256(); // the source restarts from byte 0
        offset = bs.offset;
      }
      // A declared length past the manifest's size is refused before a byte is read. (A shorter one is read:
      // it may be a cut connection; the next try asks for the rest and learns the real size.)
      if (bs.length !== undefined && offset + bs.length > entry.bytes) {
        await bs.stream.cancel().catch(() => undefined);
        throw sizeError(file, offset + bs.length, { bytes: entry.bytes })!;
      }
      const before = offset;
      const w = await this.writer(dir, blobName, offset);
      const reader = bs.stream.getReader();
      try {
        for (;;) {
          let r: ReadableStreamReadResult<Uint8Array>;
          try {
            r = await reader.read();
          } catch (e) {
            lastError = e; // connection cut: keep what arrived
            break;
          }
          if (r.done) break;
          const chunk = r.value;
          if (offset + chunk.length > entry.bytes) {
            await reader.cancel().catch(() => undefined);
            throw sizeError(file, entry.bytes + 1, { bytes: entry.bytes }, true)!;
          }
          await this.write(w, chunk);
          hash.update(chunk);
          offset += chunk.length;
          report('download', offset);
        }
      } finally {
        await w.close();
      }
      stalled = offset > before ? 0 : stalled + 1;
    }
    const err = sha256Error(file, entry.sha256, hash.hex());
    if (err) throw err;
  }
}

/** The Cache Storage of the download cache the pack store replaced: its copies are dead weight now. */
const LEGACY_CACHE = 'defect-studio-models-v1';

/** The OPFS pack store, or null where the browser has none (then packs load from the network each time). */
export async function openPackStore(): Promise<PackStore | null> {
  try {
    if (typeof caches !== 'undefined') await caches.delete(LEGACY_CACHE);
  } catch {
    /* no Cache Storage here (opaque origin, private mode): nothing to free */
  }
  const backend = await OpfsStoreBackend.open();
  return backend ? new PackStore(backend) : null;
}
