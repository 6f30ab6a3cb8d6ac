/** FetchPackSource (the browser path) against a local HTTP server, through to a generation. */
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../src/core/diffusion/pipeline';
import { PackError } from '../src/core/models/errors';
import { loadPack } from '../src/core/models/pack';
import { FetchPackSource, type PackProgress } from '../src/core/models/pack-source';
import { createNodeRuntime } from '../src/core/models/ort-node.node.ts';
import { PACKS, makeRequest } from './helpers';

let server: Server;
let base: string;
const runtime = createNodeRuntime({ threads: 1 });

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^\/+/, '');
    try {
      const data = await readFile(join(PACKS, path));
      res.writeHead(200, { 'content-length': data.length });
      res.end(req.method === 'HEAD' ? undefined : data);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

describe('FetchPackSource', () => {
  it('loads a pack over HTTP with progress and generates', async () => {
    const source = new FetchPackSource(base + 'tiny-builtin');
    const progress: PackProgress[] = [];
    expect(await source.exists('defect-studio.json')).toBe(true);
    expect(await source.exists('nope.json')).toBe(false);
    const pack = await loadPack(source, runtime, { onProgress: (e) => progress.push(e) });
    try {
      expect(progress.map((p) => p.file)).toContain('unet/model.onnx');
      // byte progress: never backwards, ends at the pack's declared size
      const total = Object.values(pack.manifest.files).reduce((a, f) => a + f.bytes, 0);
      expect(progress.every((p, i) => p.phase === 'read' && p.totalBytes === total && (i === 0 || p.loadedBytes >= progress[i - 1].loadedBytes))).toBe(true);
      expect(progress.at(-1)!.loadedBytes).toBe(total);
      const res = await generate(pack, makeRequest({ steps: 3 }));
      expect(res.mask.some((v) => v === 255)).toBe(true);
    } finally {
      await pack.release();
    }
  });

  it('names the missing file on a 404', async () => {
    await expect(loadPack(new FetchPackSource(base + 'no-such-pack'), runtime)).rejects.toMatchObject({
      name: 'PackError',
      file: 'defect-studio.json',
    });
    await expect(loadPack(new FetchPackSource(base + 'no-such-pack'), runtime)).rejects.toBeInstanceOf(PackError);
  });
});
