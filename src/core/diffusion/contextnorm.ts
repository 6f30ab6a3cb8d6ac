/**
 * Context normalisation (packs whose manifest sets `"contextNorm": true`; MODEL.md of ds-surface-v1).
 *
 * Before the VAE, each colour channel of the native-resolution crop is multiplied by a gain that brings the
 * channel's mean over the CONTEXT (object pixels outside the defect) to mid grey; after decoding, the
 * generated image is divided by the same gains. Unseen colours and exposures (a red tank, a dark photo)
 * then look like the grey-ish surfaces the model knows, and the defect comes back in the photo's colour.
 * A gain (not a mean/std standardisation) keeps black black and shading relative: a hole stays dark on a
 * smooth surface. The training code (tools/train/contextnorm.py) computes exactly the same.
 */
import { BACKGROUND, DEFECT } from '../image';

/** Target mean of a channel in [0, 1] units after normalisation. */
export const CONTEXT_TARGET = 0.5;
/** Gains are clamped to [1 / GAIN_MAX, GAIN_MAX]. */
export const CONTEXT_GAIN_MAX = 3;
/** Normalised values are clipped to [0, CONTEXT_CLIP] in [0, 1] units (x in [-1, 2 * CONTEXT_CLIP - 1]). */
export const CONTEXT_CLIP = 1.5;

/**
 * Per-channel gains for a planar [3, R, R] crop in [-1, 1] with its trimap classes (R * R).
 * Context = OBJECT pixels (neither background nor defect); if none, every non-defect pixel; if none, gain 1.
 */
export function contextGains(x: Float32Array, classes: Uint8Array): [number, number, number] {
  const plane = classes.length;
  if (x.length !== 3 * plane) throw new Error(`contextGains: expected ${3 * plane} values, got ${x.length}`);
  const sums = [0, 0, 0];
  let n = 0;
  for (const allowBackground of [false, true]) {
    for (let p = 0; p < plane; p++) {
      const c = classes[p];
      if (c === DEFECT || (!allowBackground && c === BACKGROUND)) continue;
      n++;
      for (let k = 0; k < 3; k++) sums[k] += (x[k * plane + p] + 1) * 0.5;
    }
    if (n > 0) break;
  }
  if (n === 0) return [1, 1, 1];
  const g = (s: number): number => {
    const mean = s / n;
    const raw = mean > 1e-6 ? CONTEXT_TARGET / mean : CONTEXT_GAIN_MAX;
    return Math.min(Math.max(raw, 1 / CONTEXT_GAIN_MAX), CONTEXT_GAIN_MAX);
  };
  return [g(sums[0]), g(sums[1]), g(sums[2])];
}

/** x (planar, [-1, 1]) -> normalised copy: u = (x + 1) / 2; u' = clip(u * gain, 0, CLIP); x' = 2u' - 1. */
export function contextNormalize(x: Float32Array, gains: readonly number[]): Float32Array {
  const plane = x.length / 3;
  const out = new Float32Array(x.length);
  for (let k = 0; k < 3; k++) {
    const g = gains[k];
    for (let p = k * plane, e = (k + 1) * plane; p < e; p++) {
      const u = Math.min(Math.max((x[p] + 1) * 0.5 * g, 0), CONTEXT_CLIP);
      out[p] = 2 * u - 1;
    }
  }
  return out;
}

/** Inverse of contextNormalize (exact where no clipping happened): u = u' / gain. Returns a new array. */
export function contextDenormalize(xn: Float32Array, gains: readonly number[]): Float32Array {
  const plane = xn.length / 3;
  const out = new Float32Array(xn.length);
  for (let k = 0; k < 3; k++) {
    const inv = 1 / gains[k];
    for (let p = k * plane, e = (k + 1) * plane; p < e; p++) out[p] = (xn[p] + 1) * 0.5 * inv * 2 - 1;
  }
  return out;
}
