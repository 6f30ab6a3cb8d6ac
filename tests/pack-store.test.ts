/**
 * The pack store over a real HTTP server (Range, cut connections, lying lengths) and the in-memory store
 * backend (the OPFS one is exercised in Chromium by e2e/pack-store.spec.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { errorCode } from '../src/core/errors';
import { PackError, PackFileError } from '../src/core/models/errors';
import { loadPack } from '../src/core/models/pack';
import { FetchPackSource, MemoryPackSource, type PackProgress, type PackSource } from '../src/core/models/pack-source';
import { FsPackSource } from '../src/core/models/pack-source.node.ts';
import { createNodeRuntime } from '../src/core/models/ort-node.node.ts';
import { generate } from '../src/core/diffusion/pipeline';
import { makeRequest, packDir } from './helpers';
import { FilesPackSource } from '../src/core/models/files-source';
import { PackStore, quotaMessage } from '../src/worker/packStore';
import { MemoryStoreBackend } from '../src/worker/storeBackend';

const PACK = packDir('tiny-sd');
const UNET = 'unet/model.onnx';

function readTree(dir: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p).split('\\').join('/'), new Uint8Array(readFileSync(p)));
    }
  };
  walk(dir);
  return out;
}

/** What the server does for one request (by path); default: serve the file, honouring Range. */
type Fault = (req: IncomingMessage, res: ServerResponse, data: Uint8Array, start: number) => boolean;

let server: Server;
let base: string;
let files: Map<string, Uint8Array>;
const requests: { path: string; range?: string }[] = [];
const faults = new Map<string, Fault>();
const runtime = createNodeRuntime({ threads: 1 });

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/pack\//, '');
    requests.push({ path, range: req.headers.range });
    const data = files.get(path);
    if (!data) return void res.writeHead(404).end();
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    if (faults.get(path)?.(req, res, data, start)) return;
    if (m && start >= data.length) return void res.writeHead(416, { 'content-range': `bytes */${data.length}` }).end();
    const body = data.subarray(start);
    res.writeHead(m ? 206 : 200, {
      'content-length': body.length,
      ...(m ? { 'content-range': `bytes ${start}-${data.length - 1}/${data.length}` } : {}),
    });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pack/`;
});
afterAll(() => new Promise((r) => server.close(r)));
beforeEach(() => {
  files = readTree(PACK);
  requests.length = 0;
  faults.clear();
});

/** Sends the first `n` bytes of the file with its full length declared, then cuts the connection. */
const cutAfter = (n: number, times = 1): Fault => {
  let left = times;
  return (_req, res, data, start) => {
    if (left-- <= 0) return false;
    res.writeHead(start ? 206 : 200, {
      'content-length': data.length - start,
      ...(start ? { 'content-range': `bytes ${start}-${data.length - 1}/${data.length}` } : {}),
    });
    res.write(data.subarray(start, start + n), () => setTimeout(() => res.destroy(), 20));
    return true;
  };
};

const source = () => new FetchPackSource(base, { cache: 'no-store' });

describe('PackStore: download into the store, then load from it', () => {
  it('streams every file with byte progress, stores it, and the core loader generates from the stored copy', async () => {
    const backend = new MemoryStoreBackend();
    const store = new PackStore(backend);
    const progress: PackProgress[] = [];
    const info = await store.put(source(), { onProgress: (p) => progress.push(p) });
    const total = [...files].filter(([k]) => k !== 'defect-studio.json').reduce((a, [, v]) => a + v.length, 0);
    expect(info).toMatchObject({ id: 'tiny-sd', complete: true, bytes: total, storedBytes: total, source: base });
    expect(await store.list()).toEqual([info]);
    // per-file byte progress: the UNet's events count its bytes up to its size; the pack total never goes back
    const unet = progress.filter((p) => p.file === UNET);
    expect(unet[0].fileLoadedBytes).toBe(0);
    expect(unet.at(-1)!.fileLoadedBytes).toBe(files.get(UNET)!.length);
    expect(progress.every((p, i) => p.phase === 'download' && p.totalBytes === total && (i === 0 || p.loadedBytes >= progress[i - 1].loadedBytes))).toBe(true);
    expect(progress.at(-1)!.loadedBytes).toBe(total);

    const stored = (await store.get('tiny-sd'))!;
    expect(await stored.readFile(UNET)).toEqual(files.get(UNET));
    const pack = await loadPack(stored, runtime);
    try {
      const res = await generate(pack, makeRequest({ steps: 2 }));
      expect(res.mask.some((v) => v === 255)).toBe(true);
    } finally {
      await pack.release();
    }
  });

  it('ensure: a second visit asks only for the manifest; offline it uses the stored copy; a new version fetches only what changed', async () => {
    const store = new PackStore(new MemoryStoreBackend());
    expect((await store.ensure(source())).downloaded).toBe(true);
    requests.length = 0;
    const again = await store.ensure(source());
    expect(again.downloaded).toBe(false);
    expect(requests.map((r) => r.path)).toEqual(['defect-studio.json']);
    // offline (the server answers 404 for everything): the stored copy from the same location
    const saved = files;
    files = new Map();
    expect((await store.ensure(source())).source.manifest.id).toBe('tiny-sd');
    files = saved;
    // a new version that changes one file: only that file is downloaded
    const m = JSON.parse(new TextDecoder().decode(files.get('defect-studio.json')!));
    const cfg = new TextEncoder().encode(new TextDecoder().decode(files.get('model_index.json')!) + ' ');
    const { createHash } = await import('node:crypto');
    m.files['model_index.json'] = { bytes: cfg.length, sha256: createHash('sha256').update(cfg).digest('hex') };
    files.set('model_index.json', cfg);
    files.set('defect-studio.json', new TextEncoder().encode(JSON.stringify(m)));
    requests.length = 0;
    const v2 = await store.ensure(source());
    expect(v2.downloaded).toBe(true);
    expect(requests.map((r) => r.path).sort()).toEqual(['defect-studio.json', 'model_index.json']);
    expect(await v2.source.readFile('model_index.json')).toEqual(cfg);
  });
});

describe('PackStore: resume', () => {
  it('a connection cut mid-file is resumed with an HTTP Range request in the same put', async () => {
    const store = new PackStore(new MemoryStoreBackend());
    faults.set(UNET, cutAfter(30_000));
    await store.put(source());
    const unetReqs = requests.filter((r) => r.path === UNET);
    expect(unetReqs.map((r) => r.range)).toEqual([undefined, 'bytes=30000-']);
    expect(await (await store.get('tiny-sd'))!.readFile(UNET)).toEqual(files.get(UNET));
  });

  it('an interrupted put keeps its bytes (listed, not complete); the next put re-hashes them and asks only for the rest', async () => {
    const backend = new MemoryStoreBackend();
    const store = new PackStore(backend);
    // every try is cut after 20 kB, and tries after the first get nothing: the download gives up
    faults.set(UNET, (req, res, data, start) => (start === 0 ? cutAfter(20_000)(req, res, data, start) : (res.writeHead(503).end(), true)));
    const e = await store.put(source()).catch((x) => x);
    expect(errorCode(e)).toBe('pack');
    expect(e).not.toBeInstanceOf(PackError); // not a broken pack: nothing is thrown away
    expect(e.message).toMatch(/^download interrupted; file unet\/model\.onnx; expected \d+ bytes; found 20000 bytes after 3 tries/);
    const [listed] = await store.list();
    expect(listed).toMatchObject({ id: 'tiny-sd', complete: false });
    expect(listed.storedBytes).toBeGreaterThanOrEqual(20_000);
    expect(await store.get('tiny-sd')).toBeNull();

    faults.clear();
    requests.length = 0;
    const progress: PackProgress[] = [];
    await store.put(source(), { onProgress: (p) => progress.push(p) });
    // files stored before are checked, not fetched again; the UNet continues at byte 20000
    expect(requests.filter((r) => r.path === UNET).map((r) => r.range)).toEqual(['bytes=20000-']);
    expect(requests.map((r) => r.path)).not.toContain('text_encoder/model.onnx');
    expect(progress.some((p) => p.phase === 'check' && p.file === UNET)).toBe(true);
    const pack = await loadPack((await store.get('tiny-sd'))!, runtime);
    await pack.release();
  });

  it('an aborted put stops at once with AbortError and keeps what arrived', async () => {
    const store = new PackStore(new MemoryStoreBackend());
    const abort = new AbortController();
    const e = await store
      .put(source(), { signal: abort.signal, onProgress: (p) => p.file === UNET && p.fileLoadedBytes > 0 && abort.abort() })
      .catch((x) => x);
    expect(e.name).toBe('AbortError');
    expect((await store.list())[0].complete).toBe(false);
  });

  it('a server that ignores Range restarts the file from byte 0 (and the hash with it)', async () => {
    const store = new PackStore(new MemoryStoreBackend());
    let first = true;
    faults.set(UNET, (req, res, data, start) => {
      if (first) {
        first = false;
        return cutAfter(10_000)(req, res, data, start);
      }
      res.writeHead(200, { 'content-length': data.length }).end(data); // Range ignored
      return true;
    });
    await store.put(source());
    expect(await (await store.get('tiny-sd'))!.readFile(UNET)).toEqual(files.get(UNET));
  });
});

describe('PackStore refuses a broken pack, keeping nothing of it', () => {
  it('a wrong sha256', async () => {
    const backend = new MemoryStoreBackend();
    const store = new PackStore(backend);
    files.set(UNET, files.get(UNET)!.map((v, i) => (i === 100 ? v ^ 1 : v)));
    const e = await store.put(source()).catch((x) => x);
    expect(e).toBeInstanceOf(PackFileError);
    expect(e.message).toMatch(/^sha256 differs from the manifest; file unet\/model\.onnx; expected [0-9a-f]{64}; found [0-9a-f]{64}$/);
    expect(await store.list()).toEqual([]);
    expect(backend.data.size).toBe(0);
  });

  it('a declared length over the manifest size is refused unread; an endless body is cut off at the size', async () => {
    const store = new PackStore(new MemoryStoreBackend());
    const size = files.get(UNET)!.length;
    let bodySent = false;
    faults.set(UNET, (_q, res) => {
      res.writeHead(200, { 'content-length': 8 * 1024 ** 3 });
      res.flushHeaders();
      setTimeout(() => {
        bodySent = true;
        res.destroy();
      }, 2000);
      return true;
    });
    await expect(store.put(source())).rejects.toThrow(`file size differs from the manifest; file ${UNET}; expected ${size} bytes; found ${8 * 1024 ** 3} bytes`);
    expect(bodySent).toBe(false);

    let sent = 0;
    faults.set(UNET, (_q, res) => {
      res.writeHead(200);
      const chunk = new Uint8Array(16 * 1024);
      const pump = () => {
        while (!res.destroyed && sent < 64 * 1024 ** 2) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
      return true;
    });
    await expect(store.put(source())).rejects.toThrow(`file size differs from the manifest; file ${UNET}; expected ${size} bytes; found more than ${size} bytes`);
    expect(sent).toBeLessThan(64 * 1024 ** 2);
    expect(await store.list()).toEqual([]);
  });

  it('the quota: refused before any file is downloaded, with the sizes', async () => {
    const backend = new MemoryStoreBackend(100_000);
    const store = new PackStore(backend);
    const e = await store.put(source()).catch((x) => x);
    expect(errorCode(e)).toBe('storage');
    expect(e.message).toBe(quotaMessage(282_788, 100_000));
    expect(e.message).toBe(
      'Not enough browser storage: this pack needs 1 MB; the browser allows 0 MB more here. Delete a stored model or free disk space, then try again.',
    );
    expect(requests.map((r) => r.path)).toEqual(['defect-studio.json']);
    expect(quotaMessage(3_500_000_000, 1_234_567_890)).toMatch(/this pack needs 3,500 MB; the browser allows 1,234 MB more here/);
  });

  it('a stored file that rots is caught by the loader as a PackFileError (the worker then downloads it again)', async () => {
    const backend = new MemoryStoreBackend();
    const store = new PackStore(backend);
    await store.put(source());
    const [dir] = backend.data.keys();
    const sha = JSON.parse(new TextDecoder().decode(files.get('defect-studio.json')!)).files[UNET].sha256;
    backend.data.get(dir)!.get(sha)![7] ^= 0xff;
    const e = await loadPack((await store.get('tiny-sd'))!, runtime).catch((x) => x);
    expect(e).toBeInstanceOf(PackFileError);
    expect(e.message).toMatch(/^sha256 differs from the manifest; file unet\/model\.onnx/);
  });
});

describe('one pack reader: the browser store and the CLI give the same error for the same broken pack', () => {
  const cases: Record<string, (dir: string) => void> = {
    'corrupt manifest': (d) => writeFileSync(join(d, 'defect-studio.json'), '{"format": "defect-studio-pack@1", '),
    'invalid manifest field': (d) => {
      const m = JSON.parse(readFileSync(join(d, 'defect-studio.json'), 'utf8'));
      m.resolution = -3;
      writeFileSync(join(d, 'defect-studio.json'), JSON.stringify(m));
    },
    'wrong sha256': (d) => {
      const b = readFileSync(join(d, UNET));
      b[5] ^= 1;
      writeFileSync(join(d, UNET), b);
    },
    'size over the manifest': (d) => writeFileSync(join(d, UNET), Buffer.concat([readFileSync(join(d, UNET)), Buffer.from([1, 2, 3])])),
    'size under the manifest': (d) => writeFileSync(join(d, UNET), readFileSync(join(d, UNET)).subarray(0, 1000)),
    'missing file': (d) => rmSync(join(d, UNET)),
  };
  for (const [name, breakIt] of Object.entries(cases)) {
    it(name, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ds-broken-'));
      try {
        cpSync(PACK, dir, { recursive: true });
        breakIt(dir);
        // the CLI's path: loadPack over the folder (src/cli/generator.ts)
        const cli = await loadPack(new FsPackSource(dir), runtime).then(() => null, (x) => x);
        // the browser's path: the pack store downloading the same folder over HTTP
        files = readTree(dir);
        const store = new PackStore(new MemoryStoreBackend());
        const web = await store.put(source()).then(() => null, (x) => x);
        expect(cli).toBeInstanceOf(PackError);
        expect(web).toBeInstanceOf(PackError);
        expect({ code: errorCode(web), name: web.name, message: web.message, file: web.file }).toEqual({
          code: errorCode(cli),
          name: cli.name,
          message: cli.message,
          file: cli.file,
        });
        expect(await store.list()).toEqual([]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('other sources', () => {
  it('a picked local folder (FilesPackSource, its top folder stripped) and an in-memory pack', async () => {
    const store = new PackStore(new MemoryStoreBackend());
    const picked = [...files].map(([path, b]) => ({ path: `my-pack/${path}`, file: new Blob([b as Uint8Array<ArrayBuffer>]) }));
    const info = await store.put(new FilesPackSource(picked, 'my-pack'));
    expect(info).toMatchObject({ id: 'tiny-sd', source: 'my-pack', complete: true });
    await store.delete('tiny-sd');
    expect(await store.list()).toEqual([]);
    await store.put(new MemoryPackSource(files) as PackSource);
    expect((await store.get('tiny-sd'))!.manifest.id).toBe('tiny-sd');
    const usage = await new PackStore(new MemoryStoreBackend(10 ** 9)).usage();
    expect(usage).toEqual({ usage: 0, quota: 10 ** 9, packBytes: 0 });
  });
});
