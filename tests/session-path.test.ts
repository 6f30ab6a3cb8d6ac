/**
 * Sessions from the model's path (issue 15, memory discipline): on a pack folder, onnxruntime-node creates each
 * session from the verified file itself (`Runtime.createSessionFromFile`, `localModelPaths`), so no model byte
 * passes through JavaScript; every file is still checked (size, sha256 streamed) before its session exists,
 * and the graph may name only its listed external data. Real tiny packs, real onnxruntime-node sessions.
 */
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../src/core/diffusion/pipeline';
import { PackFileError } from '../src/core/models/errors';
import { loadPack } from '../src/core/models/pack';
import { FsPackSource } from '../src/core/models/pack-source.node.ts';
import { createNodeRuntime } from '../src/core/models/ort-node.node.ts';
import type { PackProgress } from '../src/core/models/pack-source';
import { externalDataLocations } from '../src/core/models/onnx';
import type { Runtime } from '../src/core/models/runtime';
import { bytesEqual, makeRequest, packDir } from './helpers';

const node = createNodeRuntime({ threads: 1 });

/** The real runtime, logging how each session is made: `path <file>` or `bytes`. */
function spyRuntime(log: string[], byPath = true): Runtime {
  return {
    name: 'native',
    createSession: (m, o) => (log.push('bytes'), node.createSession(m, o)),
    ...(byPath ? { createSessionFromFile: (p: string, o?: Parameters<NonNullable<Runtime['createSessionFromFile']>>[1]) => (log.push(`path ${p.split('/').slice(-2).join('/')}`), node.createSessionFromFile!(p, o)) } : {}),
  };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ds-path-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function copyPack(name: string, to: string): string {
  const d = join(dir, to);
  cpSync(packDir(name), d, { recursive: true });
  return d;
}

/** Rewrite a file of a copied pack and its manifest entry (size and sha256), so only the named check can fail. */
function rewrite(pack: string, rel: string, data: Uint8Array): void {
  writeFileSync(join(pack, rel), data);
  const m = JSON.parse(readFileSync(join(pack, 'defect-studio.json'), 'utf8'));
  m.files[rel] = { bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') };
  writeFileSync(join(pack, 'defect-studio.json'), JSON.stringify(m));
}

describe('sessions from the model path (onnxruntime-node)', () => {
  for (const name of ['tiny-controlnet', 'tiny-sd-fp16w']) {
    it(`${name}: every session from its path, the same pixels as from bytes, full read progress`, async () => {
      const log: string[] = [];
      const events: PackProgress[] = [];
      const a = await loadPack(new FsPackSource(packDir(name)), spyRuntime(log), { onProgress: (e) => events.push(e) });
      const b = await loadPack(new FsPackSource(packDir(name)), spyRuntime([], false));
      try {
        expect(log.every((l) => l.startsWith('path '))).toBe(true);
        expect(log).toContain('path unet/model.onnx');
        expect(log.length).toBe(name === 'tiny-controlnet' ? 5 : 4);
        const last = events[events.length - 1];
        expect(last.loadedBytes).toBe(last.totalBytes);
        // every listed file was reported complete (the models' files by their streamed check)
        const done = new Set(events.filter((e) => e.fileLoadedBytes === e.fileTotalBytes).map((e) => e.file));
        expect([...done].sort()).toEqual(Object.keys(a.manifest.files).sort());
        const req = makeRequest({ steps: 3 });
        const ra = await generate(a, req);
        const rb = await generate(b, req);
        expect(bytesEqual(ra.image.data, rb.image.data)).toBe(true);
        expect(bytesEqual(ra.mask, rb.mask)).toBe(true);
      } finally {
        await a.release();
        await b.release();
      }
    }, 120_000);
  }

  it('a changed byte of the external data is refused before any session is created from it', async () => {
    const pack = copyPack('tiny-controlnet', 'changed');
    const data = readFileSync(join(pack, 'unet/model.onnx_data'));
    data[data.length >> 1] ^= 1;
    writeFileSync(join(pack, 'unet/model.onnx_data'), data);
    const log: string[] = [];
    await expect(loadPack(new FsPackSource(pack), spyRuntime(log))).rejects.toThrow(/sha256 differs from the manifest; file unet\/model.onnx_data/);
    expect(log).toEqual([]); // the UNet is the first session: none was made
  });

  it('a file changed on disk after its check (inside the session creation) is refused by name, and that session released', async () => {
    const pack = copyPack('tiny-controlnet', 'changed-late');
    const dataPath = join(pack, 'unet/model.onnx_data');
    const log: string[] = [];
    const released: string[] = [];
    // onnxruntime reads the files while the session is created: change a byte (and the mtime) right there.
    const runtime: Runtime = {
      name: 'native',
      createSession: (m, o) => node.createSession(m, o),
      createSessionFromFile: async (p, o) => {
        const model = p.split('/').slice(-2).join('/');
        log.push(model);
        if (model === 'unet/model.onnx') {
          const data = readFileSync(dataPath);
          data[data.length >> 1] ^= 1;
          const before = statSync(dataPath).mtime;
          writeFileSync(dataPath, data);
          utimesSync(dataPath, before, new Date(before.getTime() + 5000));
        }
        const s = await node.createSessionFromFile!(p, o);
        return { ...s, inputs: s.inputs, outputs: s.outputs, run: s.run.bind(s), release: () => (released.push(model), s.release()) };
      },
    };
    const err = await loadPack(new FsPackSource(pack), runtime).catch((e) => e);
    expect(err).toBeInstanceOf(PackFileError);
    expect(err.file).toBe('unet/model.onnx_data');
    expect(err.message).toMatch(/^file changed on disk after it was checked; file unet\/model.onnx_data; expected \d+ bytes, mtime \d+ ns/);
    expect(log).toEqual(['unet/model.onnx']); // the UNet is the first session: refused before any other
    expect(released).toEqual(['unet/model.onnx']);
  });

  it('a graph that names external data the manifest does not list is refused (an unlisted file beside it)', async () => {
    const pack = copyPack('tiny-controlnet', 'unlisted');
    const graph = readFileSync(join(pack, 'unet/model.onnx'));
    const edited = Buffer.from(graph.toString('latin1').replaceAll('model.onnx_data', 'model.onnx_dat2'), 'latin1');
    cpSync(join(pack, 'unet/model.onnx_data'), join(pack, 'unet/model.onnx_dat2'));
    rewrite(pack, 'unet/model.onnx', edited);
    expect(await externalDataLocations(async (o, n) => edited.subarray(o, o + n), edited.length)).toEqual(['model.onnx_dat2']);
    const log: string[] = [];
    await expect(loadPack(new FsPackSource(pack), spyRuntime(log))).rejects.toThrow(
      /the model names external data that the manifest does not list; file unet\/model.onnx; expected unet\/model.onnx_data; found model.onnx_dat2/,
    );
    expect(log).toEqual([]);
  });

  it('a model reached through a symbolic link inside the pack is handed over as bytes; the others by path', async () => {
    const pack = copyPack('tiny-sd', 'linked');
    renameSync(join(pack, 'vae_decoder/model.onnx'), join(pack, 'vae_decoder/real.onnx'));
    symlinkSync('real.onnx', join(pack, 'vae_decoder/model.onnx'));
    const log: string[] = [];
    const p = await loadPack(new FsPackSource(pack), spyRuntime(log));
    await p.release();
    expect(log).toEqual(['path unet/model.onnx', 'path text_encoder/model.onnx', 'path vae_encoder/model.onnx', 'bytes']);
  });

  it('finds the external-data locations of a real graph from its headers only', async () => {
    const g = readFileSync(join(packDir('tiny-controlnet'), 'unet/model.onnx'));
    const reads: number[] = [];
    const locs = await externalDataLocations(async (o, n) => (reads.push(n), g.subarray(o, o + n)), g.length);
    expect(locs).toEqual(['model.onnx_data']);
    expect(await externalDataLocations(async (o, n) => readFileSync(join(packDir('tiny-sd'), 'unet/model.onnx')).subarray(o, o + n), readFileSync(join(packDir('tiny-sd'), 'unet/model.onnx')).length)).toEqual([]);
    await expect(externalDataLocations(async () => new Uint8Array([0xff, 0xff]), 2)).rejects.toThrow(/not an ONNX model/);
  });
});
