/**
 * WebGPU check of the Gram kernel (bundled by bench/adaptation-browser.bench.ts): runs the same Gemm model
 * as createRuntimeGram on onnxruntime-web's WebGPU EP and compares it with the float64 TypeScript kernel.
 * Headless Chromium's WebGPU is SwiftShader (CPU emulation): the timing says nothing about a real GPU.
 */
import * as ort from 'onnxruntime-web/webgpu';
import { createWebRuntime, type WebOrtModule } from '../../src/core/models/ort-web';
import { createRuntimeGram, gramTS, mulberry32 } from '../../src/core/diffusion/adaptation';

async function run(opts: { n: number; k: number }) {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  const adapter = gpu ? await gpu.requestAdapter() : null;
  if (!adapter) return [{ case: 'webgpu gram check', method: 'no WebGPU adapter in this browser' }];
  const runtime = createWebRuntime(ort as unknown as WebOrtModule, { backend: 'webgpu', numThreads: 1, wasmPaths: '/ort/' });
  const gram = await createRuntimeGram(runtime);
  const rand = mulberry32(3);
  const rows = Float32Array.from({ length: opts.n * opts.k }, () => rand() * 2 - 0.5);
  const t0 = performance.now();
  const g = await gram.gram(rows, opts.n, opts.k);
  const ms = performance.now() - t0;
  const ref = gramTS(rows, opts.n, opts.k);
  let maxRel = 0;
  for (let i = 0; i < ref.length; i++) maxRel = Math.max(maxRel, Math.abs(g[i] - ref[i]) / Math.max(1, Math.abs(ref[i])));
  await gram.release();
  return [{ case: `webgpu gram check ${opts.n}x${opts.k}`, method: 'Chromium: onnxruntime-web WebGPU Gemm vs float64', 'max rel error': +maxRel.toExponential(2), 'ms (SwiftShader)': +ms.toFixed(1) }];
}

(globalThis as unknown as { runWebgpuCheck: typeof run }).runWebgpuCheck = run;
