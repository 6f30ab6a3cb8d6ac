/**
 * Closed-form online adaptation of the decoder's final convolution (METHOD.md stage 3).
 *
 *   W* = argmin_W  sum_p w_p |W f_p - y_p|^2 + mu |W - W0|^2
 *
 * with f_p the im2col vector of the convolution's input at output pixel p (plus a 1 for the bias), y_p the
 * target (x_ok outside the defect, x_gen inside) and w_p the per-pixel weight (100 outside, 1 inside). The
 * normal equations (F^T W F + mu I) W* = F^T W y + mu W0 share one matrix for all output channels: one
 * Cholesky factorisation, one solve per channel. Accumulation and factorisation in float64.
 */
import { abortReason } from '../../errors';
import { type ResolvedConv, im2colRow } from './conv';

/**
 * Computes G^T G of a block of rows (row-major, n x k float32) and returns it as k x k (row-major; only
 * the upper triangle needs to be right). The TypeScript kernel accumulates in float64; a runtime kernel
 * (ONNX Runtime Gemm on WASM/WebGPU/native) is faster and accumulates within the block in float32.
 */
export type GramKernel = (rows: Float32Array, n: number, k: number) => Promise<ArrayLike<number>> | ArrayLike<number>;

/** Deterministic 32-bit PRNG (mulberry32). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface PixelSample {
  /** Output-pixel indices, ascending. */
  indices: Int32Array;
  /** Multiplier per sampled pixel that keeps the sampled loss an unbiased estimate of the full loss. */
  scale: Float64Array;
}

function pickFrom(pool: Int32Array, take: number, rand: () => number): Int32Array {
  if (take >= pool.length) return pool;
  const a = Int32Array.from(pool);
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(rand() * (a.length - i));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a.subarray(0, take);
}

/**
 * Stratified, seeded pixel sample: every defect pixel up to half the budget (more when the background needs
 * less), the rest of the budget drawn uniformly from the background; each stratum's pixels are weighted by
 * (stratum size / drawn) so that the sampled normal equations estimate the full ones without bias.
 */
export function samplePixels(defect: Uint8Array | undefined, count: number, maxSamples: number, seed: number): PixelSample {
  const cap = Math.max(1, Math.floor(maxSamples));
  if (count <= cap) {
    const indices = new Int32Array(count);
    for (let i = 0; i < count; i++) indices[i] = i;
    return { indices, scale: new Float64Array(count).fill(1) };
  }
  let nd = 0;
  if (defect) for (let i = 0; i < count; i++) if (defect[i]) nd++;
  const d = new Int32Array(nd);
  const b = new Int32Array(count - nd);
  let id = 0;
  let ib = 0;
  for (let i = 0; i < count; i++) {
    if (defect && defect[i]) d[id++] = i;
    else b[ib++] = i;
  }
  let takeD = Math.min(nd, Math.floor(cap / 2));
  const takeB = Math.min(b.length, cap - takeD);
  takeD = Math.min(nd, cap - takeB);
  const rand = mulberry32(seed ^ 0x5eed);
  const sd = pickFrom(d, takeD, rand);
  const sb = pickFrom(b, takeB, rand);
  const scaleD = takeD > 0 ? nd / takeD : 0;
  const scaleB = takeB > 0 ? b.length / takeB : 0;
  const all: [number, number][] = [];
  for (const i of sd) all.push([i, scaleD]);
  for (const i of sb) all.push([i, scaleB]);
  all.sort((x, y) => x[0] - y[0]);
  return { indices: Int32Array.from(all, (x) => x[0]), scale: Float64Array.from(all, (x) => x[1]) };
}

/** G^T G in float64 (upper triangle mirrored), G row-major n x k. */
export function gramTS(rows: Float32Array, n: number, k: number): Float64Array {
  // transpose to column-major so every entry is a contiguous dot product
  const t = new Float64Array(k * n);
  for (let r = 0; r < n; r++) {
    const src = r * k;
    for (let c = 0; c < k; c++) t[c * n + r] = rows[src + c];
  }
  const out = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    const oi = i * n;
    for (let j = i; j < k; j++) {
      const oj = j * n;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let r = 0;
      for (; r + 3 < n; r += 4) {
        s0 += t[oi + r] * t[oj + r];
        s1 += t[oi + r + 1] * t[oj + r + 1];
        s2 += t[oi + r + 2] * t[oj + r + 2];
        s3 += t[oi + r + 3] * t[oj + r + 3];
      }
      for (; r < n; r++) s0 += t[oi + r] * t[oj + r];
      const s = s0 + s1 + s2 + s3;
      out[i * k + j] = s;
      out[j * k + i] = s;
    }
  }
  return out;
}

/** In-place Cholesky of a symmetric positive-definite k x k matrix (lower triangle). Returns false if not PD. */
export function cholesky(a: Float64Array, k: number): boolean {
  for (let j = 0; j < k; j++) {
    const rj = j * k;
    let d = a[rj + j];
    for (let p = 0; p < j; p++) d -= a[rj + p] * a[rj + p];
    if (!(d > 0) || !Number.isFinite(d)) return false;
    const ljj = Math.sqrt(d);
    a[rj + j] = ljj;
    const inv = 1 / ljj;
    for (let i = j + 1; i < k; i++) {
      const ri = i * k;
      let s = a[ri + j];
      for (let p = 0; p < j; p++) s -= a[ri + p] * a[rj + p];
      a[ri + j] = s * inv;
    }
  }
  return true;
}

/** Solves L L^T x = b in place (b has length k). */
export function choleskySolve(l: Float64Array, k: number, b: Float64Array): void {
  for (let i = 0; i < k; i++) {
    let s = b[i];
    const ri = i * k;
    for (let p = 0; p < i; p++) s -= l[ri + p] * b[p];
    b[i] = s / l[ri + i];
  }
  for (let i = k - 1; i >= 0; i--) {
    let s = b[i];
    for (let p = i + 1; p < k; p++) s -= l[p * k + i] * b[p];
    b[i] = s / l[i * k + i];
  }
}

export interface HeadProblem {
  /** Input of the final convolution, planar [cin, h, w]. */
  features: Float32Array;
  height: number;
  width: number;
  conv: ResolvedConv;
  /** Current weights W0 [cout, cin, kh, kw] and bias [cout]. */
  weight: ArrayLike<number>;
  bias: ArrayLike<number>;
  /** Targets, planar [cout, outH, outW]. */
  target: Float32Array;
  /** Loss weight per output pixel (outH * outW). */
  pixelWeight: Float32Array;
  /** Ridge pull towards W0 (absolute, in the units of the weighted sum above). */
  mu: number;
  /** Pixel budget for the normal equations. */
  maxSamples: number;
  /** Strata for sampling (1 = defect), outH * outW. */
  defect?: Uint8Array;
  seed?: number;
  /** Rows per Gram block (default 2048). */
  blockRows?: number;
  gram?: GramKernel;
  signal?: AbortSignal;
}

export interface HeadSolution {
  weight: Float32Array;
  bias: Float32Array;
  /** Pixels used in the normal equations. */
  samples: number;
  /** Unknowns per output channel. */
  unknowns: number;
  /** Extra diagonal added when the system was not numerically positive definite. */
  jitter: number;
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortReason(signal, 'aborted');
}

/** Builds the normal equations (sampled, float64) and solves them. */
export async function solveHead(p: HeadProblem): Promise<HeadSolution> {
  const rc = p.conv;
  const { k, cout } = rc;
  const nPix = rc.outH * rc.outW;
  if (p.target.length !== cout * nPix) throw new Error(`target has ${p.target.length} values, expected ${cout * nPix}`);
  if (p.pixelWeight.length !== nPix) throw new Error(`pixelWeight has ${p.pixelWeight.length} values, expected ${nPix}`);
  const sample = samplePixels(p.defect, nPix, p.maxSamples, p.seed ?? 0);
  const kk = k + cout; // augmented: [f, 1 | y]
  const gram = p.gram ?? gramTS;
  const blockRows = Math.max(1, p.blockRows ?? 2048);
  const acc = new Float64Array(kk * kk);
  const n = sample.indices.length;
  const rows = new Float32Array(Math.min(blockRows, n) * kk);
  for (let start = 0; start < n; start += blockRows) {
    throwIfAborted(p.signal);
    const m = Math.min(blockRows, n - start);
    for (let r = 0; r < m; r++) {
      const pix = sample.indices[start + r];
      const s = Math.sqrt(p.pixelWeight[pix] * sample.scale[start + r]);
      const off = r * kk;
      im2colRow(p.features, p.height, p.width, rc, pix, rows, off, s);
      for (let o = 0; o < cout; o++) rows[off + k + o] = p.target[o * nPix + pix] * s;
    }
    const g = await gram(m === blockRows ? rows : rows.subarray(0, m * kk), m, kk);
    for (let i = 0; i < kk; i++) {
      const ri = i * kk;
      for (let j = i; j < kk; j++) acc[ri + j] += g[ri + j];
    }
  }
  throwIfAborted(p.signal);
  // A = F^T W F + mu I (upper triangle of acc, mirrored), rhs_o = F^T W y_o + mu W0_o
  const a = new Float64Array(k * k);
  let trace = 0;
  for (let i = 0; i < k; i++) {
    for (let j = i; j < k; j++) {
      const v = acc[i * kk + j];
      a[i * k + j] = v;
      a[j * k + i] = v;
    }
    trace += a[i * k + i];
  }
  const w0 = (o: number, i: number) => (i < k - 1 ? p.weight[o * (k - 1) + i] : p.bias[o]);
  const mu = Math.max(0, p.mu);
  let jitter = 0;
  let l = new Float64Array(a);
  for (let i = 0; i < k; i++) l[i * k + i] += mu;
  for (let attempt = 0; !cholesky(l, k); attempt++) {
    if (attempt > 12) throw new Error('decoder adaptation: the normal equations are singular');
    jitter = jitter === 0 ? Math.max(1e-12, (trace / k) * 1e-10) : jitter * 100;
    l = new Float64Array(a);
    for (let i = 0; i < k; i++) l[i * k + i] += mu + jitter;
  }
  const weight = new Float32Array(cout * (k - 1));
  const bias = new Float32Array(cout);
  const b = new Float64Array(k);
  for (let o = 0; o < cout; o++) {
    for (let i = 0; i < k; i++) b[i] = acc[i * kk + k + o] + (mu + jitter) * w0(o, i);
    choleskySolve(l, k, b);
    for (let i = 0; i < k - 1; i++) weight[o * (k - 1) + i] = b[i];
    bias[o] = b[k - 1];
  }
  return { weight, bias, samples: n, unknowns: k, jitter };
}
