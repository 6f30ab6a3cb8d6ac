/** adaptDecoderHead without a runtime (TypeScript Gram kernel): mu's scaling with resolution, the rim term, edge metrics. */
import { describe, expect, it } from 'vitest';
import type { FinalConv } from '../../models/onnx/decoder-head';
import { adaptDecoderHead, effectiveMu } from './adapter';
import { mulberry32 } from './solve';
import { edgeMetrics, insideDistance } from './metrics';

function randn(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

const conv1x1 = (cin: number, rand: () => number): FinalConv => ({
  weightDims: [3, cin, 1, 1],
  pads: [0, 0, 0, 0],
  autoPad: 'NOTSET',
  strides: [1, 1],
  dilations: [1, 1],
  group: 1,
  nodeName: 'head',
  outputName: 'sample',
  featuresName: 'features',
  featuresType: 'float32',
  tail: [],
  weight: Float32Array.from({ length: 3 * cin }, () => randn(rand) * 0.3),
  bias: new Float32Array(3),
  weightType: 'float32',
});

/** A random problem of h x w pixels, and the same problem with every pixel repeated k x k. */
function problem(seed: number, cin: number, h: number, w: number, k: number) {
  const rand = mulberry32(seed);
  const planes = (c: number) => Float32Array.from({ length: c * h * w }, () => randn(rand) * 0.5);
  const features = planes(cin);
  const xGen = planes(3);
  const xOk = planes(3);
  const defect = Uint8Array.from({ length: h * w }, (_, i) => ((i % w) > 2 && (i % w) < 7 && i / w > 2 && i / w < 8 ? 1 : 0));
  const up = (a: ArrayLike<number>, c: number) => {
    const out = new Float32Array(c * h * k * w * k);
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h * k; y++)
        for (let x = 0; x < w * k; x++) out[ch * h * k * w * k + y * w * k + x] = a[ch * h * w + Math.floor(y / k) * w + Math.floor(x / k)];
    return out;
  };
  return {
    small: { features, xGen, xOk, defect, h, w },
    big: { features: up(features, cin), xGen: up(xGen, 3), xOk: up(xOk, 3), defect: Uint8Array.from(up(defect, 1)), h: h * k, w: w * k },
    conv: conv1x1(cin, rand),
  };
}

describe('decoder head adaptation', () => {
  it('mu is set at 256x256 and scales with the pixel count: the same image at 2x gives the same head', async () => {
    expect(effectiveMu(1e4, 256 * 256)).toBe(1e4);
    expect(effectiveMu(1e4, 512 * 512)).toBe(4e4);
    const p = problem(5, 6, 12, 10, 2);
    const settings = { enabled: true, backgroundWeight: 100, mu: 3e4, maxSamples: 1e9 };
    const run = (q: typeof p.small) =>
      adaptDecoderHead({
        features: q.features, featuresShape: [6, q.h, q.w], conv: p.conv, xGen: q.xGen, xOk: q.xOk, defect: q.defect,
        width: q.w, height: q.h, settings,
      });
    const a = await run(p.small);
    const b = await run(p.big);
    for (let i = 0; i < a.solution.weight.length; i++) expect(b.solution.weight[i]).toBeCloseTo(a.solution.weight[i], 6);
    // and the solution is not simply W0: mu matters at this size
    let moved = 0;
    for (let i = 0; i < a.solution.weight.length; i++) moved += Math.abs(a.solution.weight[i] - p.conv.weight[i]);
    expect(moved).toBeGreaterThan(1e-3);
  });

  it('edge metrics: the step across the edge of the paste, the input\'s own step and the rim error', () => {
    const w = 6;
    const h = 4;
    const defect = Uint8Array.from({ length: w * h }, (_, i) => (i % w >= 3 ? 1 : 0)); // right half
    const xOk = new Float32Array(3 * w * h).fill(0); // level 128 (127.5 rounds to 128)
    const x = new Float32Array(3 * w * h).fill(0);
    for (let c = 0; c < 3; c++) for (let y = 0; y < h; y++) x[c * w * h + y * w + 3] = 20 / 127.5; // the rim column +20 levels
    const m = edgeMetrics(x, xOk, defect, w, h, 1);
    expect(m.edgeStep).toBeCloseTo(20, 6);
    expect(m.inputEdgeStep).toBe(0);
    expect(m.innerBand).toBeCloseTo(20, 6);
    expect(Array.from(insideDistance(defect, w, h, 3).slice(0, 6))).toEqual([0, 0, 0, 1, 2, 3]);
  });

  it('the rim term pulls the defect rim towards the input and lowers the step across the edge', async () => {
    // the input is one head of the features, the generated defect another: the rim term moves the fit towards the
    // input's head where the rim is
    const rand = mulberry32(9);
    const cin = 8;
    const h = 24;
    const w = 24;
    const features = Float32Array.from({ length: cin * h * w }, () => randn(rand) * 0.3);
    const okHead = conv1x1(cin, rand);
    const genHead = conv1x1(cin, rand);
    const head = (c: FinalConv) => {
      const out = new Float32Array(3 * h * w);
      for (let o = 0; o < 3; o++)
        for (let p = 0; p < h * w; p++) {
          let v = c.bias[o];
          for (let i = 0; i < cin; i++) v += c.weight[o * cin + i] * features[i * h * w + p];
          out[o * h * w + p] = v;
        }
      return out;
    };
    const defect = Uint8Array.from({ length: h * w }, (_, i) => ((i % w) >= 6 && (i % w) < 18 && i / w >= 6 && i / w < 18 ? 1 : 0));
    const base = {
      features, featuresShape: [cin, h, w] as [number, number, number], conv: okHead, xGen: head(genHead), xOk: head(okHead),
      defect, width: w, height: h, settings: { enabled: true, backgroundWeight: 0.05, mu: 1, maxSamples: 1e9 },
    };
    const off = await adaptDecoderHead({ ...base, edgeBand: { weight: 0, px: 2 } });
    const on = await adaptDecoderHead({ ...base, edgeBand: { weight: 50, px: 2 } });
    expect(on.report.innerBandAfter!).toBeLessThan(off.report.innerBandAfter! * 0.95);
    expect(on.report.edgeStepAfter!).toBeLessThan(off.report.edgeStepAfter! * 0.95);
  });
});
