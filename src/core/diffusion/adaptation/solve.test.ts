import { describe, expect, it } from 'vitest';
import { cholesky, choleskySolve, gramTS, mulberry32, samplePixels, solveHead } from './solve';
import { conv2d, im2colRow, resolveConv } from './conv';
import { maskedMse, seamBand } from './metrics';
import type { ConvGeometry } from '../../models/onnx/decoder-head';

function randn(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

function geometry(cout: number, cin: number): ConvGeometry {
  return { weightDims: [cout, cin, 3, 3], pads: [1, 1, 1, 1], autoPad: 'NOTSET', strides: [1, 1], dilations: [1, 1], group: 1 };
}

function problem(seed: number, cin = 5, h = 14, w = 13) {
  const rand = mulberry32(seed);
  const features = Float32Array.from({ length: cin * h * w }, () => randn(rand));
  const rc = resolveConv(geometry(3, cin), h, w);
  const wTrue = Float32Array.from({ length: 3 * cin * 9 }, () => randn(rand) * 0.3);
  const bTrue = Float32Array.from({ length: 3 }, () => randn(rand));
  const w0 = Float32Array.from(wTrue, (v) => v + randn(rand) * 0.2);
  const b0 = Float32Array.from(bTrue, (v) => v + 0.5);
  const defect = Uint8Array.from({ length: h * w }, (_, i) => (i % w > 4 && i % w < 9 && i / w > 3 && i / w < 10 ? 1 : 0));
  const pixelWeight = Float32Array.from(defect, (d) => (d ? 1 : 100));
  return { features, rc, wTrue, bTrue, w0, b0, defect, pixelWeight, h, w };
}

describe('closed-form head solver', () => {
  it('recovers known weights from noiseless synthetic data (all pixels)', async () => {
    const p = problem(1);
    const target = conv2d(p.features, p.h, p.w, p.rc, p.wTrue, p.bTrue);
    const sol = await solveHead({
      features: p.features, height: p.h, width: p.w, conv: p.rc, weight: p.w0, bias: p.b0,
      target, pixelWeight: p.pixelWeight, mu: 0, maxSamples: 1e9, defect: p.defect,
    });
    expect(sol.unknowns).toBe(5 * 9 + 1);
    expect(sol.samples).toBe(p.h * p.w);
    for (let i = 0; i < p.wTrue.length; i++) expect(sol.weight[i]).toBeCloseTo(p.wTrue[i], 5);
    for (let i = 0; i < 3; i++) expect(sol.bias[i]).toBeCloseTo(p.bTrue[i], 5);
  });

  it('recovers them from a pixel sample too, and the sample is deterministic', async () => {
    const p = problem(2, 4, 20, 20);
    const target = conv2d(p.features, p.h, p.w, p.rc, p.wTrue, p.bTrue);
    const args = {
      features: p.features, height: p.h, width: p.w, conv: p.rc, weight: p.w0, bias: p.b0,
      target, pixelWeight: p.pixelWeight, mu: 1e-9, maxSamples: 150, defect: p.defect, seed: 3, blockRows: 64,
    };
    const sol = await solveHead(args);
    expect(sol.samples).toBe(150);
    for (let i = 0; i < p.wTrue.length; i++) expect(sol.weight[i]).toBeCloseTo(p.wTrue[i], 4);
    const again = await solveHead(args);
    expect(Array.from(again.weight)).toEqual(Array.from(sol.weight));
  });

  it('returns W0 when mu is large', async () => {
    const p = problem(3);
    const target = conv2d(p.features, p.h, p.w, p.rc, p.wTrue, p.bTrue);
    const sol = await solveHead({
      features: p.features, height: p.h, width: p.w, conv: p.rc, weight: p.w0, bias: p.b0,
      target, pixelWeight: p.pixelWeight, mu: 1e14, maxSamples: 1e9,
    });
    for (let i = 0; i < p.w0.length; i++) expect(sol.weight[i]).toBeCloseTo(p.w0[i], 6);
    for (let i = 0; i < 3; i++) expect(sol.bias[i]).toBeCloseTo(p.b0[i], 6);
  });

  it('minimises the weighted loss: the solution beats W0 and small perturbations of itself', async () => {
    const p = problem(4);
    const rand = mulberry32(9);
    const target = Float32Array.from(conv2d(p.features, p.h, p.w, p.rc, p.wTrue, p.bTrue), (v) => v + randn(rand) * 0.5);
    const mu = 2;
    const sol = await solveHead({
      features: p.features, height: p.h, width: p.w, conv: p.rc, weight: p.w0, bias: p.b0,
      target, pixelWeight: p.pixelWeight, mu, maxSamples: 1e9,
    });
    const loss = (wt: Float32Array, b: Float32Array) => {
      const out = conv2d(p.features, p.h, p.w, p.rc, wt, b);
      const n = p.h * p.w;
      let s = 0;
      for (let c = 0; c < 3; c++) for (let i = 0; i < n; i++) s += p.pixelWeight[i] * (out[c * n + i] - target[c * n + i]) ** 2;
      for (let i = 0; i < wt.length; i++) s += mu * (wt[i] - p.w0[i]) ** 2;
      for (let i = 0; i < 3; i++) s += mu * (b[i] - p.b0[i]) ** 2;
      return s;
    };
    const best = loss(sol.weight, sol.bias);
    expect(best).toBeLessThan(loss(p.w0, p.b0));
    for (let t = 0; t < 5; t++) {
      const wt = Float32Array.from(sol.weight, (v) => v + randn(rand) * 1e-2);
      expect(best).toBeLessThan(loss(wt, sol.bias));
    }
  });

  it('honours the abort signal', async () => {
    const p = problem(5);
    const ac = new AbortController();
    ac.abort();
    await expect(
      solveHead({
        features: p.features, height: p.h, width: p.w, conv: p.rc, weight: p.w0, bias: p.b0,
        target: new Float32Array(3 * p.h * p.w), pixelWeight: p.pixelWeight, mu: 1, maxSamples: 1e9, signal: ac.signal,
      }),
    ).rejects.toBeDefined();
  });
});

describe('building blocks', () => {
  it('gramTS equals a naive G^T G', () => {
    const rand = mulberry32(11);
    const n = 37;
    const k = 9;
    const g = Float32Array.from({ length: n * k }, () => randn(rand));
    const a = gramTS(g, n, k);
    for (let i = 0; i < k; i++)
      for (let j = 0; j < k; j++) {
        let s = 0;
        for (let r = 0; r < n; r++) s += g[r * k + i] * g[r * k + j];
        expect(a[i * k + j]).toBeCloseTo(s, 9);
      }
  });

  it('Cholesky solves an SPD system and refuses an indefinite one', () => {
    const m = new Float64Array([4, 2, 0.4, 2, 5, 1, 0.4, 1, 3]);
    const l = new Float64Array(m);
    expect(cholesky(l, 3)).toBe(true);
    const x = new Float64Array([1, -2, 0.5]);
    const b = new Float64Array(3);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) b[i] += m[i * 3 + j] * x[j];
    choleskySolve(l, 3, b);
    for (let i = 0; i < 3; i++) expect(b[i]).toBeCloseTo(x[i], 12);
    expect(cholesky(new Float64Array([1, 2, 2, 1]), 2)).toBe(false);
  });

  it('im2col rows match the convolution', () => {
    const p = problem(6, 3, 6, 7);
    const k = p.rc.k;
    const row = new Float32Array(k);
    const out = conv2d(p.features, p.h, p.w, p.rc, p.wTrue, p.bTrue);
    for (const pix of [0, 6, 20, 41]) {
      im2colRow(p.features, p.h, p.w, p.rc, pix, row, 0, 1);
      for (let o = 0; o < 3; o++) {
        let s = 0;
        for (let i = 0; i < k - 1; i++) s += row[i] * p.wTrue[o * (k - 1) + i];
        s += row[k - 1] * p.bTrue[o];
        expect(s).toBeCloseTo(out[o * p.h * p.w + pix], 5);
      }
    }
  });

  it('conv2d handles stride 2 and SAME_UPPER padding', () => {
    const g: ConvGeometry = { ...geometry(2, 1), strides: [2, 2], autoPad: 'SAME_UPPER' };
    const rc = resolveConv(g, 5, 5);
    expect([rc.outH, rc.outW, rc.padT, rc.padL]).toEqual([3, 3, 1, 1]);
    const f = Float32Array.from({ length: 25 }, (_, i) => i);
    const wt = new Float32Array(18);
    wt[4] = 1; // centre tap, channel 0
    wt[9 + 0] = 1; // top-left tap, channel 1
    const out = conv2d(f, 5, 5, rc, wt, [0, 0]);
    expect(Array.from(out.subarray(0, 9))).toEqual([0, 2, 4, 10, 12, 14, 20, 22, 24]);
    expect(Array.from(out.subarray(9))).toEqual([0, 0, 0, 0, 6, 8, 0, 16, 18]);
  });

  it('samples every defect pixel under the cap and keeps the weights unbiased', () => {
    const n = 1000;
    const defect = Uint8Array.from({ length: n }, (_, i) => (i < 100 ? 1 : 0));
    const s = samplePixels(defect, n, 300, 1);
    expect(s.indices.length).toBe(300);
    const inDefect = Array.from(s.indices).filter((i) => i < 100).length;
    expect(inDefect).toBe(100);
    let wd = 0;
    let wb = 0;
    s.indices.forEach((p, j) => (p < 100 ? (wd += s.scale[j]) : (wb += s.scale[j])));
    expect(wd).toBeCloseTo(100, 9);
    expect(wb).toBeCloseTo(900, 9);
    expect(new Set(s.indices).size).toBe(300);
    expect(Array.from(samplePixels(defect, n, 300, 1).indices)).toEqual(Array.from(s.indices));
    expect(Array.from(samplePixels(defect, n, 300, 2).indices)).not.toEqual(Array.from(s.indices));
  });

  it('seam band is the 4-pixel ring outside the defect', () => {
    const w = 20;
    const h = 20;
    const defect = new Uint8Array(w * h);
    for (let y = 8; y < 12; y++) for (let x = 8; x < 12; x++) defect[y * w + x] = 1;
    const band = seamBand(defect, w, h, 4);
    expect(band.reduce((a, b) => a + b, 0)).toBe(12 * 12 - 16);
    expect(band[4 * w + 4]).toBe(1);
    expect(band[3 * w + 8]).toBe(0);
    expect(band[10 * w + 10]).toBe(0);
    const a = new Float32Array(3 * w * h).fill(1);
    const b = new Float32Array(3 * w * h);
    expect(maskedMse(a, b, band)).toBe(1);
  });
});
