/**
 * Raster operations on label buffers (a trimap's class ids, or any 8-bit mask).
 *
 * Geometry convention: pixel (x, y) covers [x, x+1) x [y, y+1) and is "inside" a shape when its centre
 * (x + 0.5, y + 0.5) is. Every painting op writes only inside the shape's clipped bounding box and returns
 * the dirty rectangle it touched (or EMPTY_RECT), so that its cost follows the painted area, not the image.
 */

/** A width x height buffer of 8-bit labels, row-major (Trimap fits this shape). */
export interface LabelBuffer {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Axis-aligned integer rectangle in pixels: [x, x + w) x [y, y + h). Empty when w or h is 0. */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export const EMPTY_RECT: Readonly<Rect> = Object.freeze({ x: 0, y: 0, w: 0, h: 0 });

export function isEmptyRect(r: Rect): boolean {
  return r.w <= 0 || r.h <= 0;
}

export function unionRect(a: Rect, b: Rect): Rect {
  if (isEmptyRect(a)) return { ...b };
  if (isEmptyRect(b)) return { ...a };
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, w: Math.max(a.x + a.w, b.x + b.w) - x, h: Math.max(a.y + a.h, b.y + b.h) - y };
}

export function intersectRect(a: Rect, b: Rect): Rect {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.w, b.x + b.w);
  const y1 = Math.min(a.y + a.h, b.y + b.h);
  if (x1 <= x || y1 <= y) return { ...EMPTY_RECT };
  return { x, y, w: x1 - x, h: y1 - y };
}

/**
 * The pixels whose centres may lie in the continuous box [minX, maxX] x [minY, maxY], clipped to the buffer.
 * Returns [x0, y0, x1, y1) or null when nothing is left.
 */
function clipBox(buf: LabelBuffer, minX: number, minY: number, maxX: number, maxY: number): [number, number, number, number] | null {
  const x0 = Math.max(0, Math.ceil(minX - 0.5));
  const y0 = Math.max(0, Math.ceil(minY - 0.5));
  const x1 = Math.min(buf.width, Math.floor(maxX - 0.5) + 1);
  const y1 = Math.min(buf.height, Math.floor(maxY - 0.5) + 1);
  if (x1 <= x0 || y1 <= y0) return null;
  return [x0, y0, x1, y1];
}

/** Grows a dirty box as rows are written; returns the final Rect. */
class DirtyBox {
  x0 = Infinity;
  y0 = Infinity;
  x1 = -Infinity;
  y1 = -Infinity;
  addSpan(y: number, xa: number, xb: number): void {
    // span [xa, xb) on row y
    if (xa < this.x0) this.x0 = xa;
    if (xb > this.x1) this.x1 = xb;
    if (y < this.y0) this.y0 = y;
    if (y + 1 > this.y1) this.y1 = y + 1;
  }
  rect(): Rect {
    if (this.x1 <= this.x0 || this.y1 <= this.y0) return { ...EMPTY_RECT };
    return { x: this.x0, y: this.y0, w: this.x1 - this.x0, h: this.y1 - this.y0 };
  }
}

/** Fills a round disc of the given radius centred at (cx, cy). The pixel under the centre is always painted. */
export function stampDisc(buf: LabelBuffer, cx: number, cy: number, radius: number, value: number): Rect {
  return drawCapsule(buf, cx, cy, cx, cy, radius, value);
}

/**
 * Fills a capsule: every pixel whose centre lies within `radius` of the segment (ax, ay)-(bx, by).
 * A thick line with round caps; consecutive capsules make a gap-free brush stroke.
 */
export function drawCapsule(
  buf: LabelBuffer,
  ax: number,
  ay: number,
  bx: number,
  by: number,
  radius: number,
  value: number,
): Rect {
  const r = Math.max(radius, 0);
  const box = clipBox(buf, Math.min(ax, bx) - r, Math.min(ay, by) - r, Math.max(ax, bx) + r, Math.max(ay, by) + r);
  const dirty = new DirtyBox();
  const { width, data } = buf;
  if (box) {
    const [x0, y0, x1, y1] = box;
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    const r2 = r * r;
    for (let y = y0; y < y1; y++) {
      const py = y + 0.5;
      let first = -1;
      let last = -1;
      const row = y * width;
      for (let x = x0; x < x1; x++) {
        const px = x + 0.5;
        let t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
        if (t < 0) t = 0;
        else if (t > 1) t = 1;
        const ex = px - (ax + t * dx);
        const ey = py - (ay + t * dy);
        if (ex * ex + ey * ey <= r2) {
          data[row + x] = value;
          if (first < 0) first = x;
          last = x;
        }
      }
      if (first >= 0) dirty.addSpan(y, first, last + 1);
    }
  }
  // Thin brushes: the pixels under both end points are always painted.
  for (const [px, py] of [
    [ax, ay],
    [bx, by],
  ]) {
    const x = Math.floor(px);
    const y = Math.floor(py);
    if (x >= 0 && y >= 0 && x < buf.width && y < buf.height) {
      data[y * width + x] = value;
      dirty.addSpan(y, x, x + 1);
    }
  }
  return dirty.rect();
}

/** Fills the pixels whose centres lie in the continuous rectangle spanned by two corners. */
export function fillRect(buf: LabelBuffer, ax: number, ay: number, bx: number, by: number, value: number): Rect {
  const box = clipBox(buf, Math.min(ax, bx), Math.min(ay, by), Math.max(ax, bx), Math.max(ay, by));
  if (!box) return { ...EMPTY_RECT };
  const [x0, y0, x1, y1] = box;
  for (let y = y0; y < y1; y++) buf.data.fill(value, y * buf.width + x0, y * buf.width + x1);
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/** Fills the ellipse inscribed in the box spanned by two corners. */
export function fillEllipse(buf: LabelBuffer, ax: number, ay: number, bx: number, by: number, value: number): Rect {
  const cx = (ax + bx) / 2;
  const cy = (ay + by) / 2;
  const rx = Math.abs(bx - ax) / 2;
  const ry = Math.abs(by - ay) / 2;
  const dirty = new DirtyBox();
  if (rx <= 0 || ry <= 0) return dirty.rect();
  const y0 = Math.max(0, Math.ceil(cy - ry - 0.5));
  const y1 = Math.min(buf.height, Math.floor(cy + ry - 0.5) + 1);
  for (let y = y0; y < y1; y++) {
    const ny = (y + 0.5 - cy) / ry;
    const k = 1 - ny * ny;
    if (k < 0) continue;
    const half = rx * Math.sqrt(k);
    const xa = Math.max(0, Math.ceil(cx - half - 0.5));
    const xb = Math.min(buf.width, Math.floor(cx + half - 0.5) + 1);
    if (xb <= xa) continue;
    buf.data.fill(value, y * buf.width + xa, y * buf.width + xb);
    dirty.addSpan(y, xa, xb);
  }
  return dirty.rect();
}

export type FillRule = 'evenodd' | 'nonzero';

/**
 * Scanline polygon fill. `points` is a closed ring [x0, y0, x1, y1, ...] in continuous pixel coordinates.
 * A pixel is filled when its centre is inside by the given rule.
 */
export function fillPolygon(buf: LabelBuffer, points: ArrayLike<number>, value: number, rule: FillRule = 'evenodd'): Rect {
  const n = Math.floor(points.length / 2);
  const dirty = new DirtyBox();
  if (n < 3) return dirty.rect();
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    const y = points[2 * i + 1];
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  const y0 = Math.max(0, Math.ceil(minY - 0.5));
  const y1 = Math.min(buf.height, Math.floor(maxY - 0.5) + 1);
  const xs: number[] = [];
  const dirs: number[] = [];
  const order: number[] = [];
  for (let y = y0; y < y1; y++) {
    const py = y + 0.5;
    xs.length = 0;
    dirs.length = 0;
    for (let i = 0, j = n - 1; i < n; j = i++) {
      const xi = points[2 * i];
      const yi = points[2 * i + 1];
      const xj = points[2 * j];
      const yj = points[2 * j + 1];
      // half-open rule on y so that shared vertices count once
      if (yi <= py === yj <= py) continue;
      xs.push(xj + ((py - yj) * (xi - xj)) / (yi - yj));
      dirs.push(yi > yj ? 1 : -1);
    }
    if (xs.length < 2) continue;
    order.length = 0;
    for (let k = 0; k < xs.length; k++) order.push(k);
    order.sort((a, b) => xs[a] - xs[b]);
    let winding = 0;
    for (let k = 0; k < order.length - 1; k++) {
      winding += dirs[order[k]];
      const inside = rule === 'evenodd' ? (k & 1) === 0 : winding !== 0;
      if (!inside) continue;
      const xa = Math.max(0, Math.ceil(xs[order[k]] - 0.5));
      const xb = Math.min(buf.width, Math.floor(xs[order[k + 1]] - 0.5) + 1);
      if (xb <= xa) continue;
      buf.data.fill(value, y * buf.width + xa, y * buf.width + xb);
      dirty.addSpan(y, xa, xb);
    }
  }
  return dirty.rect();
}

/**
 * Scanline flood fill of the 4-connected region of same-valued pixels containing (sx, sy), set to `value`.
 * No-op when the seed is outside or already has `value`.
 */
export function floodFill(buf: LabelBuffer, sx: number, sy: number, value: number): Rect {
  const { width, height, data } = buf;
  const dirty = new DirtyBox();
  sx = Math.floor(sx);
  sy = Math.floor(sy);
  if (sx < 0 || sy < 0 || sx >= width || sy >= height) return dirty.rect();
  const target = data[sy * width + sx];
  if (target === value) return dirty.rect();
  const stack: number[] = [sx, sy];
  while (stack.length > 0) {
    const y = stack.pop()!;
    const x = stack.pop()!;
    const row = y * width;
    if (data[row + x] !== target) continue;
    let xa = x;
    while (xa > 0 && data[row + xa - 1] === target) xa--;
    let xb = x + 1;
    while (xb < width && data[row + xb] === target) xb++;
    data.fill(value, row + xa, row + xb);
    dirty.addSpan(y, xa, xb);
    for (const ny of [y - 1, y + 1]) {
      if (ny < 0 || ny >= height) continue;
      const nrow = ny * width;
      let inRun = false;
      for (let i = xa; i < xb; i++) {
        const match = data[nrow + i] === target;
        if (match && !inRun) stack.push(i, ny);
        inRun = match;
      }
    }
  }
  return dirty.rect();
}

/** Sets every pixel to `value`. */
export function fillAll(buf: LabelBuffer, value: number): Rect {
  buf.data.fill(value);
  return { x: 0, y: 0, w: buf.width, h: buf.height };
}

/** Exchanges two label values everywhere; the dirty rect is the bounding box of changed pixels. */
export function swapValues(buf: LabelBuffer, a: number, b: number): Rect {
  const { width, height, data } = buf;
  const dirty = new DirtyBox();
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let first = -1;
    let last = -1;
    for (let x = 0; x < width; x++) {
      const v = data[row + x];
      if (v === a) data[row + x] = b;
      else if (v === b) data[row + x] = a;
      else continue;
      if (first < 0) first = x;
      last = x;
    }
    if (first >= 0) dirty.addSpan(y, first, last + 1);
  }
  return dirty.rect();
}

/** Copies a rectangle out of a buffer (row-major, w * h bytes). */
export function readRect(buf: LabelBuffer, r: Rect, out: Uint8Array = new Uint8Array(r.w * r.h)): Uint8Array {
  for (let y = 0; y < r.h; y++) {
    const s = (r.y + y) * buf.width + r.x;
    out.set(buf.data.subarray(s, s + r.w), y * r.w);
  }
  return out;
}

/** Writes a w * h patch back into a buffer at r. */
export function writeRect(buf: LabelBuffer, r: Rect, patch: Uint8Array): void {
  for (let y = 0; y < r.h; y++) {
    buf.data.set(patch.subarray(y * r.w, (y + 1) * r.w), (r.y + y) * buf.width + r.x);
  }
}

/** Number of pixels holding each value 0..255. */
export function histogram(buf: LabelBuffer): number[] {
  const h = new Array<number>(256).fill(0);
  for (let i = 0; i < buf.data.length; i++) h[buf.data[i]]++;
  return h;
}

/**
 * Halves a label buffer inside a region: each output pixel of `outRect` (in output coordinates) takes the
 * highest-priority label of its 2x2 source block (odd edges repeat the last row / column). `priority[v]` ranks
 * label v and `byPriority[p]` maps a rank back to its label. Used for zoomed-out overlay levels, where a thin
 * defect must stay visible. `out` is ceil(w/2) x ceil(h/2).
 */
export function halvePriority(src: LabelBuffer, out: LabelBuffer, outRect: Rect, priority: ArrayLike<number>, byPriority: ArrayLike<number>): void {
  const { width: sw, height: sh, data: s } = src;
  const r = intersectRect(outRect, { x: 0, y: 0, w: out.width, h: out.height });
  for (let y = r.y; y < r.y + r.h; y++) {
    const row0 = 2 * y * sw;
    const row1 = Math.min(sh - 1, 2 * y + 1) * sw;
    for (let x = r.x; x < r.x + r.w; x++) {
      const c0 = 2 * x;
      const c1 = Math.min(sw - 1, c0 + 1);
      let p = priority[s[row0 + c0]];
      let q = priority[s[row0 + c1]];
      if (q > p) p = q;
      q = priority[s[row1 + c0]];
      if (q > p) p = q;
      q = priority[s[row1 + c1]];
      if (q > p) p = q;
      out.data[y * out.width + x] = byPriority[p];
    }
  }
}
