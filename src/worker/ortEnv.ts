// onnxruntime-web inside the Worker: pick the build by backend, point it at the wasm files the production
// build ships (Vite `?url` assets: the .mjs and .wasm of one build travel together), set threads.
import wasmMjs from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import wasmWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import gpuMjs from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import gpuWasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import type { WebOrtModule } from '../core/models/ort-web';
import type { ActiveBackend, BackendSetting } from './protocol';

export interface AdapterProbe {
  available: boolean;
  fallback: boolean;
  description: string;
}

/** Is there a WebGPU adapter, and is it a real GPU (not a software fallback such as SwiftShader)? */
export async function probeWebGpu(): Promise<AdapterProbe> {
  const gpu = (self.navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return { available: false, fallback: false, description: 'no WebGPU in this browser' };
  type AdapterLike = {
    isFallbackAdapter?: boolean;
    info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
  };
  const adapter = (await gpu.requestAdapter().catch(() => null)) as AdapterLike | null;
  if (!adapter) return { available: false, fallback: false, description: 'no WebGPU adapter' };
  const info = adapter.info ?? {};
  const text = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ');
  const fallback = Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter) || /swiftshader|llvmpipe|software/i.test(text);
  return { available: true, fallback, description: text || 'WebGPU adapter' };
}

/** Resolve Auto: a real WebGPU adapter if there is one, otherwise WASM. */
export async function resolveBackend(setting: BackendSetting): Promise<{ backend: ActiveBackend; note?: string }> {
  if (setting === 'wasm') return { backend: 'wasm' };
  const probe = await probeWebGpu();
  if (setting === 'webgpu') {
    if (!probe.available) return { backend: 'wasm', note: `WebGPU unavailable (${probe.description}); using WASM` };
    return { backend: 'webgpu', note: probe.fallback ? `WebGPU on a software adapter (${probe.description})` : undefined };
  }
  if (!probe.available) return { backend: 'wasm', note: `Auto: ${probe.description}, using WASM` };
  if (probe.fallback) return { backend: 'wasm', note: `Auto: software WebGPU adapter (${probe.description}), using WASM` };
  return { backend: 'webgpu' };
}

/**
 * WASM threads: one per core but one, which stays free for the page (painting, previews), at most 8.
 * Without cross-origin isolation there is no SharedArrayBuffer, so 1.
 */
export function threadCount(requested = 0): number {
  if (!self.crossOriginIsolated) return 1;
  const n = self.navigator.hardwareConcurrency || 1;
  if (requested > 0) return Math.min(requested, n);
  return Math.max(1, Math.min(n - 1, 8));
}

let loaded: { kind: 'wasm' | 'webgpu'; ort: WebOrtModule } | null = null;

/**
 * The ORT module for a backend. One build per worker lifetime: the WebGPU build also runs the WASM EP
 * (used after a lost device), so asking for 'wasm' after 'webgpu' returns the WebGPU build.
 */
export async function importOrt(backend: ActiveBackend): Promise<{ ort: WebOrtModule; wasmPaths: { mjs: string; wasm: string } }> {
  if (!loaded) {
    if (backend === 'webgpu') loaded = { kind: 'webgpu', ort: (await import('onnxruntime-web/webgpu')) as unknown as WebOrtModule };
    else loaded = { kind: 'wasm', ort: (await import('onnxruntime-web/wasm')) as unknown as WebOrtModule };
  } else if (backend === 'webgpu' && loaded.kind !== 'webgpu') {
    throw new Error('the WASM build is loaded in this worker; restart it to use WebGPU');
  }
  const wasmPaths = loaded.kind === 'webgpu' ? { mjs: abs(gpuMjs), wasm: abs(gpuWasm) } : { mjs: abs(wasmMjs), wasm: abs(wasmWasm) };
  const env = loaded.ort.env as WebOrtModule['env'] & { logLevel?: string };
  env.wasm.wasmPaths = wasmPaths;
  env.wasm.proxy = false;
  env.logLevel = 'error';
  return { ort: loaded.ort, wasmPaths };
}

export function loadedOrtKind(): 'wasm' | 'webgpu' | null {
  return loaded?.kind ?? null;
}

function abs(url: string): string {
  return new URL(url, self.location.href).href;
}
