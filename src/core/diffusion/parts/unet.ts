/**
 * Part 4, the UNet with guidance: the conditioning that is the same every step (concat channels or the
 * ControlNet's trimap hint), and the noise prediction of one step: ControlNet residuals (once, shared by both
 * branches), the UNet on the unconditional and the conditional branch (one batch-2 run, or two batch-1 runs
 * when the export fixes batch 1), and classifier-free guidance eps = uncond + g * (cond - uncond).
 */
import { PackError } from '../../models/errors';
import type { LoadedPack } from '../../models/pack';
import type { TensorData } from '../../models/runtime';
import { makeTensor, tensorToFloat32 } from '../../models/tensor';
import { objectMean, trimapHint } from '../masks';
import { packDims, type GenerationContext } from './context';
import type { ModelRunner } from './runner';
import type { TextConditioning } from './text';
import { vaeEncode } from './vae';

export interface UnetConditioning {
  /** Extra UNet input channels after the latent (concat packs), in the manifest's order; else null. */
  concat: Float32Array | null;
  /** The ControlNet's 3-channel trimap hint [3, R, R] (0 / 0.498 / 1); null without a ControlNet. */
  hint: Float32Array | null;
}

export function concatArrays(parts: Float32Array[]): Float32Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Float32Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function repeatBatch(x: Float32Array, times: number): Float32Array {
  const out = new Float32Array(x.length * times);
  for (let b = 0; b < times; b++) out.set(x, b * x.length);
  return out;
}

/** The crop with the defect blanked (0 in [-1, 1]), for a `masked_image_latent` channel. */
export function maskedImage(xOk: Float32Array, defectNative: Float32Array): Float32Array {
  const xm = xOk.slice();
  const plane = defectNative.length;
  for (let p = 0; p < plane; p++) {
    if (defectNative[p]) xm[p] = xm[plane + p] = xm[2 * plane + p] = 0;
  }
  return xm;
}

/** The conditioning inputs that do not change between steps (identical in both guidance branches). */
export async function unetConditioning(pack: LoadedPack, runner: ModelRunner, ctx: GenerationContext): Promise<UnetConditioning> {
  const m = pack.manifest;
  const { R, f } = ctx.dims;
  const { classes, defectNative, defectCells } = ctx.masks;
  let concat: Float32Array | null = null;
  if (m.conditioning === 'concat') {
    const parts: Float32Array[] = [];
    let maskedLatent: Float32Array | null = null;
    for (const ch of m.concatChannels ?? []) {
      if (ch === 'mask' || ch === 'defect_mask') parts.push(defectCells);
      else if (ch === 'object_mask') parts.push(objectMean(classes, R, f));
      else if (ch === 'masked_image_latent') {
        maskedLatent ??= await vaeEncode(pack, runner, maskedImage(ctx.xOk, defectNative), 'encode');
        parts.push(maskedLatent);
      }
    }
    concat = concatArrays(parts);
  }
  const hint = m.conditioning === 'controlnet' ? trimapHint(classes) : null;
  return { concat, hint };
}

function timestepFeed(type: string, rank: number, fixedLength: number | null, t: number, batch: number): TensorData {
  if (rank === 0) return makeTensor(type, [t], []);
  const n = fixedLength ?? batch;
  return makeTensor(type, new Array(n).fill(t), [n]);
}

/** eps for one step: (model input, timestep, step index) -> [C, l, l]. */
export type NoisePredictor = (modelIn: Float32Array, t: number, step: number) => Promise<Float32Array>;

/**
 * The noise prediction of every step for one generation (the text conditioning converted to the UNet's
 * dtype once). Throws a PackError naming the UNet when eps has NaN or infinite values.
 */
export function noisePredictor(
  pack: LoadedPack,
  runner: ModelRunner,
  text: TextConditioning,
  cond: UnetConditioning,
  guidance: number,
): NoisePredictor {
  const { R, C, l, latentLen } = packDims(pack);
  const un = pack.io.unet;
  const { seqDims } = text;

  // ControlNet residuals for batch 1 (the ControlNet always sees the empty prompt, so both branches share them).
  const controlResiduals = async (modelIn: Float32Array, t: number): Promise<TensorData[]> => {
    const cn = pack.io.controlnet!;
    const out = await runner.run('controlnet', cn, {
      sample: makeTensor(cn.sampleType, modelIn, [1, C, l, l]),
      timestep: timestepFeed(cn.timestepType, cn.timestepRank, cn.timestepLength, t, 1),
      encoder_hidden_states: makeTensor(cn.hiddenType, text.empty!, [1, ...seqDims]),
      controlnet_cond: makeTensor(cn.condType, cond.hint!, [1, 3, R, R]),
    });
    return cn.outputs.map((name) => out[name]);
  };

  // The text conditioning is the same every step: convert it once per branch set.
  const hiddenCache = new Map<string, TensorData>();
  const hiddenFeed = (embs: Float32Array[]): TensorData => {
    const key = embs.map((e) => (e === text.cond ? 'c' : 'u')).join('');
    let t = hiddenCache.get(key);
    if (!t) {
      t = makeTensor(un.hiddenType, concatArrays(embs), [embs.length, ...seqDims]);
      hiddenCache.set(key, t);
    }
    return t;
  };

  const unetRun = async (x: Float32Array, embs: Float32Array[], t: number, residuals: TensorData[] | null): Promise<Float32Array> => {
    const B = embs.length;
    const perItem = cond.concat ? concatArrays([x, cond.concat]) : x;
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

  return async (modelIn, t, step) => {
    const residuals = cond.hint ? await controlResiduals(modelIn, t) : null;
    let eps: Float32Array;
    if (!text.guided) {
      eps = (await unetRun(modelIn, [text.cond], t, residuals)).subarray(0, latentLen);
    } else {
      let uncond: Float32Array;
      let condEps: Float32Array;
      if (un.batch === 1) {
        uncond = await unetRun(modelIn, [text.uncond], t, residuals);
        condEps = await unetRun(modelIn, [text.cond], t, residuals);
      } else {
        const both = await unetRun(modelIn, [text.uncond, text.cond], t, residuals);
        uncond = both.subarray(0, latentLen);
        condEps = both.subarray(latentLen, 2 * latentLen);
      }
      eps = new Float32Array(latentLen);
      for (let k = 0; k < latentLen; k++) eps[k] = uncond[k] + guidance * (condEps[k] - uncond[k]);
    }
    for (let k = 0; k < latentLen; k++) {
      if (!Number.isFinite(eps[k])) {
        throw new PackError('the UNet produced NaN or infinite values (fp16 overflow? try the fp32 model or the WASM backend)', {
          file: un.file,
          tensor: un.output,
          found: `${eps[k]} at step ${step}`,
        });
      }
    }
    return eps;
  };
}
