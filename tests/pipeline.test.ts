/** Pipeline invariants on every tiny pack through onnxruntime-node (real sessions on real ONNX files). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFECT } from '../src/core/image';
import { SCHEDULER_NAMES } from '../src/core/settings';
import { generate } from '../src/core/diffusion/pipeline';
import type { DecoderAdapter, StepEvent } from '../src/core/diffusion/types';
import { loadPack, type LoadedPack } from '../src/core/models/pack';
import { FsPackSource } from '../src/core/models/pack-source.node.ts';
import { createNodeRuntime } from '../src/core/models/ort-node.node.ts';
import { PACK_NAMES, bytesEqual, makeImage, makeRequest, makeTrimap, packDir } from './helpers';

const runtime = createNodeRuntime({ threads: 1 });

for (const name of PACK_NAMES) {
  describe(`pipeline on ${name}`, () => {
    let pack: LoadedPack;
    beforeAll(async () => {
      pack = await loadPack(new FsPackSource(packDir(name)), runtime);
    });
    afterAll(async () => {
      await pack?.release();
    });

    it('keeps every pixel outside the defect bit-identical and the mask equal to the defect region', async () => {
      const req = makeRequest();
      const events: StepEvent[] = [];
      const res = await generate(pack, req, { onStep: (e) => events.push(e) });
      const { image, trimap } = req;
      expect(res.image.width).toBe(image.width);
      expect(res.image.height).toBe(image.height);
      let changedInside = 0;
      for (let p = 0; p < trimap.data.length; p++) {
        const inDefect = trimap.data[p] === DEFECT;
        expect(res.mask[p]).toBe(inDefect ? 255 : 0);
        for (let c = 0; c < 4; c++) {
          const a = image.data[p * 4 + c];
          const b = res.image.data[p * 4 + c];
          if (!inDefect || c === 3) {
            if (a !== b) throw new Error(`pixel ${p} channel ${c} changed outside the defect: ${a} -> ${b}`);
          } else if (a !== b) changedInside++;
        }
      }
      expect(changedInside).toBeGreaterThan(0);
      // one event per step, in order, with the stage boundaries of the fractions (6 steps: 2 / 4)
      expect(events.map((e) => e.step)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(events.map((e) => e.stage)).toEqual(['free', 'free', 'latent-edit', 'latent-edit', 'pixel-edit', 'pixel-edit']);
      const [C, h, w] = events[0].latentShape;
      expect(C).toBe(pack.manifest.latentChannels);
      expect(h).toBe(pack.manifest.resolution / pack.manifest.vaeScaleFactor);
      expect(events[0].latent.length).toBe(C * h * w);
      expect(events[0].x0Hat.length).toBe(C * h * w);
      expect(events.every((e) => e.latent.every(Number.isFinite))).toBe(true);
      expect(events[0].timestep).toBe(pack.schedulerConfig.timestep_spacing === 'trailing' ? 999 : 831); // leading: 5 * floor(1000 / 6) + 1
      expect(res.timings.unet).toBeGreaterThan(0);
      expect(res.timings.total).toBeGreaterThanOrEqual(res.timings.models);
    });

    it('gives identical bytes for the same seed and different bytes for another seed', async () => {
      const a = await generate(pack, makeRequest({ seed: 99 }));
      const b = await generate(pack, makeRequest({ seed: 99 }));
      const c = await generate(pack, makeRequest({ seed: 100 }));
      expect(bytesEqual(a.image.data, b.image.data)).toBe(true);
      expect(bytesEqual(a.image.data, c.image.data)).toBe(false);
    });

    it('aborts within a step with an AbortError and no result', async () => {
      const ctrl = new AbortController();
      let steps = 0;
      const p = generate(pack, makeRequest({ steps: 6 }), {
        signal: ctrl.signal,
        onStep: () => {
          steps++;
          if (steps === 2) ctrl.abort();
        },
      });
      await expect(p).rejects.toMatchObject({ name: 'AbortError' });
      expect(steps).toBe(2);
    });
  });
}

describe('pipeline details', () => {
  let pack: LoadedPack;
  beforeAll(async () => {
    pack = await loadPack(new FsPackSource(packDir('tiny-sd')), runtime);
  });
  afterAll(async () => {
    await pack?.release();
  });

  it('crops a context window around the defect in a large image and pastes only the defect', async () => {
    const image = makeImage(300, 200, 3);
    const trimap = makeTrimap(300, 200, 250, 150, 5, 4);
    const req = makeRequest({ image, trimap, contextMargin: 10 });
    const res = await generate(pack, req);
    expect(res.crop.size).toBe(64);
    expect(res.crop.x).toBeLessThanOrEqual(245);
    expect(res.crop.x + res.crop.size).toBeGreaterThanOrEqual(255);
    expect(res.crop.y + res.crop.size).toBeLessThanOrEqual(200);
    let diff = 0;
    for (let p = 0; p < trimap.data.length; p++) {
      if (trimap.data[p] !== DEFECT) {
        for (let c = 0; c < 4; c++) if (res.image.data[p * 4 + c] !== image.data[p * 4 + c]) diff++;
      }
    }
    expect(diff).toBe(0);
  });

  it('rejects an empty defect region and a size mismatch', async () => {
    const req = makeRequest();
    const empty = { ...req.trimap, data: req.trimap.data.map((v) => (v === DEFECT ? 1 : v)) };
    await expect(generate(pack, { ...req, trimap: empty })).rejects.toThrow(/no defect region/);
    await expect(generate(pack, { ...req, trimap: makeTrimap(10, 10, 5, 5, 2, 2) })).rejects.toThrow(/does not match/);
  });

  it('runs every scheduler and DDIM with eta deterministically', async () => {
    for (const scheduler of SCHEDULER_NAMES) {
      const a = await generate(pack, makeRequest({ scheduler, eta: scheduler === 'ddim' ? 0.5 : 0 }));
      const b = await generate(pack, makeRequest({ scheduler, eta: scheduler === 'ddim' ? 0.5 : 0 }));
      expect(bytesEqual(a.image.data, b.image.data)).toBe(true);
    }
  });

  it('calls the decoder adapter between the final decode and the paste, and reports its timing', async () => {
    let calls = 0;
    const adapter: DecoderAdapter = {
      async adapt(args) {
        calls++;
        expect(args.width).toBe(64);
        expect(args.xGen.length).toBe(3 * 64 * 64);
        expect(args.xOk.length).toBe(3 * 64 * 64);
        expect(args.defect.some((v) => v === 1)).toBe(true);
        // paint the whole image white: only defect pixels may reach the output
        return { image: new Float32Array(args.xGen.length).fill(1), report: { applied: true, backgroundMseBefore: 1, backgroundMseAfter: 0.5 } };
      },
    };
    const req = makeRequest({ adaptation: { enabled: true, backgroundWeight: 100, mu: 1e-3, maxSamples: 1000 } });
    const res = await generate(pack, req, { adapter });
    expect(calls).toBe(1);
    expect(res.adaptation?.applied).toBe(true);
    expect(res.timings.adapt).toBeGreaterThanOrEqual(0);
    for (let p = 0; p < req.trimap.data.length; p++) {
      if (req.trimap.data[p] === DEFECT) expect(res.image.data[p * 4]).toBe(255);
      else expect(res.image.data[p * 4]).toBe(req.image.data[p * 4]);
    }
    const off = await generate(pack, { ...req, adaptation: { ...req.adaptation, enabled: false } }, { adapter });
    expect(calls).toBe(1);
    expect(off.adaptation).toBeUndefined();
  });

  it('contextNorm: the models see the crop with its context mean at mid grey, the defect comes back in the photo colour', async () => {
    // a flat reddish photo; the adapter checks what the models saw and returns mid grey (0 in [-1, 1])
    const image = makeImage(80, 60);
    for (let p = 0; p < 80 * 60; p++) image.data.set([200, 60, 30, 255], p * 4);
    const req = makeRequest({ image, adaptation: { enabled: true, backgroundWeight: 100, mu: 1e-3, maxSamples: 1000 } });
    const seen: number[][] = [];
    const adapter: DecoderAdapter = {
      async adapt(args) {
        const plane = args.width * args.height;
        const mean = [0, 1, 2].map((c) => {
          let s = 0;
          let n = 0;
          for (let p = 0; p < plane; p++) if (!args.defect[p]) (s += args.xOk[c * plane + p]), n++;
          return s / n;
        });
        seen.push(mean);
        return { image: new Float32Array(args.xGen.length).fill(0), report: { applied: true } };
      },
    };
    const normed = { ...pack, manifest: { ...pack.manifest, contextNorm: true } };
    const res = await generate(normed, req, { adapter });
    // with the flag: context mean at mid grey in every channel (gain 0.5/0.784 for red; 0.5/0.235 and 3 (clamped) for G, B)
    expect(seen[0][0]).toBeCloseTo(0, 2);
    expect(seen[0][1]).toBeCloseTo(0, 2);
    expect(seen[0][2]).toBeCloseTo(2 * ((30 / 255) * 3) - 1, 2);
    // mid grey inside the defect comes back as the photo's own colour (B clamped: 0.5 / 3)
    const p = req.trimap.data.indexOf(DEFECT);
    const rgb = Array.from(res.image.data.slice(p * 4, p * 4 + 3));
    [200, 60, (0.5 / 3) * 255].forEach((v, c) => expect(Math.abs(rgb[c] - v)).toBeLessThanOrEqual(1));
    // without the flag the models see the photo itself
    await generate(pack, req, { adapter });
    expect(seen[1][0]).toBeCloseTo((200 / 255) * 2 - 1, 1);
  });

  it('reports the decode stage and honours an abort fired from a timer (a Stop message)', async () => {
    const stages: string[] = [];
    await generate(pack, makeRequest(), { onStage: (s) => stages.push(s) });
    expect(stages).toEqual(['decode']);
    const ctrl = new AbortController();
    let steps = 0;
    const p = generate(pack, makeRequest({ steps: 50 }), { signal: ctrl.signal, onStep: () => void steps++ });
    setTimeout(() => ctrl.abort(), 0);
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(steps).toBeLessThan(50);
    const pre = new AbortController();
    pre.abort();
    await expect(generate(pack, makeRequest(), { signal: pre.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('stops with a clear error when the UNet produces NaN (fp16 overflow)', async () => {
    const nanRuntime = {
      name: 'nan',
      async createSession(model: Uint8Array, options?: Parameters<typeof runtime.createSession>[1]) {
        const s = await runtime.createSession(model, options);
        if (!s.outputs.some((o) => o.name === 'out_sample')) return s;
        return {
          inputs: s.inputs,
          outputs: s.outputs,
          release: () => s.release(),
          async run(feeds: Parameters<typeof s.run>[0]) {
            const out = await s.run(feeds);
            (out.out_sample.data as Float32Array).fill(NaN);
            return out;
          },
        };
      },
    };
    const p2 = await loadPack(new FsPackSource(packDir('tiny-sd')), nanRuntime);
    try {
      await expect(generate(p2, makeRequest())).rejects.toThrow(/UNet produced NaN.*file unet\/model.onnx/);
    } finally {
      await p2.release();
    }
  });

  it('guidance 1 skips the unconditional branch', async () => {
    const res = await generate(pack, makeRequest({ guidance: 1 }));
    expect(res.image.width).toBe(80);
  });
});
