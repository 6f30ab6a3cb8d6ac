/**
 * The decoder's final convolution in plain TypeScript: padding resolution, im2col rows for the solver and the
 * forward pass with adapted weights. Feature maps are planar float32 [C, H, W] (batch 1).
 */
import type { ConvGeometry } from '../../models/onnx/decoder-head';

export interface ResolvedConv {
  cout: number;
  cin: number;
  kh: number;
  kw: number;
  /** top, left */
  padT: number;
  padL: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  outH: number;
  outW: number;
  /** Unknowns per output channel: cin * kh * kw + 1 (bias). */
  k: number;
}

/** Resolves padding and output size for an input of size h x w. */
export function resolveConv(g: ConvGeometry, h: number, w: number): ResolvedConv {
  const [cout, cin, kh, kw] = g.weightDims;
  const [sh, sw] = g.strides;
  const [dh, dw] = g.dilations;
  let [pt, pl, pb, pr] = g.pads;
  if (g.autoPad === 'VALID') pt = pl = pb = pr = 0;
  else if (g.autoPad === 'SAME_UPPER' || g.autoPad === 'SAME_LOWER') {
    const total = (size: number, s: number, k: number, d: number) =>
      Math.max(0, (Math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size);
    const th = total(h, sh, kh, dh);
    const tw = total(w, sw, kw, dw);
    const small = (t: number) => Math.floor(t / 2);
    if (g.autoPad === 'SAME_UPPER') {
      pt = small(th);
      pb = th - pt;
      pl = small(tw);
      pr = tw - pl;
    } else {
      pb = small(th);
      pt = th - pb;
      pr = small(tw);
      pl = tw - pr;
    }
  }
  const outH = Math.floor((h + pt + pb - dh * (kh - 1) - 1) / sh) + 1;
  const outW = Math.floor((w + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
  return { cout, cin, kh, kw, padT: pt, padL: pl, sh, sw, dh, dw, outH, outW, k: cin * kh * kw + 1 };
}

/**
 * Writes the im2col row of output pixel `p` (index oy * outW + ox) into `row` at `offset`, scaled by `scale`:
 * k = cin*kh*kw values in ONNX weight order (c, ky, kx), zero outside the image, then `scale` for the bias.
 */
export function im2colRow(
  features: Float32Array,
  h: number,
  w: number,
  rc: ResolvedConv,
  p: number,
  row: Float32Array,
  offset: number,
  scale: number,
): void {
  const oy = Math.floor(p / rc.outW);
  const ox = p - oy * rc.outW;
  const y0 = oy * rc.sh - rc.padT;
  const x0 = ox * rc.sw - rc.padL;
  const plane = h * w;
  let o = offset;
  for (let c = 0; c < rc.cin; c++) {
    const base = c * plane;
    for (let ky = 0; ky < rc.kh; ky++) {
      const y = y0 + ky * rc.dh;
      const inY = y >= 0 && y < h;
      const rowBase = base + y * w;
      for (let kx = 0; kx < rc.kw; kx++) {
        const x = x0 + kx * rc.dw;
        row[o++] = inY && x >= 0 && x < w ? features[rowBase + x] * scale : 0;
      }
    }
  }
  row[o] = scale;
}

/**
 * conv2d(features, weight, bias) for batch 1, accumulated in float64 (the output is rounded to float32).
 * weight: [cout, cin, kh, kw]; returns planar [cout, outH, outW].
 */
export function conv2d(
  features: Float32Array,
  h: number,
  w: number,
  rc: ResolvedConv,
  weight: ArrayLike<number>,
  bias: ArrayLike<number>,
): Float32Array {
  const { cout, cin, kh, kw, outH, outW } = rc;
  const out = new Float32Array(cout * outH * outW);
  const acc = new Float64Array(outH * outW);
  const plane = h * w;
  for (let o = 0; o < cout; o++) {
    acc.fill(bias[o]);
    for (let c = 0; c < cin; c++) {
      const base = c * plane;
      for (let ky = 0; ky < kh; ky++) {
        for (let kx = 0; kx < kw; kx++) {
          const wv = weight[((o * cin + c) * kh + ky) * kw + kx];
          if (wv === 0) continue;
          const dy = ky * rc.dh - rc.padT;
          const dx = kx * rc.dw - rc.padL;
          if (rc.sh === 1 && rc.sw === 1) {
            // fast path: contiguous rows
            const xStart = Math.max(0, -dx);
            const xEnd = Math.min(outW, w - dx);
            for (let oy = 0; oy < outH; oy++) {
              const y = oy + dy;
              if (y < 0 || y >= h) continue;
              const src = base + y * w + dx;
              const dst = oy * outW;
              for (let ox = xStart; ox < xEnd; ox++) acc[dst + ox] += wv * features[src + ox];
            }
          } else {
            for (let oy = 0; oy < outH; oy++) {
              const y = oy * rc.sh + dy;
              if (y < 0 || y >= h) continue;
              for (let ox = 0; ox < outW; ox++) {
                const x = ox * rc.sw + dx;
                if (x < 0 || x >= w) continue;
                acc[oy * outW + ox] += wv * features[base + y * w + x];
              }
            }
          }
        }
      }
    }
    const off = o * outH * outW;
    for (let i = 0; i < acc.length; i++) out[off + i] = acc[i];
  }
  return out;
}
