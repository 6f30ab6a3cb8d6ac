/** Where a model pack's files come from: a folder on disk (pack-source.node.ts), a URL prefix, or memory. */
export interface PackSource {
  /** Human-readable location, for error messages. */
  readonly location: string;
  /** The file's bytes; rejects with an Error whose message names the file when it is missing. */
  readFile(relPath: string): Promise<Uint8Array>;
  readText(relPath: string): Promise<string>;
  /** Optional: whether the file exists (used for optional files). */
  exists?(relPath: string): Promise<boolean>;
  /** Optional download progress hook for large files. */
  onProgress?: (event: { file: string; loaded: number; total?: number }) => void;
}

export class MissingFileError extends Error {
  constructor(readonly file: string, detail?: string) {
    super(`missing file ${file}${detail ? ` (${detail})` : ''}`);
    this.name = 'MissingFileError';
  }
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

  async readFile(relPath: string): Promise<Uint8Array> {
    const res = await this.get(relPath);
    const total = Number(res.headers.get('content-length')) || undefined;
    if (!res.body || !this.onProgress) return new Uint8Array(await res.arrayBuffer());
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let loaded = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.length;
      this.onProgress({ file: relPath, loaded, total });
    }
    const out = new Uint8Array(loaded);
    let o = 0;
    for (const c of chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }

  async readText(relPath: string): Promise<string> {
    return (await this.get(relPath)).text();
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

  async readFile(relPath: string): Promise<Uint8Array> {
    const f = this.files.get(relPath);
    if (!f) throw new MissingFileError(relPath);
    return f;
  }

  async readText(relPath: string): Promise<string> {
    return new TextDecoder().decode(await this.readFile(relPath));
  }

  async exists(relPath: string): Promise<boolean> {
    return this.files.has(relPath);
  }
}
