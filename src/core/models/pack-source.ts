import { DefectStudioError } from '../errors';
import { PackError } from './errors';

/** Limits for one read: the size the manifest declares, or (when none is declared yet) a ceiling. */
export interface ReadLimits {
  /** The exact size expected: a source checks it before reading and never reads more. */
  bytes?: number;
  /** The most bytes accepted when no exact size is known. */
  maxBytes?: number;
}

/** Where a model pack's files come from: a folder on disk (pack-source.node.ts), a URL prefix, or memory. */
export interface PackSource {
  /** Human-readable location, for error messages. */
  readonly location: string;
  /**
   * The file's bytes; rejects with an Error whose message names the file when it is missing, and with a
   * PackError when it breaks `limits` (found before reading where the source can tell).
   */
  readFile(relPath: string, limits?: ReadLimits): Promise<Uint8Array>;
  readText(relPath: string, limits?: ReadLimits): Promise<string>;
  /** Optional: whether the file exists (used for optional files). */
  exists?(relPath: string): Promise<boolean>;
  /** Optional download progress hook for large files. */
  onProgress?: (event: { file: string; loaded: number; total?: number }) => void;
}

/** The detail of a MissingFileError for a file that is not there, the same from every source. */
export const NO_SUCH_FILE = 'no such file';

export class MissingFileError extends DefectStudioError {
  constructor(readonly file: string, detail?: string) {
    super('pack', `missing file ${file}${detail ? ` (${detail})` : ''}`);
    this.name = 'MissingFileError';
  }
}

/** The PackError for a size that breaks `limits` (null when it does not). */
export function sizeError(file: string, size: number, limits: ReadLimits | undefined, atLeast = false): PackError | null {
  if (limits?.bytes !== undefined && (atLeast ? size > limits.bytes : size !== limits.bytes)) {
    return new PackError('file size differs from the manifest', {
      file,
      expected: `${limits.bytes} bytes`,
      found: atLeast ? `more than ${limits.bytes} bytes` : `${size} bytes`,
    });
  }
  if (limits?.maxBytes !== undefined && size > limits.maxBytes) {
    return new PackError('file too large', { file, expected: `at most ${limits.maxBytes} bytes`, found: `${atLeast ? 'more than ' : ''}${size} bytes` });
  }
  return null;
}

/** Reads a body stream, refusing (and cancelling the stream) as soon as it passes `limits`. */
export async function readCapped(
  body: ReadableStream<Uint8Array>,
  file: string,
  limits: ReadLimits | undefined,
  onBytes?: (loaded: number) => void,
): Promise<Uint8Array> {
  const cap = limits?.bytes ?? limits?.maxBytes ?? Infinity;
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    loaded += value.length;
    if (loaded > cap) {
      await reader.cancel().catch(() => undefined);
      throw sizeError(file, cap + 1, limits, true)!;
    }
    chunks.push(value);
    onBytes?.(loaded);
  }
  const err = sizeError(file, loaded, limits);
  if (err) throw err;
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(loaded);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** Fetches `baseUrl + relPath` (browser, Worker, or Node's fetch). */
export class FetchPackSource implements PackSource {
  readonly location: string;
  onProgress?: (event: { file: string; loaded: number; total?: number }) => void;

  constructor(baseUrl: string, private readonly init?: RequestInit) {
    this.location = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  }

  private async get(relPath: string): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(this.location + relPath, this.init);
    } catch (e) {
      throw new MissingFileError(relPath, String(e));
    }
    if (!res.ok) throw new MissingFileError(relPath, `HTTP ${res.status}`);
    return res;
  }

  async readFile(relPath: string, limits?: ReadLimits): Promise<Uint8Array> {
    const res = await this.get(relPath);
    const length = res.headers.get('content-length');
    const total = length !== null && /^\d+$/.test(length) ? Number(length) : undefined;
    // A declared length that breaks the limits is refused before the body is read.
    const encoding = res.headers.get('content-encoding');
    const early = total !== undefined && (!encoding || encoding === 'identity') ? sizeError(relPath, total, limits) : null;
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
    return readCapped(res.body, relPath, limits, (loaded) => this.onProgress?.({ file: relPath, loaded, total }));
  }

  async readText(relPath: string, limits?: ReadLimits): Promise<string> {
    return new TextDecoder().decode(await this.readFile(relPath, limits));
  }

  async exists(relPath: string): Promise<boolean> {
    try {
      const res = await fetch(this.location + relPath, { ...this.init, method: 'HEAD' });
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
