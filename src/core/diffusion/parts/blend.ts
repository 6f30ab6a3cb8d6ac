/**
 * Part 5, blending (stage 2 of METHOD.md): in latent space, everything outside the dilated defect is pinned
 * to the noised original; in pixel space (the round trips), the decoded x0-hat keeps its pixels only inside
 * the defect, the rest is the input crop, and the composite is encoded and re-noised to the current t.
 */
import type { LoadedPack } from '../../models/pack';
import type { Rng } from '../rng';
import type { Scheduler } from '../schedulers';
import type { GenerationContext } from './context';
import type { ModelRunner } from './runner';
import { vaeDecode, vaeEncode } from './vae';

/**
 * keep * kept + (1 - keep) * z with keep = 1 - editLatent, per latent cell across the C channels:
 * `z` inside the edit mask, `kept` (the noised original) outside it.
 */
export function blendLatent(kept: Float32Array, z: Float32Array, editLatent: Float32Array, C: number): Float32Array {
  const out = new Float32Array(z.length);
  const plane = editLatent.length;
  for (let c = 0; c < C; c++) {
    for (let p = 0; p < plane; p++) {
      const i = c * plane + p;
      out[i] = editLatent[p] ? z[i] : kept[i];
    }
  }
  return out;
}

/** In place: every pixel of planar [3, R, R] `x` outside the defect becomes the input crop's `xOk`. Returns `x`. */
export function keepOutsideDefect(x: Float32Array, xOk: Float32Array, defectNative: Float32Array): Float32Array {
  const plane = defectNative.length;
  for (let p = 0; p < plane; p++) {
    if (!defectNative[p]) {
      x[p] = xOk[p];
      x[plane + p] = xOk[plane + p];
      x[2 * plane + p] = xOk[2 * plane + p];
    }
  }
  return x;
}

/**
 * One pixel round trip at step timestep t: decode x0-hat, keep it only inside the defect, encode, re-noise
 * to t with fresh noise from `rng`. Returns the new latent.
 */
export async function pixelRoundTrip(
  pack: LoadedPack,
  runner: ModelRunner,
  ctx: GenerationContext,
  scheduler: Scheduler,
  rng: Rng,
  x0Hat: Float32Array,
  t: number,
): Promise<Float32Array> {
  const xHat = keepOutsideDefect(await vaeDecode(pack, runner, x0Hat, 'vae-decode'), ctx.xOk, ctx.masks.defectNative);
  const zc = await vaeEncode(pack, runner, xHat, 'encode');
  return scheduler.addNoise(zc, rng.randn(ctx.dims.latentLen), t);
}
