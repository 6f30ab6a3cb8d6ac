/**
 * The three-stage pipeline of METHOD.md on one scheduler trajectory:
 *   1. free diffusion, 2. editing diffusion (latent blending, then pixel round trips),
 *   3. decoder adaptation (through a DecoderAdapter) after the final decode,
 * then the paste that keeps every pixel outside the defect bit-identical to the input.
 */
import { AbortedError, InputError } from '../errors';
import { DEFECT, type RGBAImage, type Trimap } from '../image';
import { PackError } from '../models/errors';
import type { LoadedPack, SessionIO } from '../models/pack';
import type { TensorData } from '../models/runtime';
import { makeTensor, tensorToFloat32 } from '../models/tensor';
import { chooseCrop, cropToPlanar, cropTrimap, defectBounds, defectMask, pasteDefect } from './crop';
import { contextDenormalize, contextGains, contextNormalize } from './contextnorm';
import { defectFloat, defectMaxPool, dilateSquare, objectMean, trimapHint } from './masks';
import { Rng } from './rng';
import { createScheduler } from './schedulers';
import { generationSettingsProblem } from '../settings';
import type { AdaptationReport, CropWindow, GenerateOptions, GenerateRequest, GenerateResult, Stage, StepEvent } from './types';

// InputError lives in src/core/errors.ts (the one error vocabulary); re-exported for the pipeline's callers.
export { InputError };

export function abortError(): AbortedError {
  return new AbortedError('Generation aborted');
}

/** Let queued macrotasks (e.g. a Worker's Stop message) run; MessageChannel avoids timer clamping. */
export function yieldToEventLoop(): Promise<void> {
  if (typeof MessageChannel !== 'undefined') {
    return new Promise((resolve) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        ch.port1.close();
        resolve();
      };
      ch.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortError();
}

/**
 * Step index ranges of the stages for N steps (METHOD.md; ref 26..45 latent, 45..49 pixel of 50). Step i covers
 * the slice [i/N, (i+1)/N) of the schedule; a stage takes every step whose slice reaches its start fraction,
 * i.e. starts at floor(fraction * N). With 25 steps and 0.9 the pixel stage is steps 22..24 (3 round trips,
 * timesteps 81, 41, 1 for DDIM: the reference's 45..49 cover t <= 81 too), with 20 steps 18..19.
 */
export function stageBounds(steps: number, fractions: GenerateRequest['stages']): { latentStart: number; pixelStart: number } {
  const clamp = (v: number) => Math.min(Math.max(v, 0), steps);
  const start = (f: number) => clamp(Math.floor(f * steps + 1e-9)); // 1e-9: 0.58 * 100 is 57.99999999999999
  const latentStart = start(fractions.latentEditStart);
  const pixelStart = Math.max(latentStart, start(fractions.pixelEditStart));
  return { latentStart, pixelStart };
}

export function stageOf(i: number, b: { latentStart: number; pixelStart: number }): Stage {
  return i >= b.pixelStart ? 'pixel-edit' : i >= b.latentStart ? 'latent-edit' : 'free';
}

/** Check the request; throws InputError with one clear line. */
export function validateRequest(request: GenerateRequest): void {
  const { image, trimap } = request;
  if (!image || !(image.width > 0) || !(image.height > 0) || image.data.length !== image.width * image.height * 4) {
    throw new InputError('image: expected RGBA data of width * height * 4 bytes');
  }
  if (!trimap || trimap.width !== image.width || trimap.height !== image.height || trimap.data.length !== trimap.width * trimap.height) {
    throw new InputError(
      `trimap size ${trimap?.width}x${trimap?.height} does not match the image size ${image.width}x${image.height}`,
    );
  }
  // The one settings validation (src/core/settings), with the same ranges as the UI and the CLI.
  const bad = generationSettingsProblem(request);
  if (bad) throw new InputError(bad);
  let any = false;
  for (let i = 0; i < trimap.data.length; i++) {
    if (trimap.data[i] === DEFECT) {
      any = true;
      break;
    }
  }
  if (!any) throw new InputError('the trimap has no defect region (no pixel is 255/defect)');
}

export interface ContextMasks {
  /** Trimap classes of the crop at native resolution (R x R). */
  classes: Uint8Array;
  /** 1 where the resized crop is defect (R x R). */
  defectNative: Float32Array;
  /** 1 where any pixel of a latent cell is defect (l x l). */
  defectCells: Float32Array;
  /** The latent edit mask: defectCells dilated by `marginPx` image pixels at native resolution (l x l). */
  editLatent: Float32Array;
}

/**
 * The masks of METHOD.md for one context window: the trimap resized to the native resolution R (a pixel is
 * defect if any source pixel under it is), max-pooled to latent cells (VAE factor f), dilated by a margin
 * given in pixels (round(marginPx / f) cells each side). An empty resized defect is an InputError.
 */
export function contextMasks(trimap: Trimap, crop: CropWindow, R: number, f: number, marginPx: number): ContextMasks {
  const classes = cropTrimap(trimap, crop, R);
  const defectNative = defectFloat(classes);
  let any = false;
  for (let p = 0; p < defectNative.length && !any; p++) any = defectNative[p] > 0;
  if (!any) {
    throw new InputError(
      `the defect region is empty in the ${crop.size}x${crop.size} context window at (${crop.x}, ${crop.y}) resized to ${R}x${R}`,
    );
  }
  const l = R / f;
  const defectCells = defectMaxPool(classes, R, f);
  const editLatent = dilateSquare(defectCells, l, 2 * Math.max(0, Math.round(marginPx / f)) + 1);
  return { classes, defectNative, defectCells, editLatent };
}

class Runner {
  readonly timings: Record<string, number> = {};
  constructor(private readonly signal?: AbortSignal) {}

  async run(key: string, io: SessionIO, feeds: Record<string, TensorData>): Promise<Record<string, TensorData>> {
    checkAbort(this.signal);
    const t0 = performance.now();
    let out: Record<string, TensorData>;
    try {
      out = await io.session.run(feeds);
    } catch (e) {
      throw new PackError('model run failed', { file: io.file, found: (e as Error).message?.split('\n')[0] });
    }
    const ms = performance.now() - t0;
    this.timings[key] = (this.timings[key] ?? 0) + ms;
    this.timings.models = (this.timings.models ?? 0) + ms;
    checkAbort(this.signal);
    return out;
  }
}

function repeatBatch(x: Float32Array, times: number): Float32Array {
  const out = new Float32Array(x.length * times);
  for (let b = 0; b < times; b++) out.set(x, b * x.length);
  return out;
}

function concatArrays(parts: Float32Array[]): Float32Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Float32Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export async function generate(pack: LoadedPack, request: GenerateRequest, options: GenerateOptions = {}): Promise<GenerateResult> {
  const tStart = performance.now();
  const { signal, onStep, onStage, adapter } = options;
  const yieldEachStep = options.yieldEachStep ?? true;
  checkAbort(signal);
  validateRequest(request);
  const m = pack.manifest;
  const io = pack.io;
  const R = m.resolution;
  const f = m.vaeScaleFactor;
  const l = pack.latentSize;
  const C = m.latentChannels;
  const scale = m.latentScale;
  const latentLen = C * l * l;
  const runner = new Runner(signal);
  const timings = runner.timings;

  // Crop to context at native resolution.
  const box = defectBounds(request.trimap)!;
  const crop = chooseCrop(request.image.width, request.image.height, box, R, request.contextMargin);
  const { classes, defectNative, defectCells, editLatent } = contextMasks(
    request.trimap,
    crop,
    R,
    f,
    request.dilationPx,
  );
  const xCrop = cropToPlanar(request.image, crop, R);
  // Packs trained with context normalisation see the crop with its context's colour gains applied (contextnorm.ts).
  const gains = m.contextNorm ? contextGains(xCrop, classes) : null;
  const xOk = gains ? contextNormalize(xCrop, gains) : xCrop;

  // Text embeddings (the unconditional branch drops only the text).
  const doCfg = request.guidance !== 1;
  const embCache = new Map<string, Float32Array>();
  const embed = async (text: string): Promise<Float32Array> => {
    const hit = embCache.get(text);
    if (hit) return hit;
    const ids = pack.tokenizer.encode(text);
    const te = io.textEncoder;
    const out = await runner.run('text', te, { input_ids: makeTensor(te.idsType, ids, [1, ids.length]) });
    const e = tensorToFloat32(out[te.output]).slice();
    embCache.set(text, e);
    return e;
  };
  const condEmb = await embed(request.prompt);
  const uncondEmb = doCfg ? await embed(request.negativePrompt ?? '') : condEmb;
  const seqDims = [pack.tokenizer.maxLength, condEmb.length / pack.tokenizer.maxLength];

  // VAE helpers.
  const encode = async (x: Float32Array, key: string): Promise<Float32Array> => {
    const enc = io.vaeEncoder;
    const out = await runner.run(key, enc, { sample: makeTensor(enc.inputType, x, [1, 3, R, R]) });
    const t = out[enc.output];
    const v = tensorToFloat32(t);
    if (v.length !== (enc.takeMean ? 2 : 1) * latentLen) {
      throw new PackError('VAE encoder output has the wrong size', {
        file: enc.file,
        tensor: enc.output,
        expected: `[1, ${enc.takeMean ? 2 * C : C}, ${l}, ${l}]`,
        found: `[${t.dims.join(', ')}]`,
      });
    }
    const z = new Float32Array(latentLen);
    for (let i = 0; i < latentLen; i++) z[i] = v[i] * scale; // mean half first when latent_parameters
    return z;
  };
  const decode = async (z: Float32Array, key: string): Promise<Float32Array> => {
    const dec = io.vaeDecoder;
    const zin = new Float32Array(latentLen);
    for (let i = 0; i < latentLen; i++) zin[i] = z[i] / scale;
    const out = await runner.run(key, dec, { latent_sample: makeTensor(dec.inputType, zin, [1, C, l, l]) });
    const t = out[dec.output];
    if (t.data.length !== 3 * R * R) {
      throw new PackError('VAE decoder output has the wrong size', {
        file: dec.file,
        tensor: dec.output,
        expected: `[1, 3, ${R}, ${R}]`,
        found: `[${t.dims.join(', ')}]`,
      });
    }
    return tensorToFloat32(t).slice();
  };

  const zOk = await encode(xOk, 'encode');

  // Concat conditioning channels (identical in both guidance branches).
  let concat: Float32Array | null = null;
  if (m.conditioning === 'concat') {
    const parts: Float32Array[] = [];
    let maskedLatent: Float32Array | null = null;
    for (const ch of m.concatChannels ?? []) {
      if (ch === 'mask' || ch === 'defect_mask') parts.push(defectCells);
      else if (ch === 'object_mask') parts.push(objectMean(classes, R, f));
      else if (ch === 'masked_image_latent') {
        if (!maskedLatent) {
          const xm = xOk.slice();
          const plane = R * R;
          for (let p = 0; p < plane; p++) {
            if (defectNative[p]) xm[p] = xm[plane + p] = xm[2 * plane + p] = 0;
          }
          maskedLatent = await encode(xm, 'encode');
        }
        parts.push(maskedLatent);
      }
    }
    concat = concatArrays(parts);
  }
  const hint = m.conditioning === 'controlnet' ? trimapHint(classes) : null;
  const emptyEmb = hint ? await embed('') : null;

  // Scheduler and noise.
  const scheduler = createScheduler(request.scheduler, pack.schedulerConfig, request.eta);
  scheduler.setTimesteps(request.steps);
  const N = scheduler.timesteps.length;
  const bounds = stageBounds(N, request.stages);
  const rng = new Rng(request.seed);
  let z = rng.randn(latentLen);
  if (scheduler.initNoiseSigma !== 1) for (let i = 0; i < latentLen; i++) z[i] *= scheduler.initNoiseSigma;
  const stochastic = scheduler.name === 'ddim' && request.eta > 0;

  const un = io.unet;
  const timestepFeed = (type: string, rank: number, fixedLength: number | null, t: number, batch: number): TensorData => {
    if (rank === 0) return makeTensor(type, [t], []);
    const n = fixedLength ?? batch;
    return makeTensor(type, new Array(n).fill(t), [n]);
  };

  // ControlNet residuals for batch 1 (the ControlNet always sees the empty prompt, so both branches share them).
  const controlResiduals = async (modelIn: Float32Array, t: number): Promise<TensorData[]> => {
    const cn = io.controlnet!;
    const out = await runner.run('controlnet', cn, {
      sample: makeTensor(cn.sampleType, modelIn, [1, C, l, l]),
      timestep: timestepFeed(cn.timestepType, cn.timestepRank, cn.timestepLength, t, 1),
      encoder_hidden_states: makeTensor(cn.hiddenType, emptyEmb!, [1, ...seqDims]),
      controlnet_cond: makeTensor(cn.condType, hint!, [1, 3, R, R]),
    });
    return cn.outputs.map((name) => out[name]);
  };

  // The text conditioning is the same every step: convert it once per branch set.
  const hiddenCache = new Map<string, TensorData>();
  const hiddenFeed = (embs: Float32Array[]): TensorData => {
    const key = embs.map((e) => (e === condEmb ? 'c' : 'u')).join('');
    let t = hiddenCache.get(key);
    if (!t) {
      t = makeTensor(un.hiddenType, concatArrays(embs), [embs.length, ...seqDims]);
      hiddenCache.set(key, t);
    }
    return t;
  };
  const unetRun = async (x: Float32Array, embs: Float32Array[], t: number, residuals: TensorData[] | null): Promise<Float32Array> => {
    const B = embs.length;
    const perItem = concat ? concatArrays([x, concat]) : x;
    const feeds: Record<string, TensorData> = {
      sample: makeTensor(un.sampleType, repeatBatch(perItem, B), [B, un.inChannels, l, l]),
      timestep: timestepFeed(un.timestepType, un.timestepRank, un.timestepLength, t, B),
      encoder_hidden_states: hiddenFeed(embs),
    };
    if (residuals) {
      un.residualInputs.forEach((name, k) => {
        const r = residuals[k];
        const type = String(un.session.inputs.find((mm) => mm.name === name)?.type ?? r.type);
        const dims = [B, ...r.dims.slice(1)];
        if (type === r.type) {
          // same dtype: repeat the raw elements, no conversion
          const src = r.data as Float32Array | Uint16Array;
          const data = B === 1 ? src : new (src.constructor as Float32ArrayConstructor | Uint16ArrayConstructor)(src.length * B);
          if (B !== 1) for (let b = 0; b < B; b++) data.set(src, b * src.length);
          feeds[name] = { type: r.type, data, dims };
        } else {
          const vals = tensorToFloat32(r);
          feeds[name] = makeTensor(type, B === 1 ? vals : repeatBatch(vals, B), dims);
        }
      });
    }
    const out = await runner.run('unet', un, feeds);
    const v = tensorToFloat32(out[un.output]);
    if (v.length !== B * latentLen) {
      throw new PackError('UNet output has the wrong size', {
        file: un.file,
        tensor: un.output,
        expected: `[${B}, ${C}, ${l}, ${l}]`,
        found: `[${out[un.output].dims.join(', ')}]`,
      });
    }
    return v;
  };

  const keepMask = (a: Float32Array, b: Float32Array): Float32Array => {
    // keep * a + (1 - keep) * b with keep = 1 - editLatent, per latent cell across channels
    const out = new Float32Array(latentLen);
    const plane = l * l;
    for (let c = 0; c < C; c++) {
      for (let p = 0; p < plane; p++) {
        const i = c * plane + p;
        out[i] = editLatent[p] ? b[i] : a[i];
      }
    }
    return out;
  };

  for (let i = 0; i < N; i++) {
    if (yieldEachStep) await yieldToEventLoop();
    checkAbort(signal);
    const t = scheduler.timesteps[i];
    const modelT = t; // float timesteps go as-is to float inputs; integer inputs round them
    if (i >= bounds.latentStart && i <= bounds.pixelStart && bounds.latentStart < N) {
      z = keepMask(scheduler.addNoise(zOk, rng.randn(latentLen), t), z);
    }
    const modelIn = scheduler.scaleModelInput(z, i);
    const residuals = hint ? await controlResiduals(modelIn, modelT) : null;
    let eps: Float32Array;
    if (!doCfg) {
      eps = (await unetRun(modelIn, [condEmb], modelT, residuals)).subarray(0, latentLen);
    } else {
      let uncond: Float32Array;
      let cond: Float32Array;
      if (un.batch === 1) {
        uncond = await unetRun(modelIn, [uncondEmb], modelT, residuals);
        cond = await unetRun(modelIn, [condEmb], modelT, residuals);
      } else {
        const both = await unetRun(modelIn, [uncondEmb, condEmb], modelT, residuals);
        uncond = both.subarray(0, latentLen);
        cond = both.subarray(latentLen, 2 * latentLen);
      }
      eps = new Float32Array(latentLen);
      const g = request.guidance;
      for (let k = 0; k < latentLen; k++) eps[k] = uncond[k] + g * (cond[k] - uncond[k]);
    }
    for (let k = 0; k < latentLen; k++) {
      if (!Number.isFinite(eps[k])) {
        throw new PackError('the UNet produced NaN or infinite values (fp16 overflow? try the fp32 model or the WASM backend)', {
          file: un.file,
          tensor: un.output,
          found: `${eps[k]} at step ${i}`,
        });
      }
    }
    const noise = stochastic ? rng.randn(latentLen) : undefined;
    const { prevSample, predOriginalSample } = scheduler.step(eps, i, z, noise);
    z = prevSample;
    const stage = stageOf(i, bounds);
    if (onStep) {
      const event: StepEvent = {
        step: i,
        totalSteps: N,
        timestep: t,
        stage,
        latent: z.slice(),
        x0Hat: predOriginalSample.slice(),
        latentShape: [C, l, l],
        crop,
      };
      await onStep(event);
      checkAbort(signal);
    }
    if (i >= bounds.pixelStart) {
      const xHat = await decode(predOriginalSample, 'vae-decode');
      const plane = R * R;
      for (let p = 0; p < plane; p++) {
        if (!defectNative[p]) {
          xHat[p] = xOk[p];
          xHat[plane + p] = xOk[plane + p];
          xHat[2 * plane + p] = xOk[2 * plane + p];
        }
      }
      const zc = await encode(xHat, 'encode');
      z = scheduler.addNoise(zc, rng.randn(latentLen), t);
    }
  }

  checkAbort(signal);
  onStage?.('decode');
  let xGen = await decode(z, 'vae-decode');

  // Stage 3: decoder adaptation.
  let adaptation: AdaptationReport | undefined;
  if (request.adaptation.enabled) {
    if (adapter) {
      onStage?.('adapt');
      const t0 = performance.now();
      const defect = new Uint8Array(R * R);
      for (let p = 0; p < defect.length; p++) defect[p] = defectNative[p] ? 1 : 0;
      const res = await adapter.adapt({
        latent: z,
        latentShape: [C, l, l],
        xGen,
        xOk,
        defect,
        width: R,
        height: R,
        settings: request.adaptation,
        signal,
      });
      timings.adapt = performance.now() - t0;
      adaptation = { ...res.report, ms: res.report.ms ?? timings.adapt };
      if (res.report.applied) xGen = res.image;
    } else {
      adaptation = { applied: false, notice: 'no decoder adapter available' };
    }
  }
  checkAbort(signal);

  if (gains) xGen = contextDenormalize(xGen, gains);
  const t0 = performance.now();
  const image = pasteDefect(request.image, request.trimap, xGen, crop, R);
  const mask = defectMask(request.trimap);
  timings.paste = performance.now() - t0;
  timings.total = performance.now() - tStart;
  return { image, mask, crop, timings, adaptation };
}

export type { RGBAImage, Trimap };
