/**
 * Crop-to-context, resampling and the final paste. The model sees a square window of the photo resized to
 * its native resolution; only defect pixels come back, everything else is the input's bytes.
 */
import { BACKGROUND, DEFECT, OBJECT, type RGBAImage, type Trimap } from '../image';
import type { CropWindow } from './types';

export interface Box {
  x0: number;
  y0: number;
  x1: number; // exclusive
  y1: number;
}

/** Bounding box of trimap == defect, or null when there is none. */
export function defectBounds(trimap: Trimap): Box | null {
  const { width: w, height: h, data } = trimap;
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      if (data[row + x] === DEFECT) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}

/**
 * The square context window: the whole image (padded to a square) when it fits the native resolution;
 * otherwise the defect's bounding box plus the margin, made square, at least `resolution` pixels, at most
 * the image's longer side, moved inside the image where possible.
 */
export function chooseCrop(width: number, height: number, box: Box, resolution: number, margin: number): CropWindow {
  const longSide = Math.max(width, height);
  if (longSide <= resolution) return { x: 0, y: 0, size: longSide };
  let size = Math.max(box.x1 - box.x0, box.y1 - box.y0) + 2 * Math.max(0, Math.round(margin));
  size = Math.min(Math.max(size, resolution), longSide);
  const place = (lo: number, hi: number, extent: number) =>
    size >= extent ? 0 : Math.min(Math.max(Math.floor((lo + hi - size) / 2), 0), extent - size);
  return { x: place(box.x0, box.x1, width), y: place(box.y0, box.y1, height), size };
}

/** Separable 1D resampling weights from n source samples to m targets (area when shrinking, linear when growing). */
export function resampleWeights(n: number, m: number): { idx: Int32Array; w: Float32Array; start: Int32Array } {
  const idx: number[] = [];
  const w: number[] = [];
  const start = new Int32Array(m + 1);
  const scale = n / m;
  for (let j = 0; j < m; j++) {
    start[j] = idx.length;
    if (scale > 1) {
      const a = j * scale;
      const b = (j + 1) * scale;
      for (let i = Math.floor(a); i < Math.min(Math.ceil(b), n); i++) {
        const cover = Math.min(b, i + 1) - Math.max(a, i);
        if (cover > 1e-9) {
          idx.push(i);
          w.push(cover / scale);
        }
      }
    } else {
      const s = Math.min(Math.max((j + 0.5) * scale - 0.5, 0), n - 1);
      const i0 = Math.floor(s);
      const f = s - i0;
      idx.push(i0);
      w.push(1 - f);
      if (f > 0 && i0 + 1 < n) {
        idx.push(i0 + 1);
        w.push(f);
      }
    }
  }
  start[m] = idx.length;
  return { idx: Int32Array.from(idx), w: Float32Array.from(w), start };
}

/**
 * The crop of the RGBA image as planar float RGB [3, R, R] in [-1, 1]; pixels past the image edge repeat
 * the nearest edge pixel.
 */
export function cropToPlanar(image: RGBAImage, crop: CropWindow, resolution: number): Float32Array {
  const R = resolution;
  const S = crop.size;
  const W = image.width;
  const H = image.height;
  const wts = resampleWeights(S, R);
  // horizontal pass: rows of the crop (S rows) x R columns x 3
  const tmp = new Float32Array(S * R * 3);
  for (let sy = 0; sy < S; sy++) {
    const iy = Math.min(Math.max(crop.y + sy, 0), H - 1);
    for (let j = 0; j < R; j++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = wts.start[j]; k < wts.start[j + 1]; k++) {
        const ix = Math.min(Math.max(crop.x + wts.idx[k], 0), W - 1);
        const o = (iy * W + ix) * 4;
        const wk = wts.w[k];
        r += wk * image.data[o];
        g += wk * image.data[o + 1];
        b += wk * image.data[o + 2];
      }
      const t = (sy * R + j) * 3;
      tmp[t] = r;
      tmp[t + 1] = g;
      tmp[t + 2] = b;
    }
  }
  const out = new Float32Array(3 * R * R);
  const plane = R * R;
  for (let i = 0; i < R; i++) {
    for (let j = 0; j < R; j++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = wts.start[i]; k < wts.start[i + 1]; k++) {
        const t = (wts.idx[k] * R + j) * 3;
        const wk = wts.w[k];
        r += wk * tmp[t];
        g += wk * tmp[t + 1];
        b += wk * tmp[t + 2];
      }
      const p = i * R + j;
      out[p] = r / 127.5 - 1;
      out[plane + p] = g / 127.5 - 1;
      out[2 * plane + p] = b / 127.5 - 1;
    }
  }
  return out;
}

/**
 * Trimap classes of the crop at native resolution. Each resized pixel covers a block of source pixels (the
 * crop's [i*S/R, (i+1)*S/R) rows and columns, every pixel it overlaps): it is defect if ANY of them is
 * defect, so a 1-pixel scratch survives any downscale (METHOD.md); otherwise object or background by
 * majority (a tie is object). Source pixels past the image edge count as background.
 */
export function cropTrimap(trimap: Trimap, crop: CropWindow, resolution: number): Uint8Array {
  const R = resolution;
  const S = crop.size;
  const W = trimap.width;
  const H = trimap.height;
  const lo = new Int32Array(R);
  const hi = new Int32Array(R);
  for (let i = 0; i < R; i++) {
    lo[i] = Math.floor((i * S) / R);
    hi[i] = Math.max(lo[i] + 1, Math.min(Math.ceil(((i + 1) * S) / R), S));
  }
  const out = new Uint8Array(R * R);
  const objects = new Int32Array(R);
  const defects = new Uint8Array(R);
  for (let i = 0; i < R; i++) {
    objects.fill(0);
    defects.fill(0);
    for (let sy = crop.y + lo[i]; sy < crop.y + hi[i]; sy++) {
      if (sy < 0 || sy >= H) continue;
      const row = sy * W;
      for (let j = 0; j < R; j++) {
        if (defects[j]) continue;
        const x0 = Math.max(crop.x + lo[j], 0);
        const x1 = Math.min(crop.x + hi[j], W);
        let obj = 0;
        for (let sx = x0; sx < x1; sx++) {
          const v = trimap.data[row + sx];
          if (v === DEFECT) {
            defects[j] = 1;
            break;
          }
          if (v === OBJECT) obj++;
        }
        objects[j] += obj;
      }
    }
    const rows = hi[i] - lo[i];
    for (let j = 0; j < R; j++) {
      const total = rows * (hi[j] - lo[j]);
      out[i * R + j] = defects[j] ? DEFECT : 2 * objects[j] >= total ? OBJECT : BACKGROUND;
    }
  }
  return out;
}

/** Exported mask: 255 where trimap == defect, else 0. */
export function defectMask(trimap: Trimap): Uint8Array {
  const out = new Uint8Array(trimap.width * trimap.height);
  for (let i = 0; i < out.length; i++) out[i] = trimap.data[i] === DEFECT ? 255 : 0;
  return out;
}

function toByte(v: number): number {
  const x = Math.round((v + 1) * 127.5);
  return x < 0 ? 0 : x > 255 ? 255 : x;
}

/**
 * The output photo: a copy of the input's bytes, with only trimap == defect pixels replaced by the
 * generated crop (planar [3, R, R] in [-1, 1]) sampled bilinearly back at image resolution. Alpha is kept.
 */
export function pasteDefect(image: RGBAImage, trimap: Trimap, generated: Float32Array, crop: CropWindow, resolution: number): RGBAImage {
  const out = new Uint8ClampedArray(image.data);
  const R = resolution;
  const plane = R * R;
  const W = image.width;
  const scale = R / crop.size;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < W; x++) {
      const p = y * W + x;
      if (trimap.data[p] !== DEFECT) continue;
      const u = Math.min(Math.max((x - crop.x + 0.5) * scale - 0.5, 0), R - 1);
      const v = Math.min(Math.max((y - crop.y + 0.5) * scale - 0.5, 0), R - 1);
      const u0 = Math.floor(u);
      const v0 = Math.floor(v);
      const u1 = Math.min(u0 + 1, R - 1);
      const v1 = Math.min(v0 + 1, R - 1);
      const fu = u - u0;
      const fv = v - v0;
      for (let c = 0; c < 3; c++) {
        const base = c * plane;
        const a = generated[base + v0 * R + u0] * (1 - fu) + generated[base + v0 * R + u1] * fu;
        const b = generated[base + v1 * R + u0] * (1 - fu) + generated[base + v1 * R + u1] * fu;
        out[p * 4 + c] = toByte(a * (1 - fv) + b * fv);
      }
    }
  }
  return { width: image.width, height: image.height, data: out };
}
