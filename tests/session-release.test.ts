/**
 * Memory discipline of the loader and the pipeline (issue 15), on the real tiny packs through onnxruntime-node:
 * each model's bytes are read right before its session is created (largest first) and not before, so no
 * model is held twice; `releaseModel` frees one session early and the runtime sees exactly one release per
 * session.
 */
import { describe, expect, it } from 'vitest';
import { PackError } from '../src/core/models/errors';
import { loadPack, sessionLoadOrder } from '../src/core/models/pack';
import { FsPackSource } from '../src/core/models/pack-source.node.ts';
import { createNodeRuntime } from '../src/core/models/ort-node.node.ts';
import type { PackSource, ReadLimits } from '../src/core/models/pack-source';
import type { ModelSession, Runtime } from '../src/core/models/runtime';
import { generate } from '../src/core/diffusion/pipeline';
import { bytesEqual, makeRequest, packDir } from './helpers';

const node = createNodeRuntime({ threads: 1 });

/** The real runtime, logging every session created and released (by the model's input names). */
export function loggingRuntime(log: string[]): Runtime {
  return {
    name: 'native',
    async createSession(model, options) {
      const s = await node.createSession(model, options);
      const id = s.inputs.map((i) => i.name).includes('input_ids')
        ? 'text_encoder'
        : s.inputs.some((i) => i.name === 'controlnet_cond')
          ? 'controlnet'
          : s.inputs.some((i) => i.name === 'timestep')
            ? 'unet'
            : s.outputs.some((o) => /latent/.test(o.name))
              ? 'vae_encoder'
              : 'vae_decoder';
      log.push(`create ${id}`);
      return {
        inputs: s.inputs,
        outputs: s.outputs,
        run: (f, o) => s.run(f, o),
        release: async () => {
          log.push(`release ${id}`);
          await s.release();
        },
      } satisfies ModelSession;
    },
  };
}

/** A pack folder that logs every file it reads. */
class LoggingSource implements PackSource {
  private inner: FsPackSource;
  constructor(
    dir: string,
    private log: string[],
  ) {
    this.inner = new FsPackSource(dir);
  }
  get location() {
    return this.inner.location;
  }
  readText(rel: string, limits?: ReadLimits) {
    this.log.push(`read ${rel}`);
    return this.inner.readText(rel, limits);
  }
  readFile(rel: string, limits?: ReadLimits) {
    this.log.push(`read ${rel}`);
    return this.inner.readFile(rel, limits);
  }
  exists(rel: string) {
    return this.inner.exists(rel);
  }
}

describe('loader: model bytes read just before their session, largest first', () => {
  for (const name of ['tiny-sd', 'tiny-controlnet'] as const) {
    it(`${name}: small files first, then per model (sessionLoadOrder) its files and its session, nothing read after`, async () => {
      const log: string[] = [];
      const pack = await loadPack(new LoggingSource(packDir(name), log), loggingRuntime(log));
      const order = sessionLoadOrder(pack.manifest);
      expect(order[0]).toBe('unet');
      // every model: its graph (and external data) read, then its session created, before the next model is read
      const modelEvents = log.filter((e) => e.startsWith('create') || /^read (unet|controlnet|text_encoder|vae_encoder|vae_decoder)\/.*(\.onnx|_data)$/.test(e));
      const expected: string[] = [];
      for (const m of order) {
        for (const f of Object.keys(pack.manifest.files).filter((f) => f.startsWith(`${m}/`) && (f.endsWith('.onnx') || f.endsWith('_data')))) expected.push(`read ${f}`);
        expected.push(`create ${m}`);
      }
      expect(modelEvents).toEqual(expected);
      // the small files (tokenizer, scheduler) were all read before the first model file
      const firstModelRead = log.indexOf(expected[0]);
      expect(log.slice(0, firstModelRead).some((e) => e.includes('scheduler/'))).toBe(true);
      expect(log.slice(firstModelRead).some((e) => e.includes('scheduler/') || e.includes('tokenizer/'))).toBe(false);
      await pack.release();
    });
  }
});

describe('releaseModel', () => {
  it('frees one session at once, refuses its later runs by name, and release() frees only the rest', async () => {
    const log: string[] = [];
    const pack = await loadPack(new FsPackSource(packDir('tiny-sd')), loggingRuntime(log));
    expect(pack.released).toEqual([]);
    await pack.releaseModel('text_encoder');
    await pack.releaseModel('text_encoder'); // idempotent
    expect(log.filter((e) => e.startsWith('release'))).toEqual(['release text_encoder']);
    expect(pack.released).toEqual(['text_encoder']);
    const te = pack.io.textEncoder;
    const ids = new BigInt64Array(pack.tokenizer.maxLength);
    await expect(te.session.run({ input_ids: { type: 'int64', data: ids, dims: [1, ids.length] } })).rejects.toThrow(PackError);
    await expect(te.session.run({ input_ids: { type: 'int64', data: ids, dims: [1, ids.length] } })).rejects.toThrow(/text_encoder\/model\.onnx/);
    await pack.release();
    // each session released exactly once
    const releases = log.filter((e) => e.startsWith('release')).sort();
    expect(releases).toEqual(['release text_encoder', 'release unet', 'release vae_decoder', 'release vae_encoder']);
  });
});

describe('one-shot generate (releaseAfterUse, the CLI generate)', () => {
  for (const name of ['tiny-sd', 'tiny-controlnet'] as const) {
    it(`${name}: the text encoder is released after conditioning, the VAE encoder after the last round trip; same pixels`, async () => {
      const req = makeRequest({ steps: 6 }); // pixel stage: the last step(s) do round trips
      const keep = await loadPack(new FsPackSource(packDir(name)), node);
      const ref = await generate(keep, req);
      expect(keep.released).toEqual([]);
      await keep.release();

      const log: string[] = [];
      const pack = await loadPack(new FsPackSource(packDir(name)), loggingRuntime(log));
      const seen: string[][] = [];
      const res = await generate(pack, req, { releaseAfterUse: true, onStep: () => void seen.push([...pack.released]) });
      expect(seen[0]).toEqual(['text_encoder']); // from the first step on
      expect(seen[seen.length - 1]).toEqual(['text_encoder']); // the encoder still there for the last round trip
      expect(pack.released).toEqual(['text_encoder', 'vae_encoder']);
      expect(log.filter((e) => e.startsWith('release'))).toEqual(['release text_encoder', 'release vae_encoder']);
      expect(bytesEqual(res.image.data, ref.image.data)).toBe(true);
      // the pack is spent: a second run names the released model
      await expect(generate(pack, req)).rejects.toThrow(/text_encoder\/model\.onnx/);
      await pack.release();
      expect(log.filter((e) => e.startsWith('release')).length).toBe(log.filter((e) => e.startsWith('create')).length);
    });
  }

  it('without a pixel stage the VAE encoder goes before the first step', async () => {
    const pack = await loadPack(new FsPackSource(packDir('tiny-sd')), node);
    const req = makeRequest({ steps: 4 });
    req.stages = { ...req.stages, pixelEditStart: 1 };
    const seen: string[][] = [];
    await generate(pack, req, { releaseAfterUse: true, onStep: () => void seen.push([...pack.released]) });
    expect(seen[0]).toEqual(['text_encoder', 'vae_encoder']);
    await pack.release();
  });
});

describe('FsPackSource reads a large file in chunks', () => {
  it('never asks one read call for more than its chunk (Node aborts on reads over 2 GiB: the 3.4 GB UNet data)', async () => {
    const { open } = await import('node:fs/promises');
    const probe = await open(packDir('tiny-sd') + '/unet/model.onnx');
    const proto = Object.getPrototypeOf(probe) as { read: (...a: unknown[]) => Promise<{ bytesRead: number }> };
    await probe.close();
    const lengths: number[] = [];
    const original = proto.read;
    proto.read = function (this: unknown, ...args: unknown[]) {
      if (typeof args[2] === 'number') lengths.push(args[2]);
      return original.apply(this, args);
    };
    try {
      const chunked = new FsPackSource(packDir('tiny-sd'), { readChunk: 4096 });
      const whole = new FsPackSource(packDir('tiny-sd'));
      const size = (await whole.readFile('unet/model.onnx')).length;
      expect(size).toBeGreaterThan(3 * 4096);
      lengths.length = 0;
      const a = await chunked.readFile('unet/model.onnx', { bytes: size });
      expect(Math.max(...lengths)).toBeLessThanOrEqual(4096);
      expect(lengths.length).toBeGreaterThanOrEqual(Math.ceil(size / 4096));
      expect(bytesEqual(a, await whole.readFile('unet/model.onnx'))).toBe(true);
    } finally {
      proto.read = original;
    }
  });
});

describe('FsPackSource hashes while it reads', () => {
  it('readFileHashed gives the bytes and node:crypto sha256; the loader uses it (one pass, no 2 GiB WebCrypto limit)', async () => {
    const { createHash } = await import('node:crypto');
    const src = new FsPackSource(packDir('tiny-sd'), { readChunk: 4096 });
    const { data, sha256 } = await src.readFileHashed('unet/model.onnx');
    expect(sha256).toBe(createHash('sha256').update(data).digest('hex'));
    const log: string[] = [];
    class Counting extends FsPackSource {
      override async readFileHashed(rel: string, limits?: ReadLimits) {
        log.push(rel);
        return super.readFileHashed(rel, limits);
      }
    }
    // bytes to the runtime (onnxruntime-web's way): every file read and hashed in one pass
    const pack = await loadPack(new Counting(packDir('tiny-sd')), { name: 'native', createSession: node.createSession });
    expect(log).toContain('unet/model.onnx');
    expect(log.length).toBe(Object.keys(pack.manifest.files).length);
    await pack.release();
    // onnxruntime-node on a folder: the models' files are hashed streaming (hashFile), never read into memory
    log.length = 0;
    const hashed: string[] = [];
    class Streaming extends Counting {
      override async hashFile(rel: string, limits?: ReadLimits) {
        hashed.push(rel);
        return super.hashFile(rel, limits);
      }
    }
    const byPath = await loadPack(new Streaming(packDir('tiny-sd')), node);
    const models = Object.keys(byPath.manifest.files).filter((f) => f.endsWith('.onnx'));
    expect(hashed.sort()).toEqual(models.sort());
    expect(log.filter((f) => f.endsWith('.onnx'))).toEqual([]);
    expect(log.length + hashed.length).toBe(Object.keys(byPath.manifest.files).length);
    await byPath.release();
  });
});
