/**
 * Runtime adapter for onnxruntime-web. Pass the imported module object (`onnxruntime-web/wasm` for CPU,
 * `onnxruntime-web/webgpu` for WebGPU), so the Worker and Node tests can share this file:
 *
 *   import * as ort from 'onnxruntime-web/wasm';
 *   const runtime = createWebRuntime(ort, { backend: 'wasm', numThreads: 1 });
 */
import type { InferenceSession } from 'onnxruntime-common';
import type { Runtime, SessionOptions } from './runtime';
import { baseSessionOptions, wrapSession, type OrtModule } from './ort-common';

export interface WebOrtModule extends OrtModule {
  env: { wasm: { numThreads?: number; wasmPaths?: unknown; proxy?: boolean } };
}

export interface WebRuntimeOptions {
  backend: 'wasm' | 'webgpu';
  /** WASM threads; needs cross-origin isolation in a browser. In Node use 1. */
  numThreads?: number;
  /** Prefix or {mjs, wasm} URLs of ORT's wasm files (env.wasm.wasmPaths). */
  wasmPaths?: unknown;
}

export function createWebRuntime(ort: WebOrtModule, opts: WebRuntimeOptions): Runtime {
  if (opts.numThreads !== undefined) ort.env.wasm.numThreads = opts.numThreads;
  if (opts.wasmPaths !== undefined) ort.env.wasm.wasmPaths = opts.wasmPaths;
  return {
    name: opts.backend,
    async createSession(model: Uint8Array, options?: SessionOptions) {
      const so: InferenceSession.SessionOptions = {
        ...baseSessionOptions(options),
        executionProviders: opts.backend === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'],
      };
      if (options?.externalData?.length) {
        (so as { externalData?: unknown }).externalData = options.externalData.map((e) => ({ path: e.path, data: e.data }));
      }
      const session = await ort.InferenceSession.create(model, so);
      return wrapSession(ort, session);
    },
  };
}
