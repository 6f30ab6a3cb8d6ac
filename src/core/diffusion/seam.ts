/**
 * The seam blend: a boundary-aware final composite INSIDE the defect only (the `seamPx` setting; 0 = off, the
 * reference method's plain paste).
 *
 * Why: the generated crop is a VAE decode. Just outside the defect it is the decoder's reconstruction of the
 * photo (about 6-8 levels off, plus whatever of the generated defect spills past the mask); the paste replaces it
 * there by the photo's own pixels, so a step appears exactly at the mask's edge that neither the photo nor the
 * generated image has (measured in public/models/ds-surface-v1/MODEL.md, "The seam"). The blend removes that
 * step and nothing else:
 *
 *   r(q) = xRef(q) - x(q)  for pixels q outside the defect (what the paste changes there)
 *   h    = the membrane over the defect's inner band B = {defect pixels within `widthPx` (Chebyshev) of the edge}:
 *          discrete Laplace equation on B (4-neighbours), h = r on the outside neighbours, no flux into the deeper
 *          defect (Neumann) - the smooth field that continues the paste's change into the band
 *   out  = xRef outside the defect; x + w(d) h in B, w(d) = (widthPx - d + 1) / widthPx at edge distance d;
 *          x deeper inside (the generated defect, untouched)
 *
 * h is harmonic: the smoothest field with the paste's change as its edge values (at the edge it carries the
 * photo's own texture residual, smoothed further in). It is Poisson-style seamless compositing of that mismatch,
 * restricted to a band of the defect so that the defect's interior is exactly the generation. Deterministic:
 * integer distances, a fixed-order conjugate-gradient solve in float64 (the same bytes in Node and the browser).
 *
 * Sparing thin strokes (`spareStrokes`, the `seamSpareStrokes` setting): a 3-7 px scratch, crack or cut is mostly
 * band, so the fixed-width band fades the paste's change over most of the stroke and costs it contrast (17-19%
 * for cracks and cuts at W = 2). With it, the band's width at each pixel is capped by the region's local
 * half-width there (`seamBandWidth`): c = min(W, max(1, floor(T / 2))). The edge pixel (d = 1) is always in the
 * band; a deeper pixel only where the region is at least 2d thick, so the band never reaches into the middle half
 * of a stroke. The fade keeps the plain band's slope and is cut short: weight (c - d + 1) / W, so a stroke 3-6 px
 * wide gets 1/2 at its edge pixels (W = 2) and nothing deeper. Where the region is at least 2W thick (blobs: all
 * but lone protruding pixels) c = W: the band, the membrane and the result are the plain band's.
 */
import { insideDistance, seamBand } from './adaptation/metrics';

/** Conjugate-gradient stopping rule of the band solve (relative residual, iteration cap). */
export const SEAM_SOLVE = { tolerance: 1e-7, maxIterations: 500 } as const;

/**
 * The composite of the generated crop `x` with the reference crop `xRef` (both planar [3, R, R], the same colour
 * space) for the defect `defect` (R * R, non-zero inside): xRef outside, the seam-blended band, x deeper inside.
 * widthPx <= 0 returns the plain composite (xRef outside, x inside). Returns a new array.
 */
export function seamBlend(
  x: Float32Array,
  xRef: Float32Array,
  defect: ArrayLike<number>,
  R: number,
  widthPx: number,
  opts: { spareStrokes?: boolean } = {},
): Float32Array {
  const plane = R * R;
  if (x.length !== 3 * plane || xRef.length !== 3 * plane || defect.length !== plane) {
    throw new Error(`seamBlend: expected [3, ${R}, ${R}] images and an ${R}x${R} defect`);
  }
  const inside = new Uint8Array(plane);
  for (let p = 0; p < plane; p++) inside[p] = defect[p] ? 1 : 0;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const o = c * plane;
    for (let p = 0; p < plane; p++) out[o + p] = inside[p] ? x[o + p] : xRef[o + p];
  }
  const W = Math.floor(widthPx);
  if (W <= 0) return out;
  const dist = insideDistance(inside, R, R, W);
  const cap = seamBandWidth(inside, R, W, opts.spareStrokes === true);
  // the band's unknowns, in raster order
  const index = new Int32Array(plane).fill(-1);
  const pix: number[] = [];
  for (let p = 0; p < plane; p++) {
    if (dist[p] > 0 && dist[p] <= cap[p]) {
      index[p] = pix.length;
      pix.push(p);
    }
  }
  const n = pix.length;
  if (n === 0) return out;
  // the band's Laplacian: diag = Dirichlet + band neighbours, off-diagonal -1 per band neighbour (<= 4 each)
  const diag = new Float64Array(n);
  const nbr = new Int32Array(4 * n).fill(-1);
  const dirichlet: number[][] = []; // per unknown: the outside neighbours' pixel indices
  for (let k = 0; k < n; k++) {
    const p = pix[k];
    const y = (p / R) | 0;
    const xx = p - y * R;
    const outs: number[] = [];
    const cand = [xx + 1 < R ? p + 1 : -1, xx > 0 ? p - 1 : -1, y + 1 < R ? p + R : -1, y > 0 ? p - R : -1];
    for (let j = 0; j < 4; j++) {
      const q = cand[j];
      if (q < 0) continue; // the crop's border: no flux
      if (!inside[q]) {
        diag[k] += 1;
        outs.push(q);
      } else if (index[q] >= 0) {
        diag[k] += 1;
        nbr[4 * k + j] = index[q];
      } // deeper defect pixel: no flux (Neumann)
    }
    dirichlet.push(outs);
  }
  const h = new Float64Array(n);
  const b = new Float64Array(n);
  for (let c = 0; c < 3; c++) {
    const o = c * plane;
    b.fill(0);
    for (let k = 0; k < n; k++) for (const q of dirichlet[k]) b[k] += xRef[o + q] - x[o + q];
    solveBand(diag, nbr, b, h);
    for (let k = 0; k < n; k++) {
      const p = pix[k];
      out[o + p] = x[o + p] + ((cap[p] - dist[p] + 1) / W) * h[k]; // cap = W: the plain band's (W - d + 1) / W
    }
  }
  return out;
}

/**
 * The band's width at each pixel of the defect `inside` (R * R, 1 inside; 0 outside it): W everywhere, or with
 * `spareStrokes` min(W, max(1, floor(T / 2))), T the region's local half-width at the pixel: the largest t such
 * that a (2t - 1) x (2t - 1) square inside the defect covers the pixel (its Chebyshev local thickness; t = the
 * depth of the square's centre, so a stroke w px wide has T = ceil(w / 2) across its whole width), counted up to
 * 2W (enough to tell whether the cap is W). T >= t exactly where the defect's opening by that square keeps the
 * pixel: the pixels at depth >= t grown by t - 1.
 */
export function seamBandWidth(inside: Uint8Array, R: number, W: number, spareStrokes: boolean): Uint8Array {
  const plane = R * R;
  const cap = new Uint8Array(plane);
  if (W <= 0) return cap;
  if (!spareStrokes) {
    for (let p = 0; p < plane; p++) cap[p] = inside[p] ? W : 0;
    return cap;
  }
  const K = 2 * W;
  const depth = insideDistance(inside, R, R, K); // 1..K, 0 deeper than K (and outside)
  const T = new Uint8Array(plane);
  const core = new Uint8Array(plane);
  for (let t = 1; t <= K; t++) {
    for (let p = 0; p < plane; p++) core[p] = inside[p] && (depth[p] === 0 || depth[p] >= t) ? 1 : 0;
    const grown = t > 1 ? seamBand(core, R, R, t - 1) : core; // seamBand: the growth without `core` itself
    for (let p = 0; p < plane; p++) if (core[p] || grown[p]) T[p] = t;
  }
  for (let p = 0; p < plane; p++) if (inside[p]) cap[p] = Math.min(W, Math.max(1, T[p] >> 1));
  return cap;
}

/** A h = b for the band Laplacian (symmetric positive semi-definite) by conjugate gradients from h = 0. */
function solveBand(diag: Float64Array, nbr: Int32Array, b: Float64Array, h: Float64Array): void {
  const n = diag.length;
  const r = Float64Array.from(b);
  const d = Float64Array.from(b);
  const Ad = new Float64Array(n);
  h.fill(0);
  let rr = 0;
  for (let k = 0; k < n; k++) rr += r[k] * r[k];
  const stop = rr * SEAM_SOLVE.tolerance * SEAM_SOLVE.tolerance;
  for (let it = 0; it < SEAM_SOLVE.maxIterations && rr > stop && rr > 0; it++) {
    let dAd = 0;
    for (let k = 0; k < n; k++) {
      let v = diag[k] * d[k];
      for (let j = 0; j < 4; j++) {
        const m = nbr[4 * k + j];
        if (m >= 0) v -= d[m];
      }
      Ad[k] = v;
      dAd += d[k] * v;
    }
    if (!(dAd > 0)) break;
    const alpha = rr / dAd;
    let rr2 = 0;
    for (let k = 0; k < n; k++) {
      h[k] += alpha * d[k];
      r[k] -= alpha * Ad[k];
      rr2 += r[k] * r[k];
    }
    const beta = rr2 / rr;
    rr = rr2;
    for (let k = 0; k < n; k++) d[k] = r[k] + beta * d[k];
  }
}
