/**
 * Image-aware region operations for labeling: magic wand (colour region growing), connected components,
 * hole filling, speck removal, and exact Euclidean grow / shrink. Pure TypeScript on typed arrays; every
 * operation is linear in the pixels it visits (the contiguous wand: in the region plus its boundary).
 *
 * Masks are width x height Uint8Arrays of 0 / 1, row-major, the same layout as a LabelBuffer.
 *
 * Connectivity: 4 (edge neighbours) or 8 (edge and corner neighbours). Where a complement is needed
 * (holes), the background uses the other connectivity, so that an 8-connected ring encloses its hole and a
 * 4-connected ring does not leak through diagonal gaps.
 */
import type { RGBAImage } from '../image';
import { EMPTY_RECT, type LabelBuffer, type Rect } from './raster';

export type Connectivity = 4 | 8;

/** A 0/1 mask with the bounding box and the count of its set pixels. */
export interface RegionMask {
  width: number;
  height: number;
  data: Uint8Array;
  rect: Rect;
  count: number;
}

/** Bounding box and count of the set pixels of a mask (EMPTY_RECT, 0 when none). */
export function maskBounds(mask: ArrayLike<number>, width: number, height: number): { rect: Rect; count: number } {
  let x0 = width;
  let y0 = -1;
  let x1 = -1;
  let y1 = -1;
  let count = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let first = -1;
    let last = -1;
    for (let x = 0; x < width; x++) {
      if (mask[row + x] !== 0) {
        if (first < 0) first = x;
        last = x;
        count++;
      }
    }
    if (first >= 0) {
      if (y0 < 0) y0 = y;
      y1 = y;
      if (first < x0) x0 = first;
      if (last > x1) x1 = last;
    }
  }
  if (y0 < 0) return { rect: { ...EMPTY_RECT }, count: 0 };
  return { rect: { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 }, count };
}

/** A growable stack of (x, y) int pairs (no per-push allocation). */
class PairStack {
  private buf = new Int32Array(1024);
  private n = 0;
  get size(): number {
    return this.n;
  }
  push(x: number, y: number): void {
    if (this.n + 2 > this.buf.length) {
      const b = new Int32Array(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
    }
    this.buf[this.n++] = x;
    this.buf[this.n++] = y;
  }
  /** Pops into `out` ([x, y]); false when empty. */
  pop(out: [number, number]): boolean {
    if (this.n === 0) return false;
    out[1] = this.buf[--this.n];
    out[0] = this.buf[--this.n];
    return true;
  }
}

/**
 * Scanline fill: marks in `out` (with `mark`) the connected set of pixels, reachable from (sx, sy), for which
 * `inside(i)` holds and `out[i]` is still 0. Each pixel is tested a bounded number of times: linear in the
 * region plus its one-pixel boundary. Returns the number of pixels marked.
 */
function scanFill(
  width: number,
  height: number,
  sx: number,
  sy: number,
  inside: (i: number) => boolean,
  out: Uint8Array | Int32Array,
  mark: number,
  conn: Connectivity,
  onSpan?: (y: number, xa: number, xb: number) => void,
): number {
  const free = (i: number) => out[i] === 0 && inside(i);
  if (!free(sy * width + sx)) return 0;
  const stack = new PairStack();
  const p: [number, number] = [0, 0];
  const diag = conn === 8 ? 1 : 0;
  let count = 0;
  stack.push(sx, sy);
  while (stack.pop(p)) {
    const [x, y] = p;
    const row = y * width;
    if (!free(row + x)) continue;
    let xa = x;
    while (xa > 0 && free(row + xa - 1)) xa--;
    let xb = x + 1;
    while (xb < width && free(row + xb)) xb++;
    out.fill(mark, row + xa, row + xb);
    count += xb - xa;
    onSpan?.(y, xa, xb);
    const lo = Math.max(0, xa - diag);
    const hi = Math.min(width, xb + diag);
    for (let ny = y - 1; ny <= y + 1; ny += 2) {
      if (ny < 0 || ny >= height) continue;
      const nrow = ny * width;
      let inRun = false;
      for (let i = lo; i < hi; i++) {
        const f = free(nrow + i);
        if (f && !inRun) stack.push(i, ny);
        inRun = f;
      }
    }
  }
  return count;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// ---- magic wand ------------------------------------------------------------------------------------------

export interface WandOptions {
  /**
   * 0..255: a pixel belongs to the region when every one of its R, G, B values is within `tolerance` of the
   * seed pixel's (the largest channel difference, as GIMP's fuzzy select measures it). Alpha is ignored.
   */
  tolerance: number;
  /** Default 8. */
  connectivity?: Connectivity;
  /** true (default): only the region connected to the seed; false: every similar pixel of the image. */
  contiguous?: boolean;
}

/**
 * Magic wand: the region of colours similar to the seed pixel (sx, sy) (continuous image coordinates; the
 * pixel under them is the seed). Returns an all-zero mask when the seed is outside the image.
 */
export function magicWand(image: RGBAImage, sx: number, sy: number, opts: WandOptions): RegionMask {
  const { width, height, data } = image;
  const mask = new Uint8Array(width * height);
  const x = Math.floor(sx);
  const y = Math.floor(sy);
  if (!(x >= 0 && y >= 0 && x < width && y < height)) return { width, height, data: mask, rect: { ...EMPTY_RECT }, count: 0 };
  const tol = Math.max(0, Math.min(255, Math.round(opts.tolerance)));
  const s = (y * width + x) * 4;
  const r0 = data[s];
  const g0 = data[s + 1];
  const b0 = data[s + 2];
  // One 32-bit read per pixel where the layout allows (little-endian RGBA, aligned buffer).
  const u32 = LITTLE_ENDIAN && data.byteOffset % 4 === 0 ? new Uint32Array(data.buffer, data.byteOffset, width * height) : null;
  const similar = u32
    ? (i: number) => {
        const p = u32[i];
        const dr = (p & 255) - r0;
        const dg = ((p >>> 8) & 255) - g0;
        const db = ((p >>> 16) & 255) - b0;
        return dr <= tol && dr >= -tol && dg <= tol && dg >= -tol && db <= tol && db >= -tol;
      }
    : (i: number) => {
        const o = i << 2;
        const dr = data[o] - r0;
        const dg = data[o + 1] - g0;
        const db = data[o + 2] - b0;
        return dr <= tol && dr >= -tol && dg <= tol && dg >= -tol && db <= tol && db >= -tol;
      };
  if (opts.contiguous === false) {
    let x0 = width;
    let x1 = -1;
    let y0 = -1;
    let y1 = -1;
    let count = 0;
    for (let yy = 0; yy < height; yy++) {
      const row = yy * width;
      let any = false;
      for (let xx = 0; xx < width; xx++) {
        if (similar(row + xx)) {
          mask[row + xx] = 1;
          count++;
          if (xx < x0) x0 = xx;
          if (xx > x1) x1 = xx;
          any = true;
        }
      }
      if (any) {
        if (y0 < 0) y0 = yy;
        y1 = yy;
      }
    }
    return { width, height, data: mask, rect: { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 }, count };
  }
  let x0 = width;
  let x1 = 0;
  let y0 = height;
  let y1 = 0;
  const count = scanFill(width, height, x, y, similar, mask, 1, opts.connectivity ?? 8, (yy, xa, xb) => {
    if (xa < x0) x0 = xa;
    if (xb > x1) x1 = xb;
    if (yy < y0) y0 = yy;
    if (yy + 1 > y1) y1 = yy + 1;
  });
  return { width, height, data: mask, rect: { x: x0, y: y0, w: x1 - x0, h: y1 - y0 }, count };
}

// ---- connected components --------------------------------------------------------------------------------

export interface Components {
  /** 0 for unset pixels, else the component id 1..count. */
  labels: Int32Array;
  /** sizes[id] is the pixel count of component id (sizes[0] is 0). */
  sizes: number[];
  count: number;
}

/** Labels the connected components of the set pixels of a mask (scanline fill, linear time). */
export function labelComponents(mask: LabelBuffer, conn: Connectivity = 8): Components {
  const { width, height, data } = mask;
  const labels = new Int32Array(width * height);
  const sizes = [0];
  const inside = (i: number) => data[i] !== 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] === 0 || labels[i] !== 0) continue;
    const id = sizes.length;
    sizes.push(scanFill(width, height, i % width, Math.floor(i / width), inside, labels, id, conn));
  }
  return { labels, sizes, count: sizes.length - 1 };
}

/** Keeps only the largest connected component (the first one found on a tie). Returns a new mask. */
export function largestComponent(mask: LabelBuffer, conn: Connectivity = 8): Uint8Array {
  const { labels, sizes } = labelComponents(mask, conn);
  let best = 0;
  for (let id = 1; id < sizes.length; id++) if (sizes[id] > sizes[best]) best = id;
  const out = new Uint8Array(labels.length);
  if (best === 0) return out;
  for (let i = 0; i < labels.length; i++) if (labels[i] === best) out[i] = 1;
  return out;
}

/**
 * Removes the connected components with fewer than `minSize` pixels. Returns a new mask.
 */
export function removeSpecks(mask: LabelBuffer, minSize: number, conn: Connectivity = 8): Uint8Array {
  const { labels, sizes } = labelComponents(mask, conn);
  const out = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const id = labels[i];
    if (id !== 0 && sizes[id] >= minSize) out[i] = 1;
  }
  return out;
}

/**
 * Fills the holes of a mask: every unset pixel not connected to the image border through unset pixels
 * becomes set. The unset pixels connect with the complement of `conn` (4 for an 8-connected mask).
 * Returns a new mask.
 */
export function fillHoles(mask: LabelBuffer, conn: Connectivity = 8): Uint8Array {
  const { width, height, data } = mask;
  const outside = new Uint8Array(width * height);
  const bgConn: Connectivity = conn === 8 ? 4 : 8;
  const unset = (i: number) => data[i] === 0;
  const seed = (x: number, y: number) => {
    const i = y * width + x;
    if (data[i] === 0 && outside[i] === 0) scanFill(width, height, x, y, unset, outside, 1, bgConn);
  };
  for (let x = 0; x < width; x++) {
    seed(x, 0);
    seed(x, height - 1);
  }
  for (let y = 0; y < height; y++) {
    seed(0, y);
    seed(width - 1, y);
  }
  const out = new Uint8Array(width * height);
  for (let i = 0; i < out.length; i++) out[i] = outside[i] ? 0 : 1;
  return out;
}

// ---- exact Euclidean distance, grow and shrink -----------------------------------------------------------

const FAR = 0x3fffffff;

/**
 * Squared Euclidean distance from every pixel centre to the nearest pixel centre where `mask` equals
 * `target` (0 on such pixels; a large value, >= 2^29, when there is none). Exact: Felzenszwalb and
 * Huttenlocher's lower-envelope transform, one pass down the columns and one along the rows, O(w*h).
 * Pixels outside the image never count as `target`.
 */
export function squaredDistance(mask: LabelBuffer, target: 0 | 1): Int32Array {
  const { width, height, data } = mask;
  const out = new Int32Array(width * height);
  const isT = target === 0 ? (v: number) => v === 0 : (v: number) => v !== 0;
  // Columns: the squared distance along y (a 1-D two-pass scan).
  for (let x = 0; x < width; x++) {
    let last = -FAR;
    for (let y = 0; y < height; y++) {
      const i = y * width + x;
      if (isT(data[i])) last = y;
      const d = y - last;
      out[i] = last === -FAR ? FAR : d * d;
    }
    last = FAR;
    for (let y = height - 1; y >= 0; y--) {
      const i = y * width + x;
      if (isT(data[i])) last = y;
      if (last !== FAR) {
        const d = last - y;
        if (d * d < out[i]) out[i] = d * d;
      }
    }
  }
  // Rows: lower envelope of the parabolas (x - q)^2 + f(q).
  const f = new Float64Array(width);
  const v = new Int32Array(width);
  const z = new Float64Array(width + 1);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let any = false;
    for (let x = 0; x < width; x++) {
      f[x] = out[row + x];
      if (f[x] < FAR) any = true;
    }
    if (!any) continue;
    let k = 0;
    // the first finite parabola starts the envelope (infinite ones never win)
    let q0 = 0;
    while (f[q0] >= FAR) q0++;
    v[0] = q0;
    z[0] = -Infinity;
    z[1] = Infinity;
    for (let q = q0 + 1; q < width; q++) {
      if (f[q] >= FAR) continue;
      let s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
      while (s <= z[k]) {
        k--;
        s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
      }
      k++;
      v[k] = q;
      z[k] = s;
      z[k + 1] = Infinity;
    }
    k = 0;
    for (let x = 0; x < width; x++) {
      while (z[k + 1] < x) k++;
      const d = x - v[k];
      out[row + x] = d * d + f[v[k]];
    }
  }
  return out;
}

/**
 * Grows the set pixels by `n` pixels: every pixel whose centre lies within Euclidean distance n of a set
 * pixel's centre becomes set (a dilation by a disc of radius n). Returns a new mask.
 */
export function growMask(mask: LabelBuffer, n: number): Uint8Array {
  const out = new Uint8Array(mask.data.length);
  if (n <= 0) {
    for (let i = 0; i < out.length; i++) out[i] = mask.data[i] !== 0 ? 1 : 0;
    return out;
  }
  const d2 = squaredDistance(mask, 1);
  const r2 = n * n;
  for (let i = 0; i < out.length; i++) out[i] = d2[i] <= r2 ? 1 : 0;
  return out;
}

/**
 * Shrinks the set pixels by `n` pixels: a set pixel stays set only when no unset pixel lies within
 * Euclidean distance n (an erosion by a disc of radius n). The image border does not erode: a region that
 * touches it keeps its pixels there (outside the image counts as neither). Returns a new mask.
 */
export function shrinkMask(mask: LabelBuffer, n: number): Uint8Array {
  const out = new Uint8Array(mask.data.length);
  if (n <= 0) {
    for (let i = 0; i < out.length; i++) out[i] = mask.data[i] !== 0 ? 1 : 0;
    return out;
  }
  const d2 = squaredDistance(mask, 0);
  const r2 = n * n;
  for (let i = 0; i < out.length; i++) out[i] = mask.data[i] !== 0 && d2[i] > r2 ? 1 : 0;
  return out;
}
