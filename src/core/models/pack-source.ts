import { DefectStudioError } from '../errors';
import { PackError, PackFileError } from './errors';
import { MANIFEST_FILE } from './manifest';

/** Limits for one read: the size the manifest declares, or (when none is declared yet) a ceiling. */
export interface ReadLimits {
  /** The exact size expected: a source checks it before reading and never reads more. */
  bytes?: number;
  /** The most bytes accepted when no exact size is known. */
  maxBytes?: number;
  /** Byte progress of this read (bytes of the file so far), where the source reads in chunks. */
  onBytes?: (loaded: number) => void;
}

/**
 * The one progress event of a model pack, from the network to the status line: the pack store's download
 * (`download`, and `check` while it re-hashes bytes it already has before resuming), and `loadPack`'s reads
 * (`read`). Bytes of the current file and of the whole pack (sizes from the manifest).
 */
export interface PackProgress {
  phase: 'download' | 'check' | 'read';
  /** Pack-relative path of the file in progress. */
  file: string;
  fileLoadedBytes: number;
  fileTotalBytes: number;
  loadedBytes: number;
  totalBytes: number;
}

/** A file's bytes as a stream, from `offset` on (see PackSource.openStream). */
export interface ByteStream {
  stream: ReadableStream<Uint8Array>;
  /** Where the stream really starts: the offset asked for, or 0 when the source cannot skip (a server that ignores Range). */
  offset: number;
  /** Bytes the stream declares it will deliver (Content-Length), when known. */
  length?: number;
}

/**
 * Where a model pack's files come from: a folder on disk (pack-source.node.ts), a URL prefix, memory, or the
 * browser's pack store (src/worker/packStore.ts). Only the core's loader (pack.ts) and the pack store know
 * the pack format; a source only hands out bytes.
 */
export interface PackSource {
  /** Human-readable location, for error messages. */
  readonly location: string;
  /**
   * The file's bytes; rejects with an Error whose message names the file when it is missing, and with a
   * PackError when it breaks `limits` (found before reading where the source can tell).
   */
  readFile(relPath: string, limits?: ReadLimits): Promise<Uint8Array>;
  /**
   * Optional: the bytes and their sha256 (lowercase hex) in one pass, for sources that can hash while they
   * read (FsPackSource, natively). The loader uses it when present; else it hashes `readFile`'s bytes.
   */
  readFileHashed?(relPath: string, limits?: ReadLimits): Promise<{ data: Uint8Array; sha256: string }>;
  readText(relPath: string, limits?: ReadLimits): Promise<string>;
  /**
   * Optional, for a runtime that reads model files itself (onnxruntime-node, `Runtime.createSessionFromFile`):
   * the file's path on disk after the source's checks (size included), or null when this file cannot be
   * handed over by path (the loader then reads its bytes). FsPackSource.
   */
  localPath?(relPath: string, limits?: ReadLimits): Promise<string | null>;
  /** Optional, with `localPath`: the file's sha256, streamed, no bytes kept (size checked as in readFile). */
  hashFile?(relPath: string, limits?: ReadLimits): Promise<string>;
  /** Optional, with `localPath`: bytes [offset, offset + length) of a file (fewer at its end). */
  readRange?(relPath: string, offset: number, length: number): Promise<Uint8Array>;
  /**
   * Optional, with `localPath`: what changes when the file on disk changes, from one stat (size, mtime,
   * ctime, inode). The loader records it when it verifies a file handed over by path and compares it once
   * the runtime has read the file (a change in between is refused).
   */
  fileStamp?(relPath: string): Promise<string>;
  /** Optional: whether the file exists (used for optional files). */
  exists?(relPath: string): Promise<boolean>;
  /**
   * Optional: the file as a stream starting at byte `offset` (the pack store streams downloads into storage
   * and resumes them with it). Rejects like readFile when the file is missing; a `RangeError` when `offset`
   * is past the end of the file (HTTP 416).
   */
  openStream?(relPath: string, offset: number, signal?: AbortSignal): Promise<ByteStream>;
}

/** The detail of a MissingFileError for a file that is not there, the same from every source. */
export const NO_SUCH_FILE = 'no such file';

/**
 * A source's "this file is not there": `detail` is NO_SUCH_FILE for a plain missing file (404, ENOENT), so
 * it reads the same from every source; something else for other failures (HTTP 503, a network error, EACCES).
 */
export class MissingFileError extends DefectStudioError {
  constructor(readonly file: string, readonly detail?: string) {
    super('pack', `missing file ${file}${detail ? ` (${detail})` : ''}`);
    this.name = 'MissingFileError';
  }
}

/** A listed file that a source could not hand out, as the one PackError (PackErrors and aborts pass through). */
export function fileReadError(file: string, e: unknown): Error {
  if (e instanceof PackError || (e as Error)?.name === 'AbortError') return e as Error;
  return new PackFileError('missing file', { file, found: e instanceof MissingFileError ? e.message : String(e) });
}

/** The PackError for a file whose sha256 is not the manifest's (null when it is). */
export function sha256Error(file: string, expected: string, found: string): PackError | null {
  return found === expected ? null : new PackFileError('sha256 differs from the manifest', { file, expected, found });
}

/** The PackError for a size that breaks `limits` (null when it does not). */
export function sizeError(file: string, size: number, limits: ReadLimits | undefined, atLeast = false): PackFileError | null {
  if (limits?.bytes !== undefined && (atLeast ? size > limits.bytes : size !== limits.bytes)) {
    return new PackFileError('file size differs from the manifest', {
      file,
      expected: `${limits.bytes} bytes`,
      found: atLeast ? `more than ${limits.bytes} bytes` : `${size} bytes`,
    });
  }
  if (limits?.maxBytes !== undefined && size > limits.maxBytes) {
    return new PackFileError('file too large', { file, expected: `at most ${limits.maxBytes} bytes`, found: `${atLeast ? 'more than ' : ''}${size} bytes` });
  }
  return null;
}

/**
 * Reads a body stream, refusing (and cancelling the stream) as soon as it passes `limits`. When the exact
 * size is known the bytes go straight into one buffer of that size (a model's bytes are never held twice).
 */
export async function readCapped(body: ReadableStream<Uint8Array>, file: string, limits: ReadLimits | undefined): Promise<Uint8Array> {
  const cap = limits?.bytes ?? limits?.maxBytes ?? Infinity;
  const reader = body.getReader();
  const out = limits?.bytes !== undefined ? new Uint8Array(limits.bytes) : null;
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (loaded + value.length > cap) {
      await reader.cancel().catch(() => undefined);
      throw sizeError(file, cap + 1, limits, true)!;
    }
    if (out) out.set(value, loaded);
    else chunks.push(value);
    loaded += value.length;
    limits?.onBytes?.(loaded);
  }
  const err = sizeError(file, loaded, limits);
  if (err) throw err;
  if (out) return out;
  if (chunks.length === 1) return chunks[0];
  const all = new Uint8Array(loaded);
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.length;
  }
  return all;
}

/** A declared Content-Length (null when absent, or when the body is encoded and its length says nothing). */
function declaredLength(res: Response): number | null {
  const length = res.headers.get('content-length');
  const encoding = res.headers.get('content-encoding');
  return length !== null && /^\d+$/.test(length) && (!encoding || encoding === 'identity') ? Number(length) : null;
}

/**
 * Fetches `baseUrl + relPath` (browser, Worker, or Node's fetch). The manifest is always revalidated
 * (`cache: 'no-cache'`: a new pack version wins); `init` applies to every request (e.g. `cache: 'no-store'`
 * when the bytes go to the pack store, so they are not kept a second time in the HTTP cache).
 */
export class FetchPackSource implements PackSource {
  readonly location: string;

  constructor(baseUrl: string, private readonly init?: RequestInit) {
    this.location = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  }

  private url(relPath: string): string {
    return this.location + relPath.split('/').map(encodeURIComponent).join('/');
  }

  private async get(relPath: string, extra?: RequestInit): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(this.url(relPath), { ...(relPath === MANIFEST_FILE ? { cache: 'no-cache' } : {}), ...this.init, ...extra });
    } catch (e) {
      if ((e as Error)?.name === 'AbortError') throw e;
      throw new MissingFileError(relPath, String(e));
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      if (res.status === 416) throw new RangeError(`${relPath}: requested range not satisfiable`);
      throw new MissingFileError(relPath, res.status === 404 || res.status === 410 ? NO_SUCH_FILE : `HTTP ${res.status}`);
    }
    return res;
  }

  async readFile(relPath: string, limits?: ReadLimits): Promise<Uint8Array> {
    const res = await this.get(relPath);
    const total = declaredLength(res);
    // A declared length that breaks the limits is refused before the body is read.
    const early = total !== null ? sizeError(relPath, total, limits) : null;
    if (early) {
      await res.body?.cancel().catch(() => undefined);
      throw early;
    }
    if (!res.body) {
      const b = new Uint8Array(await res.arrayBuffer());
      const err = sizeError(relPath, b.length, limits);
      if (err) throw err;
      return b;
    }
    return readCapped(res.body, relPath, limits);
  }

  async readText(relPath: string, limits?: ReadLimits): Promise<string> {
    return new TextDecoder().decode(await this.readFile(relPath, limits));
  }

  async openStream(relPath: string, offset: number, signal?: AbortSignal): Promise<ByteStream> {
    const res = await this.get(relPath, { signal, headers: offset > 0 ? { range: `bytes=${offset}-` } : undefined });
    // 206 with the range asked for: resumed. Anything else (200, or a range that is not ours): from the start.
    const range = res.status === 206 ? /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '') : null;
    const start = range && Number(range[1]) === offset ? offset : 0;
    if (res.status === 206 && start !== offset) {
      await res.body?.cancel().catch(() => undefined);
      return this.openStream(relPath, 0, signal);
    }
    const length = declaredLength(res) ?? undefined;
    const stream = res.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() });
    return { stream, offset: start, length };
  }

  async exists(relPath: string): Promise<boolean> {
    try {
      const res = await fetch(this.url(relPath), { ...this.init, method: 'HEAD' });
      return res.ok;
    } catch {
      return false;
    }
  }
}

/** An in-memory pack (tests, uploads of a folder in the browser). */
export class MemoryPackSource implements PackSource {
  constructor(private readonly files: Map<string, Uint8Array>, readonly location = 'memory') {}

  async readFile(relPath: string, limits?: ReadLimits): Promise<Uint8Array> {
    const f = this.files.get(relPath);
    if (!f) throw new MissingFileError(relPath, NO_SUCH_FILE);
    const err = sizeError(relPath, f.byteLength, limits);
    if (err) throw err;
    return f;
  }

  async readText(relPath: string, limits?: ReadLimits): Promise<string> {
    return new TextDecoder().decode(await this.readFile(relPath, limits));
  }

  async exists(relPath: string): Promise<boolean> {
    return this.files.has(relPath);
  }
}
