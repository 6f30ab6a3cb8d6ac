import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  adaptDecoderHead,
  createDecoderAdapter,
  createRuntimeGram,
  gramTS,
  maskedMse,
  mulberry32,
} from '../../src/core/diffusion/adaptation';
import type { AdaptationSettings } from '../../src/core/diffusion/types';
import type { ModelSession } from '../../src/core/models/runtime';
import { OrtNodeTestRuntime } from './ort-node';

const FIX = join(__dirname, 'fixtures');
const SCALE = 0.18215;
const settings: AdaptationSettings = { enabled: true, backgroundWeight: 100, mu: 1e-3, maxSamples: 16384 };

function randn(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

async function decode(session: ModelSession, latent: Float32Array, shape: [number, number, number]) {
  const out = await session.run(
    { latent_sample: { type: 'float32', data: Float32Array.from(latent, (v) => v / SCALE), dims: [1, ...shape] } },
    ['sample'],
  );
  return out.sample.data as Float32Array;
}

/** A fixed sample: x_ok = decode(A) + a smooth pattern the decoder cannot reproduce; the defect changes a latent square. */
async function fixedSample(session: ModelSession) {
  const lh = 16;
  const lw = 16;
  const shape: [number, number, number] = [4, lh, lw];
  const rand = mulberry32(42);
  const a = Float32Array.from({ length: 4 * lh * lw }, () => randn(rand) * SCALE);
  const b = Float32Array.from(a);
  for (let c = 0; c < 4; c++)
    for (let y = 5; y < 11; y++) for (let x = 4; x < 10; x++) b[c * lh * lw + y * lw + x] = randn(rand) * SCALE * 2;
  const H = 32;
  const W = 32;
  const base = await decode(session, a, shape);
  const xOk = Float32Array.from(base, (v, i) => {
    const p = i % (H * W);
    const y = Math.floor(p / W);
    const x = p % W;
    return v + 0.2 * Math.sin(x / 5 + (i > H * W ? 1 : 0)) * Math.cos(y / 7);
  });
  const xGen = await decode(session, b, shape);
  const defect = new Uint8Array(H * W);
  for (let y = 12; y < 20; y++) for (let x = 10; x < 18; x++) defect[y * W + x] = 1;
  return { latent: b, latentShape: shape, xGen, xOk, defect, width: W, height: H };
}

describe('decoder adaptation end to end (tiny SD-layout decoder, onnxruntime-node)', () => {
  it('lowers the background and seam error of the decoded image and keeps the defect', async () => {
    const runtime = new OrtNodeTestRuntime();
    const bytes = new Uint8Array(readFileSync(join(FIX, 'tiny-sd-decoder-fp32.onnx')));
    const handle = await createDecoderAdapter(runtime, bytes, { latentScale: SCALE });
    expect(handle.adapter).not.toBeNull();
    const sample = await fixedSample(handle.session!);
    const { image, report } = await handle.adapter!.adapt({ ...sample, settings });
    expect(report.applied).toBe(true);
    expect(report.backgroundMseAfter!).toBeLessThan(report.backgroundMseBefore! * 0.9);
    expect(report.seamMseAfter!).toBeLessThan(report.seamMseBefore!);
    expect(report.backgroundMseAfter).toBeCloseTo(maskedMse(image, sample.xOk, sample.defect.map((d) => 1 - d)), 9);
    // inside the defect the adapted decode stays close to the generated one
    const inside = maskedMse(image, sample.xGen, sample.defect);
    const originalInside = maskedMse(sample.xOk, sample.xGen, sample.defect);
    expect(inside).toBeLessThan(0.5 * originalInside);
    expect(report.ms).toBeGreaterThan(0);
    await handle.release();
  });

  it('gives the same solution with the ONNX Runtime Gram kernel and the float64 TypeScript kernel', async () => {
    const runtime = new OrtNodeTestRuntime();
    const bytes = new Uint8Array(readFileSync(join(FIX, 'tiny-sd-decoder-fp32.onnx')));
    const handle = await createDecoderAdapter(runtime, bytes, { latentScale: SCALE });
    const sample = await fixedSample(handle.session!);
    const out = await handle.session!.run(
      { latent_sample: { type: 'float32', data: Float32Array.from(sample.latent, (v) => v / SCALE), dims: [1, 4, 16, 16] } },
      [handle.conv!.featuresName],
    );
    const f = out[handle.conv!.featuresName];
    const common = {
      features: f.data as Float32Array,
      featuresShape: [f.dims[1], f.dims[2], f.dims[3]] as [number, number, number],
      conv: handle.conv!,
      ...sample,
      settings,
    };
    const kernel = await createRuntimeGram(runtime);
    const rand = mulberry32(5);
    const rows = Float32Array.from({ length: 300 * 20 }, () => randn(rand));
    const g1 = await kernel.gram(rows, 300, 20);
    const g2 = gramTS(rows, 300, 20);
    for (let i = 0; i < 400; i++) expect(Math.abs(g1[i] - g2[i])).toBeLessThan(1e-3);
    const a = await adaptDecoderHead({ ...common, gram: kernel.gram });
    const b = await adaptDecoderHead(common);
    let maxDiff = 0;
    for (let i = 0; i < a.image.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.image[i] - b.image[i]));
    expect(maxDiff).toBeLessThan(1e-3);
    await kernel.release();
    await handle.release();
  });

  it('works on an fp16 decoder', async () => {
    const runtime = new OrtNodeTestRuntime();
    const bytes32 = new Uint8Array(readFileSync(join(FIX, 'tiny-sd-decoder-fp32.onnx')));
    const h32 = await createDecoderAdapter(runtime, bytes32, { latentScale: SCALE });
    const sample = await fixedSample(h32.session!);
    const bytes = new Uint8Array(readFileSync(join(FIX, 'tiny-sd-decoder-fp16.onnx')));
    const handle = await createDecoderAdapter(runtime, bytes, { latentScale: SCALE });
    expect(handle.conv!.featuresType).toBe('float16');
    const { report } = await handle.adapter!.adapt({ ...sample, settings });
    expect(report.applied).toBe(true);
    expect(report.backgroundMseAfter!).toBeLessThan(report.backgroundMseBefore!);
    await handle.release();
    await h32.release();
  });

  it('returns the plain decode when switched off', async () => {
    const runtime = new OrtNodeTestRuntime();
    const bytes = new Uint8Array(readFileSync(join(FIX, 'tiny-sd-decoder-fp32.onnx')));
    const handle = await createDecoderAdapter(runtime, bytes, { latentScale: SCALE });
    const sample = await fixedSample(handle.session!);
    const { image, report } = await handle.adapter!.adapt({ ...sample, settings: { ...settings, enabled: false } });
    expect(image).toBe(sample.xGen);
    expect(report.applied).toBe(false);
    await handle.release();
  });

  it('skips a decoder that does not end with a convolution, with a notice', async () => {
    const runtime = new OrtNodeTestRuntime();
    const bytes = new Uint8Array(readFileSync(join(FIX, 'tiny-decoder-tanh.onnx')));
    const handle = await createDecoderAdapter(runtime, bytes, { latentScale: SCALE });
    expect(handle.adapter).toBeNull();
    expect(handle.notice).toMatch(/Tanh, not a convolution/);
  });
});
