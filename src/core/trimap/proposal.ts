/**
 * "Object from background": proposes the object region of a photo of one part on a backdrop, with no model.
 *
 * 1. A colour model of the background from the image border (a strip 3% of the shorter side wide): k-means
 *    (k = 4, deterministic farthest-point start) on up to 8192 border pixels; clusters holding under 5% of
 *    them are dropped (an object that pokes into the border must not become "background").
 * 2. Every pixel's distance to the nearest background colour (Euclidean RGB), box-blurred (radius about
 *    1/256 of the shorter side) so that texture does not break the region up.
 * 3. An automatic level: Otsu's threshold on the histogram of those distances.
 * 4. The largest 8-connected part above it, with its holes filled.
 * Linear in the pixel count. Photos above `maxPixels` (default 2 MP) are proposed on a box-averaged copy
 * reduced by an integer factor s and the mask is scaled back (its outline is then exact to s pixels; refine
 * it with the brush). A flat image (no two levels) gives an empty proposal.
 */
import type { RGBAImage } from '../image';
import { type Rect } from './raster';
import { fillHoles, largestComponent, maskBounds } from './region';

/** Smallest difference of the two Otsu class means (RGB distance units) that counts as an object. */
export const MIN_CONTRAST = 12;

export interface ObjectProposal {
  width: number;
  height: number;
  /** 0/1, width * height. */
  mask: Uint8Array;
  rect: Rect;
  count: number;
  /** The Otsu level on the 0..255 distance scale (-1 when the image had no two levels). */
  threshold: number;
}

export interface ProposalOptions {
  /** Border strip width in pixels (default: 3% of the shorter side, at least 1). */
  border?: number;
  /** Blur radius of the distance map (default: shorter side / 256, at least 1; 0 turns it off). */
  blur?: number;
  /** Larger photos are proposed on a reduced copy (default 2^21 pixels). */
  maxPixels?: number;
}

/** Box-averaged copy reduced by an integer factor (edge cells average what they cover). */
export function reduceImage(image: RGBAImage, s: number): RGBAImage {
  const { width, height, data } = image;
  const w = Math.ceil(width / s);
  const h = Math.ceil(height / s);
  const sums = new Float64Array(w * 4);
  const counts = new Float64Array(w);
  const out = new Uint8ClampedArray(w * h * 4);
  for (let by = 0; by < h; by++) {
    sums.fill(0);
    counts.fill(0);
    for (let y = by * s; y < Math.min(height, by * s + s); y++) {
      for (let x = 0; x < width; x++) {
        const bx = (x / s) | 0;
        const o = (y * width + x) * 4;
        sums[bx * 4] += data[o];
        sums[bx * 4 + 1] += data[o + 1];
        sums[bx * 4 + 2] += data[o + 2];
        counts[bx]++;
      }
    }
    for (let bx = 0; bx < w; bx++) {
      const o = (by * w + bx) * 4;
      out[o] = sums[bx * 4] / counts[bx];
      out[o + 1] = sums[bx * 4 + 1] / counts[bx];
      out[o + 2] = sums[bx * 4 + 2] / counts[bx];
      out[o + 3] = 255;
    }
  }
  return { width: w, height: h, data: out };
}

/**
 * Otsu's threshold of a histogram: the level t maximising the between-class variance of [0..t] vs
 * (t..n-1]. Returns -1 when all mass sits in one bin (no split exists).
 */
export function otsuThreshold(hist: ArrayLike<number>): number {
  const n = hist.length;
  let total = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    total += hist[i];
    sum += i * hist[i];
  }
  let w0 = 0;
  let sum0 = 0;
  let best = -1;
  let bestVar = 0;
  for (let t = 0; t < n - 1; t++) {
    w0 += hist[t];
    sum0 += t * hist[t];
    const w1 = total - w0;
    if (w0 === 0 || w1 === 0) continue;
    const m0 = sum0 / w0;
    const m1 = (sum - sum0) / w1;
    const v = w0 * w1 * (m0 - m1) * (m0 - m1);
    if (v > bestVar) {
      bestVar = v;
      best = t;
    }
  }
  return best;
}

/** Border colour clusters (RGB centres). */
export function borderColors(image: RGBAImage, border: number, k = 4, maxSamples = 8192): number[][] {
  const { width, height, data } = image;
  const b = Math.max(1, Math.min(border, Math.floor(Math.min(width, height) / 2)));
  const inner = Math.max(0, width - 2 * b) * Math.max(0, height - 2 * b);
  const total = width * height - inner;
  const step = Math.max(1, Math.ceil(total / maxSamples));
  const samples: number[] = [];
  let n = 0;
  for (let y = 0; y < height; y++) {
    const edgeRow = y < b || y >= height - b;
    for (let x = 0; x < width; x++) {
      if (!edgeRow && x >= b && x < width - b) {
        x = width - b - 1;
        continue;
      }
      if (n++ % step !== 0) continue;
      const o = (y * width + x) * 4;
      samples.push(data[o], data[o + 1], data[o + 2]);
    }
  }
  const m = samples.length / 3;
  // farthest-point start from the mean
  const mean = [0, 0, 0];
  for (let i = 0; i < m; i++) for (let c = 0; c < 3; c++) mean[c] += samples[3 * i + c] / m;
  const centres: number[][] = [];
  const d2 = (i: number, c: number[]) => {
    const a = samples[3 * i] - c[0];
    const bb = samples[3 * i + 1] - c[1];
    const cc = samples[3 * i + 2] - c[2];
    return a * a + bb * bb + cc * cc;
  };
  let ref = mean;
  for (let j = 0; j < k; j++) {
    let far = -1;
    let farD = -1;
    for (let i = 0; i < m; i++) {
      let d = d2(i, ref);
      for (const c of centres) d = Math.min(d, d2(i, c));
      if (d > farD) {
        farD = d;
        far = i;
      }
    }
    if (far < 0 || (centres.length > 0 && farD === 0)) break;
    centres.push([samples[3 * far], samples[3 * far + 1], samples[3 * far + 2]]);
    ref = centres[centres.length - 1];
  }
  const assign = new Int32Array(m);
  let counts: number[] = [];
  for (let iter = 0; iter < 12; iter++) {
    const sums = centres.map(() => [0, 0, 0]);
    counts = centres.map(() => 0);
    for (let i = 0; i < m; i++) {
      let best = 0;
      let bd = Infinity;
      for (let j = 0; j < centres.length; j++) {
        const d = d2(i, centres[j]);
        if (d < bd) {
          bd = d;
          best = j;
        }
      }
      assign[i] = best;
      counts[best]++;
      for (let c = 0; c < 3; c++) sums[best][c] += samples[3 * i + c];
    }
    for (let j = 0; j < centres.length; j++) if (counts[j] > 0) centres[j] = sums[j].map((s) => s / counts[j]);
  }
  return centres.filter((_, j) => counts[j] >= 0.05 * m);
}

/** In-place separable box blur of a width x height float map with radius r (edges clamp the window). */
function boxBlur(map: Float32Array, width: number, height: number, r: number): void {
  if (r <= 0) return;
  const line = new Float32Array(Math.max(width, height));
  // rows
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) line[x] = map[row + x];
    let acc = 0;
    let lo = 0;
    let hi = -1;
    for (let x = 0; x < width; x++) {
      const a = Math.max(0, x - r);
      const b = Math.min(width - 1, x + r);
      while (hi < b) acc += line[++hi];
      while (lo < a) acc -= line[lo++];
      map[row + x] = acc / (hi - lo + 1);
    }
  }
  // columns
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) line[y] = map[y * width + x];
    let acc = 0;
    let lo = 0;
    let hi = -1;
    for (let y = 0; y < height; y++) {
      const a = Math.max(0, y - r);
      const b = Math.min(height - 1, y + r);
      while (hi < b) acc += line[++hi];
      while (lo < a) acc -= line[lo++];
      map[y * width + x] = acc / (hi - lo + 1);
    }
  }
}

export function proposeObject(image: RGBAImage, opts: ProposalOptions = {}): ObjectProposal {
  const maxPixels = opts.maxPixels ?? 2 ** 21;
  const n0 = image.width * image.height;
  if (n0 > maxPixels) {
    const s = Math.ceil(Math.sqrt(n0 / maxPixels));
    const small = proposeObject(reduceImage(image, s), { ...opts, border: opts.border && Math.max(1, Math.round(opts.border / s)), blur: opts.blur && Math.round(opts.blur / s), maxPixels: Infinity });
    const { width, height } = image;
    const mask = new Uint8Array(n0);
    const sw = small.width;
    for (let y = 0; y < height; y++) {
      const srow = ((y / s) | 0) * sw;
      const row = y * width;
      for (let x = 0; x < width; x++) mask[row + x] = small.mask[srow + ((x / s) | 0)];
    }
    const { rect, count } = maskBounds(mask, width, height);
    return { mask, rect, count, threshold: small.threshold, width, height };
  }
  const { width, height, data } = image;
  const short = Math.min(width, height);
  const border = opts.border ?? Math.max(1, Math.round(short * 0.03));
  const blur = opts.blur ?? Math.max(1, Math.round(short / 256));
  const empty = (threshold: number): ObjectProposal => ({ width, height, mask: new Uint8Array(width * height), rect: { x: 0, y: 0, w: 0, h: 0 }, count: 0, threshold });
  const centres = borderColors(image, border);
  if (!centres.length) return empty(-1);
  const n = width * height;
  const dist = new Float32Array(n);
  const k = centres.length;
  const cr = centres.map((c) => c[0]);
  const cg = centres.map((c) => c[1]);
  const cb = centres.map((c) => c[2]);
  for (let i = 0; i < n; i++) {
    const o = i << 2;
    const r = data[o];
    const g = data[o + 1];
    const b = data[o + 2];
    let best = Infinity;
    for (let j = 0; j < k; j++) {
      const dr = r - cr[j];
      const dg = g - cg[j];
      const db = b - cb[j];
      const d = dr * dr + dg * dg + db * db;
      if (d < best) best = d;
    }
    dist[i] = Math.sqrt(best);
  }
  boxBlur(dist, width, height, blur);
  const hist = new Float64Array(256);
  const level = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = Math.min(255, Math.round(dist[i]));
    level[i] = v;
    hist[v]++;
  }
  const t = otsuThreshold(hist);
  if (t < 0) return empty(-1);
  // Two levels that differ by less than MIN_CONTRAST are noise on a plain backdrop, not an object.
  let w0 = 0;
  let s0 = 0;
  let w1 = 0;
  let s1 = 0;
  for (let v = 0; v < 256; v++) {
    if (v <= t) {
      w0 += hist[v];
      s0 += v * hist[v];
    } else {
      w1 += hist[v];
      s1 += v * hist[v];
    }
  }
  if (s1 / w1 - s0 / w0 < MIN_CONTRAST) return empty(-1);
  for (let i = 0; i < n; i++) level[i] = level[i] > t ? 1 : 0;
  const mask = fillHoles({ width, height, data: largestComponent({ width, height, data: level }, 8) }, 8);
  const { rect, count } = maskBounds(mask, width, height);
  return { width, height, mask, rect, count, threshold: t };
}
