// Download a model pack over HTTP with byte progress, keep it in Cache Storage, and check every file's
// size and sha256 against defect-studio.json (on download and again on every cache read).
import { canonicalFiles, MANIFEST_FILE, MAX_MANIFEST_BYTES, sha256Hex } from '../core/models/manifest';
import { readCapped, sizeError, type ReadLimits } from '../core/models/pack-source';
import { PackError } from '../core/models/errors';
import type { PackManifest } from '../core/models/manifest-types';
import { assertFitsWasm } from '../core/models/memory';

export const CACHE_NAME = 'defect-studio-models-v1';

/** The slice of the Cache Storage API we use (injectable for tests). */
export interface BlobCache {
  match(key: string): Promise<Response | undefined>;
  put(key: string, response: Response): Promise<void>;
  delete(key: string): Promise<boolean>;
}

export interface FetchProgress {
  loaded: number;
  total: number;
  file: string;
  fromCache: boolean;
}

export interface FetchedPack {
  manifest: PackManifest;
  manifestBytes: Uint8Array;
  manifestSha256: string;
  files: Map<string, Uint8Array>;
  bytes: number;
  /** True when every file came from the cache. */
  fromCache: boolean;
}

/** A download problem: a PackError (code 'pack'), like every other pack problem. */
export class PackLoadError extends PackError {
  constructor(message: string) {
    super(message);
    this.name = 'PackLoadError';
  }
}


export async function openDefaultCache(): Promise<BlobCache | null> {
  try {
    if (typeof caches === 'undefined') return null;
    return await caches.open(CACHE_NAME);
  } catch {
    return null; // opaque origins, private modes: run without a cache
  }
}

function joinUrl(base: string, rel: string): string {
  return new URL(rel.split('/').map(encodeURIComponent).join('/'), base).href;
}

/**
 * Read a response body with progress callbacks, never more than `limit` bytes: a declared Content-Length
 * over the limit is refused before the body is read, and a body that streams past it is cancelled there.
 */
async function readWithProgress(res: Response, file: string, limits: ReadLimits, onBytes: (n: number) => void): Promise<Uint8Array> {
  const length = res.headers.get('content-length');
  const encoding = res.headers.get('content-encoding');
  if (length !== null && /^\d+$/.test(length) && (!encoding || encoding === 'identity')) {
    const err = sizeError(file, Number(length), limits);
    if (err) {
      await res.body?.cancel().catch(() => undefined);
      throw err;
    }
  }
  if (!res.body) {
    const b = new Uint8Array(await res.arrayBuffer());
    const err = sizeError(file, b.length, limits);
    if (err) throw err;
    onBytes(b.length);
    return b;
  }
  let last = 0;
  return readCapped(res.body, file, limits, (loaded) => {
    onBytes(loaded - last);
    last = loaded;
  });
}

export function parseManifest(bytes: Uint8Array): PackManifest {
  let m: PackManifest;
  try {
    m = JSON.parse(new TextDecoder().decode(bytes)) as PackManifest;
  } catch (e) {
    throw new PackLoadError(`${MANIFEST_FILE} is not valid JSON (${(e as Error).message})`);
  }
  if (!m || typeof m !== 'object' || typeof m.files !== 'object' || !m.files)
    throw new PackLoadError(`${MANIFEST_FILE} has no "files" table`);
  for (const [rel, f] of Object.entries(m.files)) {
    if (!f || !Number.isSafeInteger(f.bytes) || f.bytes < 0 || typeof f.sha256 !== 'string')
      throw new PackLoadError(`${MANIFEST_FILE}: entry "${rel}" needs bytes and sha256`);
  }
  // One canonical name per file: `./a` and `a` are fetched, checked and kept once; `../x` is refused.
  const files = canonicalFiles(m.files, (message) => new PackLoadError(`${MANIFEST_FILE}: ${message}`));
  return { ...m, files };
}

export async function fetchPack(
  baseUrl: string,
  opts: {
    cache: BlobCache | null;
    onProgress?: (p: FetchProgress) => void;
    fetchImpl?: typeof fetch;
    signal?: AbortSignal;
    /** The backend the pack is for: 'wasm' refuses a pack too big for the 4 GB heap before any download. */
    backend?: string;
  },
): Promise<FetchedPack> {
  const doFetch = opts.fetchImpl ?? fetch;
  const base = baseUrl.endsWith('/') ? baseUrl : baseUrl + '/';
  const manifestUrl = joinUrl(base, MANIFEST_FILE);
  const manifestKey = manifestUrl;

  // The manifest is small: ask the network first (a new pack version must win), the cache when offline.
  let manifestBytes: Uint8Array | null = null;
  let networkError: string | null = null;
  try {
    const res = await doFetch(manifestUrl, { cache: 'no-cache', signal: opts.signal });
    if (!res.ok) throw new PackLoadError(`${manifestUrl}: HTTP ${res.status}`);
    manifestBytes = await readWithProgress(res, MANIFEST_FILE, { maxBytes: MAX_MANIFEST_BYTES }, () => undefined);
  } catch (e) {
    networkError = (e as Error).message;
    const hit = await opts.cache?.match(manifestKey);
    if (hit) manifestBytes = new Uint8Array(await hit.arrayBuffer());
  }
  if (!manifestBytes) throw new PackLoadError(`cannot fetch ${MANIFEST_FILE} from ${base} (${networkError})`);
  const manifest = parseManifest(manifestBytes);
  const manifestSha256 = await sha256Hex(manifestBytes);
  if (opts.backend === 'wasm') assertFitsWasm(manifest);

  const entries = Object.entries(manifest.files);
  const total = entries.reduce((s, [, f]) => s + f.bytes, 0);
  let loaded = 0;
  let allCached = true;
  let lastReport = 0;
  const report = (file: string, fromCache: boolean, force = false) => {
    const now = Date.now();
    if (!force && now - lastReport < 50) return;
    lastReport = now;
    opts.onProgress?.({ loaded, total, file, fromCache });
  };
  report('', true, true);

  const files = new Map<string, Uint8Array>();
  for (const [rel, spec] of entries) {
    const url = joinUrl(base, rel);
    const key = `${url}?sha256=${spec.sha256}`;
    let bytes: Uint8Array | null = null;
    const hit = await opts.cache?.match(key);
    if (hit) {
      const b = new Uint8Array(await hit.arrayBuffer());
      if (b.length === spec.bytes && (await sha256Hex(b)) === spec.sha256.toLowerCase()) {
        bytes = b;
        loaded += b.length;
        report(rel, true, true);
      } else {
        await opts.cache?.delete(key); // corrupt cache entry: fetch again
      }
    }
    if (!bytes) {
      allCached = false;
      const res = await doFetch(url, { signal: opts.signal });
      if (!res.ok) throw new PackLoadError(`${rel}: HTTP ${res.status}`);
      const start = loaded;
      bytes = await readWithProgress(res, rel, { bytes: spec.bytes }, (n) => {
        loaded += n;
        report(rel, false);
      });
      if (bytes.length !== spec.bytes)
        throw new PackLoadError(`${rel}: expected ${spec.bytes} bytes, got ${bytes.length}`);
      const sha = await sha256Hex(bytes);
      if (sha !== spec.sha256.toLowerCase())
        throw new PackLoadError(`${rel}: sha256 mismatch (expected ${spec.sha256}, got ${sha})`);
      loaded = start + bytes.length;
      report(rel, false, true);
      if (opts.cache) {
        try {
          await opts.cache.put(key, new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-type': 'application/octet-stream' } }));
        } catch {
          /* quota: run uncached */
        }
      }
    }
    files.set(rel, bytes);
  }
  if (opts.cache) {
    try {
      await opts.cache.put(manifestKey, new Response(manifestBytes as Uint8Array<ArrayBuffer>, { headers: { 'content-type': 'application/json' } }));
    } catch {
      /* ignore */
    }
  }
  return { manifest, manifestBytes, manifestSha256, files, bytes: total, fromCache: allCached && entries.length > 0 };
}
