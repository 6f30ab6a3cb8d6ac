/**
 * The named parts of the pipeline (src/core/diffusion/parts/), each alone, on the real tiny packs through
 * onnxruntime-node: shapes, values against the sessions run directly, and the invariants of METHOD.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFECT } from '../src/core/image';
import { createPackDecoderAdapter } from '../src/core/diffusion/adaptation';
import { adaptDecoder, defectBytes } from '../src/core/diffusion/parts/adapt';
import { blendLatent, keepOutsideDefect, pixelRoundTrip } from '../src/core/diffusion/parts/blend';
import { packDims, prepareContext, type GenerationContext } from '../src/core/diffusion/parts/context';
import { pasteResult } from '../src/core/diffusion/parts/paste';
import { ModelRunner } from '../src/core/diffusion/parts/runner';
import { textConditioning } from '../src/core/diffusion/parts/text';
import { maskedImage, noisePredictor, unetConditioning } from '../src/core/diffusion/parts/unet';
import { vaeDecode, vaeEncode } from '../src/core/diffusion/parts/vae';
import { startTrajectory } from '../src/core/diffusion/pipeline';
import { Rng } from '../src/core/diffusion/rng';
import { createScheduler } from '../src/core/diffusion/schedulers';
import type { DecoderAdapter } from '../src/core/diffusion/types';
import { loadPack, type LoadedPack } from '../src/core/models/pack';
import { FsPackSource } from '../src/core/models/pack-source.node.ts';
import { createNodeRuntime } from '../src/core/models/ort-node.node.ts';
import { makeTensor, tensorToFloat32 } from '../src/core/models/tensor';
import { PACK_NAMES, bytesEqual, makeRequest, packDir } from './helpers';

const runtime = createNodeRuntime({ threads: 1 });
const packs: Record<string, LoadedPack> = {};

beforeAll(async () => {
  for (const name of PACK_NAMES) packs[name] = await loadPack(new FsPackSource(packDir(name)), runtime);
});
afterAll(async () => {
  for (const p of Object.values(packs)) await p.release();
});

/** A smooth test crop in [-1, 1], planar [3, R, R]. */
function ramp(R: number): Float32Array {
  const x = new Float32Array(3 * R * R);
  for (let c = 0; c < 3; c++) for (let p = 0; p < R * R; p++) x[c * R * R + p] = Math.sin(p * 0.01 + c) * 0.8;
  return x;
}

describe('prepareContext', () => {
  it.each(PACK_NAMES)('%s: crop around the defect, masks at native and latent size, the crop in [-1, 1]', (name) => {
    const pack = packs[name];
    const req = makeRequest();
    const ctx = prepareContext(pack, req);
    const { R, l, C, latentLen } = ctx.dims;
    expect(latentLen).toBe(C * l * l);
    expect(l * pack.manifest.vaeScaleFactor).toBe(R);
    // the defect ellipse (31..49 x 24..36) lies inside the crop
    expect(ctx.crop.x).toBeLessThanOrEqual(31);
    expect(ctx.crop.y).toBeLessThanOrEqual(24);
    expect(ctx.crop.x + ctx.crop.size).toBeGreaterThan(49);
    expect(ctx.crop.y + ctx.crop.size).toBeGreaterThan(36);
    const { classes, defectNative, defectCells, editLatent } = ctx.masks;
    expect(classes.length).toBe(R * R);
    expect(defectNative.length).toBe(R * R);
    expect(defectCells.length).toBe(l * l);
    for (let p = 0; p < R * R; p++) expect(defectNative[p]).toBe(classes[p] === 2 ? 1 : 0);
    // the edit mask contains every defect cell and grows past it (dilation 8 px)
    let grown = 0;
    for (let p = 0; p < l * l; p++) {
      if (defectCells[p]) expect(editLatent[p]).toBe(1);
      if (editLatent[p] && !defectCells[p]) grown++;
    }
    expect(grown).toBeGreaterThan(0);
    expect(ctx.xOk.length).toBe(3 * R * R);
    expect(ctx.xOk.every((v) => v >= -1 && v <= 1)).toBe(true);
    expect(ctx.gains).toBeNull();
    // no dilation: the edit mask is the defect cells themselves
    expect(Array.from(prepareContext(pack, { ...req, dilationPx: 0 }).masks.editLatent)).toEqual(Array.from(defectCells));
  });

  it('contextNorm packs: the models see the crop with gains applied', () => {
    const pack = packs['tiny-sd'];
    const req = makeRequest();
    const plain = prepareContext(pack, req);
    const normed = prepareContext({ ...pack, manifest: { ...pack.manifest, contextNorm: true } }, req);
    expect(normed.gains).toHaveLength(3);
    expect(bytesEqual(plain.xOk, normed.xOk)).toBe(false);
    expect(Array.from(normed.masks.defectNative)).toEqual(Array.from(plain.masks.defectNative));
  });
});

describe('textConditioning', () => {
  it('one embedding per distinct text; uncond is the negative prompt; guidance 1 has no second branch', async () => {
    const pack = packs['tiny-sd'];
    const runner = new ModelRunner();
    const text = await textConditioning(pack, runner, { prompt: 'a scratch', negativePrompt: 'blurry', guidance: 7.5 });
    const [n, w] = text.seqDims;
    expect(n).toBe(pack.tokenizer.maxLength);
    expect(text.cond.length).toBe(n * w);
    expect(w).toBe(pack.io.textEncoder.hiddenDim ?? w);
    expect(text.guided).toBe(true);
    expect(bytesEqual(text.cond, text.uncond)).toBe(false);
    expect(text.empty).toBeNull();
    // the same embedding as the text encoder run directly
    const ids = pack.tokenizer.encode('blurry');
    const te = pack.io.textEncoder;
    const direct = tensorToFloat32((await te.session.run({ input_ids: makeTensor(te.idsType, ids, [1, ids.length]) }))[te.output]);
    expect(bytesEqual(text.uncond, direct)).toBe(true);
    expect(runner.timings.text).toBeGreaterThan(0);

    const one = await textConditioning(pack, new ModelRunner(), { prompt: 'a scratch', negativePrompt: 'blurry', guidance: 1 });
    expect(one.guided).toBe(false);
    expect(one.uncond).toBe(one.cond);
    expect(bytesEqual(one.cond, text.cond)).toBe(true);
  });

  it('a ControlNet pack also gets the empty prompt (the same array as an empty negative prompt)', async () => {
    const text = await textConditioning(packs['tiny-controlnet'], new ModelRunner(), { prompt: 'a hole', negativePrompt: '', guidance: 9 });
    expect(text.empty).not.toBeNull();
    expect(text.empty).toBe(text.uncond);
  });
});

describe('vaeEncode / vaeDecode', () => {
  it.each(PACK_NAMES)('%s: latents in UNet space (scale * VAE latent, the mean half for latent_parameters), decode divides by the scale', async (name) => {
    const pack = packs[name];
    const { R, C, l, scale, latentLen } = packDims(pack);
    const runner = new ModelRunner();
    const x = ramp(R);
    const z = await vaeEncode(pack, runner, x);
    expect(z.length).toBe(latentLen);
    const enc = pack.io.vaeEncoder;
    const raw = tensorToFloat32((await enc.session.run({ sample: makeTensor(enc.inputType, x, [1, 3, R, R]) }))[enc.output]);
    expect(raw.length).toBe((enc.takeMean ? 2 : 1) * latentLen);
    for (let i = 0; i < latentLen; i += 7) expect(z[i]).toBe(Math.fround(raw[i] * scale));
    expect(runner.timings.encode).toBeGreaterThan(0);

    const y = await vaeDecode(pack, runner, z);
    expect(y.length).toBe(3 * R * R);
    expect(y.every(Number.isFinite)).toBe(true);
    const dec = pack.io.vaeDecoder;
    const zin = z.map((v) => v / scale);
    const direct = tensorToFloat32((await dec.session.run({ latent_sample: makeTensor(dec.inputType, zin, [1, C, l, l]) }))[dec.output]);
    expect(bytesEqual(y, direct)).toBe(true);
    expect(runner.timings['vae-decode']).toBeGreaterThan(0);
  });
});

describe('unetConditioning', () => {
  it('concat pack: the manifest channels in order (defect cells, object mean, masked-image latent)', async () => {
    const pack = packs['tiny-builtin'];
    expect(pack.manifest.concatChannels).toEqual(['defect_mask', 'object_mask', 'masked_image_latent']);
    const ctx = prepareContext(pack, makeRequest());
    const { l, latentLen } = ctx.dims;
    const cond = await unetConditioning(pack, new ModelRunner(), ctx);
    expect(cond.hint).toBeNull();
    expect(cond.concat!.length).toBe(2 * l * l + latentLen);
    expect(Array.from(cond.concat!.subarray(0, l * l))).toEqual(Array.from(ctx.masks.defectCells));
    const obj = cond.concat!.subarray(l * l, 2 * l * l);
    expect(obj.every((v) => v >= 0 && v <= 1)).toBe(true);
    const masked = await vaeEncode(pack, new ModelRunner(), maskedImage(ctx.xOk, ctx.masks.defectNative));
    expect(bytesEqual(cond.concat!.subarray(2 * l * l), masked)).toBe(true);
  });

  it('maskedImage blanks exactly the defect pixels in all three planes', () => {
    const R = 8;
    const x = ramp(R).map((v) => v + 2); // no zeros of its own
    const defect = new Float32Array(R * R);
    defect[9] = defect[20] = 1;
    const m = maskedImage(x, defect);
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < R * R; p++) expect(m[c * R * R + p]).toBe(defect[p] ? 0 : x[c * R * R + p]);
    }
  });

  it('ControlNet pack: the trimap hint at native resolution; plain pack: nothing', async () => {
    const cn = packs['tiny-controlnet'];
    const ctx = prepareContext(cn, makeRequest());
    const cond = await unetConditioning(cn, new ModelRunner(), ctx);
    expect(cond.concat).toBeNull();
    expect(cond.hint!.length).toBe(3 * ctx.dims.R * ctx.dims.R);
    expect(new Set(Array.from(cond.hint!).map((v) => v.toFixed(3)))).toEqual(new Set(['0.000', '0.498', '1.000']));
    const sd = await unetConditioning(packs['tiny-sd'], new ModelRunner(), prepareContext(packs['tiny-sd'], makeRequest()));
    expect(sd).toEqual({ concat: null, hint: null });
  });
});

describe('noisePredictor', () => {
  it.each(PACK_NAMES)('%s: eps = uncond + g * (cond - uncond), finite, deterministic, timestep-dependent', async (name) => {
    const pack = packs[name];
    const ctx = prepareContext(pack, makeRequest());
    const runner = new ModelRunner();
    const text = await textConditioning(pack, runner, { prompt: 'a scratch', negativePrompt: '', guidance: 7.5 });
    const cond = await unetConditioning(pack, runner, ctx);
    const x = new Rng(5).randn(ctx.dims.latentLen);
    const at = (g: number, t = 501) => noisePredictor(pack, runner, text, cond, g)(x, t, 0);
    const u = await at(0);
    const c = await at(1);
    const e = await at(7.5);
    expect(e.length).toBe(ctx.dims.latentLen);
    expect(bytesEqual(u, c)).toBe(false);
    for (let k = 0; k < e.length; k++) expect(e[k]).toBe(Math.fround(u[k] + 7.5 * (c[k] - u[k])));
    expect(bytesEqual(await at(7.5), e)).toBe(true);
    expect(bytesEqual(await at(7.5, 21), e)).toBe(false);
    // without guidance the UNet runs the prompt's branch alone: the same eps as g = 1 in the guided run
    const single = await textConditioning(pack, runner, { prompt: 'a scratch', negativePrompt: '', guidance: 1 });
    expect(bytesEqual(await noisePredictor(pack, runner, single, cond, 1)(x, 501, 0), c)).toBe(true);
    expect(runner.timings.unet).toBeGreaterThan(0);
    if (name === 'tiny-controlnet') expect(runner.timings.controlnet).toBeGreaterThan(0);
  });

  it('names the UNet and the step when eps is not finite', async () => {
    const pack = packs['tiny-sd'];
    const ctx = prepareContext(pack, makeRequest());
    const runner = new ModelRunner();
    const text = await textConditioning(pack, runner, { prompt: 'a', negativePrompt: '', guidance: 2 });
    const predict = noisePredictor(pack, runner, text, await unetConditioning(pack, runner, ctx), 2);
    const x = new Float32Array(ctx.dims.latentLen).fill(NaN);
    await expect(predict(x, 501, 3)).rejects.toMatchObject({ name: 'PackError', file: 'unet/model.onnx', found: 'NaN at step 3' });
  });
});

describe('blending', () => {
  it('blendLatent: z inside the edit mask, the kept latent outside, in every channel', () => {
    const C = 4;
    const plane = 16;
    const kept = new Rng(1).randn(C * plane);
    const z = new Rng(2).randn(C * plane);
    const edit = new Float32Array(plane);
    edit[3] = edit[7] = edit[8] = 1;
    const out = blendLatent(kept, z, edit, C);
    for (let c = 0; c < C; c++) for (let p = 0; p < plane; p++) expect(out[c * plane + p]).toBe(edit[p] ? z[c * plane + p] : kept[c * plane + p]);
  });

  it('keepOutsideDefect: the input crop outside the defect, in place', () => {
    const R = 6;
    const x = ramp(R);
    const ok = ramp(R).map((v) => -v);
    const defect = new Float32Array(R * R);
    defect[0] = defect[14] = 1;
    const before = x.slice();
    expect(keepOutsideDefect(x, ok, defect)).toBe(x);
    for (let c = 0; c < 3; c++) for (let p = 0; p < R * R; p++) expect(x[c * R * R + p]).toBe(defect[p] ? before[c * R * R + p] : ok[c * R * R + p]);
  });

  it.each(['tiny-sd', 'tiny-inpaint-fp16'])('%s: pixelRoundTrip = addNoise(encode(decode(x0) inside the defect, input outside), fresh noise, t)', async (name) => {
    const pack = packs[name];
    const ctx = prepareContext(pack, makeRequest());
    const scheduler = createScheduler('ddim', pack.schedulerConfig);
    scheduler.setTimesteps(6);
    const x0 = new Rng(3).randn(ctx.dims.latentLen);
    const t = scheduler.timesteps[4];
    const z = await pixelRoundTrip(pack, new ModelRunner(), ctx, scheduler, new Rng(9), x0, t);
    expect(z.length).toBe(ctx.dims.latentLen);
    const runner = new ModelRunner();
    const composite = keepOutsideDefect(await vaeDecode(pack, runner, x0), ctx.xOk, ctx.masks.defectNative);
    const expected = scheduler.addNoise(await vaeEncode(pack, runner, composite), new Rng(9).randn(ctx.dims.latentLen), t);
    expect(bytesEqual(z, expected)).toBe(true);
    expect(bytesEqual(await pixelRoundTrip(pack, new ModelRunner(), ctx, scheduler, new Rng(10), x0, t), z)).toBe(false);
  });
});

describe('startTrajectory', () => {
  it('seeded noise times initNoiseSigma on the scheduler of the request', () => {
    const pack = packs['tiny-sd'];
    for (const scheduler of ['ddim', 'euler'] as const) {
      const { scheduler: s, z } = startTrajectory(pack, makeRequest({ scheduler, steps: 7 }), new Rng(4), 64);
      expect(s.name).toBe(scheduler);
      expect(s.timesteps.length).toBe(7);
      const noise = new Rng(4).randn(64);
      for (let i = 0; i < 64; i++) expect(z[i]).toBe(s.initNoiseSigma === 1 ? noise[i] : Math.fround(noise[i] * s.initNoiseSigma));
      if (scheduler === 'euler') expect(s.initNoiseSigma).toBeGreaterThan(1);
    }
  });
});

describe('adaptDecoder', () => {
  let ctx: GenerationContext;
  let xGen: Float32Array;
  let z: Float32Array;
  const settings = makeRequest().adaptation;
  beforeAll(async () => {
    const pack = packs['tiny-sd'];
    ctx = prepareContext(pack, makeRequest());
    z = new Rng(6).randn(ctx.dims.latentLen);
    xGen = await vaeDecode(pack, new ModelRunner(), z);
  });

  it('off: the decode as it is and no report; on without an adapter: a notice', async () => {
    const off = await adaptDecoder(undefined, { ...settings, enabled: false }, ctx, z, xGen);
    expect(off.xGen).toBe(xGen);
    expect(off.report).toBeUndefined();
    const none = await adaptDecoder(undefined, { ...settings, enabled: true }, ctx, z, xGen);
    expect(none.xGen).toBe(xGen);
    expect(none.report).toEqual({ applied: false, notice: 'no decoder adapter available' });
    expect(none.ms).toBeUndefined();
  });

  it('the pack adapter gets the context (latent, decode, crop, 0/1 defect) and its image replaces the decode only when applied', async () => {
    const handle = await createPackDecoderAdapter(packs['tiny-sd'], runtime);
    try {
      let stages = 0;
      const seen: Parameters<DecoderAdapter['adapt']>[0][] = [];
      const spy: DecoderAdapter = {
        adapt: (args) => {
          seen.push(args);
          return handle.adapter!.adapt(args);
        },
      };
      expect(handle.adapter).not.toBeNull();
      const res = await adaptDecoder(spy, { ...settings, enabled: true }, ctx, z, xGen, undefined, () => stages++);
      expect(stages).toBe(1);
      expect(seen[0].latent).toBe(z);
      expect(seen[0].xOk).toBe(ctx.xOk);
      expect(seen[0].width).toBe(ctx.dims.R);
      expect(Array.from(seen[0].defect)).toEqual(Array.from(defectBytes(ctx.masks.defectNative)));
      expect(res.ms).toBeGreaterThanOrEqual(0);
      expect(res.report?.applied).toBe(true);
      expect(res.xGen).not.toBe(xGen);
      expect(res.xGen.length).toBe(xGen.length);
      // the adapted decode is closer to the input outside the defect (the loss it minimises)
      expect(res.report!.backgroundMseAfter!).toBeLessThan(res.report!.backgroundMseBefore!);

      const refused: DecoderAdapter = { adapt: async () => ({ image: new Float32Array(xGen.length), report: { applied: false, notice: 'x', ms: 5 } }) };
      const kept = await adaptDecoder(refused, { ...settings, enabled: true }, ctx, z, xGen);
      expect(kept.xGen).toBe(xGen);
      expect(kept.report).toEqual({ applied: false, notice: 'x', ms: 5 });
    } finally {
      await handle.release();
    }
  });
});

describe('pasteResult', () => {
  it('the input outside the defect bit for bit, the generated crop inside, the mask 255 on the defect', () => {
    const pack = packs['tiny-sd'];
    const req = makeRequest();
    const ctx = prepareContext(pack, req);
    const white = new Float32Array(3 * ctx.dims.R * ctx.dims.R).fill(1);
    const { image, mask } = pasteResult(req, ctx, white);
    for (let p = 0; p < req.trimap.data.length; p++) {
      const inDefect = req.trimap.data[p] === DEFECT;
      expect(mask[p]).toBe(inDefect ? 255 : 0);
      for (let c = 0; c < 4; c++) {
        const want = inDefect && c < 3 ? 255 : req.image.data[p * 4 + c];
        if (image.data[p * 4 + c] !== want) throw new Error(`pixel ${p} channel ${c}: ${image.data[p * 4 + c]} != ${want}`);
      }
    }
    // with context gains the crop goes back through them: mid grey becomes the context colour, not grey
    const normed = prepareContext({ ...pack, manifest: { ...pack.manifest, contextNorm: true } }, req);
    const grey = new Float32Array(white.length);
    const a = pasteResult(req, normed, grey).image;
    const b = pasteResult(req, ctx, grey).image;
    expect(bytesEqual(a.data, b.data)).toBe(false);
  });
});
