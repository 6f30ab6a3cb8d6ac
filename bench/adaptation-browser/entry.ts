/**
 * Browser side of the closed-form timing (bundled by bench/adaptation-browser.bench.ts with esbuild):
 * the same adaptDecoderHead as the app, with the Gram matrix on onnxruntime-web's WASM backend.
 */
import * as ort from 'onnxruntime-web/wasm';
import { createWebRuntime, type WebOrtModule } from '../../src/core/models/ort-web';
import { adaptDecoderHead, createRuntimeGram, mulberry32 } from '../../src/core/diffusion/adaptation';
import type { FinalConv } from '../../src/core/models/onnx/decoder-head';

function conv(c: number): FinalConv {
  const rand = mulberry32(c);
  return {
    nodeName: 'conv_out', outputName: 'sample', featuresName: 'features', featuresType: 'float32', tail: [],
    weight: Float32Array.from({ length: 3 * c * 9 }, () => (rand() - 0.5) * 0.1), bias: new Float32Array(3),
    weightType: 'float32', weightDims: [3, c, 3, 3], pads: [1, 1, 1, 1], autoPad: 'NOTSET', strides: [1, 1],
    dilations: [1, 1], group: 1,
  };
}

async function run(opts: { channels: number[]; maxSamples: number; reps: number }) {
  const threads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
  const runtime = createWebRuntime(ort as unknown as WebOrtModule, { backend: 'wasm', numThreads: threads, wasmPaths: '/ort/' });
  const gram = await createRuntimeGram(runtime);
  const size = 256;
  const rows: Record<string, string | number>[] = [];
  for (const c of opts.channels) {
    const rand = mulberry32(100 + c);
    const features = Float32Array.from({ length: c * size * size }, () => Math.max(0, rand() * 2 - 0.5));
    const xOk = Float32Array.from({ length: 3 * size * size }, () => rand() * 2 - 1);
    const xGen = Float32Array.from(xOk, (v) => v + (rand() - 0.5) * 0.1);
    const defect = new Uint8Array(size * size);
    for (let y = 100; y < 150; y++) for (let x = 90; x < 170; x++) defect[y * size + x] = 1;
    for (const [name, k] of [['onnxruntime-web WASM Gemm', gram.gram], ['pure TypeScript float64 Gram', undefined]] as const) {
      if (c > 16 && !k) continue;
      const times: number[] = [];
      for (let r = 0; r < opts.reps; r++) {
        const t0 = performance.now();
        await adaptDecoderHead({
          features, featuresShape: [c, size, size], conv: conv(c), xGen, xOk, defect, width: size, height: size,
          settings: { enabled: true, backgroundWeight: 100, mu: 1e-3, maxSamples: opts.maxSamples }, gram: k,
        });
        times.push(performance.now() - t0);
      }
      rows.push({
        case: `browser 256x256 C=${c} (${c * 9 + 1} unknowns)`,
        method: `Chromium: ${name}, ${threads} thread(s)`,
        samples: opts.maxSamples,
        'ms / image': +Math.min(...times).toFixed(1),
      });
    }
  }
  await gram.release();
  return rows;
}

(globalThis as unknown as { runAdaptBench: typeof run }).runAdaptBench = run;
