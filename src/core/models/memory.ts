/**
 * "Too big for WASM", decided from the manifest alone, before a byte of the pack is read or downloaded.
 *
 * Every onnxruntime-web build is wasm32: one heap of at most 4 GiB shared by all sessions. Creating a
 * session copies the model (and its external data) into that heap and keeps the weights there, and the copy
 * is freed only after the session exists, so one model is held twice while it loads. Sessions are created
 * largest first (pack.ts), then the decoder adapter's edited decoder (stage 3). The estimate is the peak of
 * that sequence plus a working allowance for activations and the runtime; it is an estimate from file
 * sizes, not a measurement (README, "Too big for WASM").
 */
import { PackError } from './errors';
import type { PackManifest } from './manifest-types';

/** The wasm32 heap limit. */
export const WASM_HEAP_BYTES = 4 * 1024 ** 3;
/** Activations, ORT's arenas and the wasm module itself (a 512x512 SD-1.5 UNet step with guidance fits). */
export const WASM_WORKING_BYTES = 384 * 1024 ** 2;

const MODELS = ['unet', 'controlnet', 'text_encoder', 'vae_encoder', 'vae_decoder'] as const;
/** External data of a model (e.g. `unet/model.onnx_data`), by its name. */
export const EXTERNAL_DATA = /(_data|\.data|\.onnx\.data|\.weights)$/;

/** The model a listed file belongs to when it is a model's graph or external data (`unet/model.onnx_data` -> unet), else null. */
export function modelOfFile(path: string): (typeof MODELS)[number] | null {
  const slash = path.indexOf('/');
  const folder = slash > 0 ? path.slice(0, slash) : '';
  if (!(MODELS as readonly string[]).includes(folder)) return null;
  if (!path.endsWith('.onnx') && !EXTERNAL_DATA.test(path)) return null;
  return folder as (typeof MODELS)[number];
}

export interface MemoryEstimate {
  /** Bytes of each model (graph + external data), from the manifest. */
  models: Record<string, number>;
  /** Peak heap bytes while loading the sessions largest first (one model held twice while it loads). */
  loadPeakBytes: number;
  /** loadPeakBytes + WASM_WORKING_BYTES. */
  needBytes: number;
  fitsWasm: boolean;
}

/** The bytes each model of the pack declares: its `.onnx` files plus their external data. */
export function modelBytes(manifest: Pick<PackManifest, 'files'>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [path, f] of Object.entries(manifest.files)) {
    const model = modelOfFile(path);
    if (model) out[model] = (out[model] ?? 0) + f.bytes;
  }
  return out;
}

export function estimateWasmMemory(manifest: Pick<PackManifest, 'files'>): MemoryEstimate {
  const models = modelBytes(manifest);
  const sizes = Object.values(models).sort((a, b) => b - a);
  // The adapter's session: the decoder with one more output, created after the others.
  if (models.vae_decoder) sizes.push(models.vae_decoder);
  let held = 0;
  let peak = 0;
  for (const s of sizes) {
    peak = Math.max(peak, held + 2 * s);
    held += s;
  }
  const needBytes = peak + WASM_WORKING_BYTES;
  return { models, loadPeakBytes: peak, needBytes, fitsWasm: needBytes <= WASM_HEAP_BYTES };
}

/** One decimal, in GB (10^9 bytes), as people read download sizes. */
function gb(n: number): string {
  return (n / 1e9).toFixed(1);
}

/**
 * Throws a PackError ("this pack needs about N GB; WASM can hold 4 GB; use WebGPU or an fp16 pack") when the
 * pack cannot load in onnxruntime-web's WASM build. Call it with the manifest, before reading any file.
 */
export function assertFitsWasm(manifest: Pick<PackManifest, 'files'> & { id?: string }): MemoryEstimate {
  const e = estimateWasmMemory(manifest);
  if (!e.fitsWasm) {
    const largest = Object.entries(e.models).sort((a, b) => b[1] - a[1])[0];
    throw new PackError(
      `this pack needs about ${gb(e.needBytes)} GB; WASM can hold ${WASM_HEAP_BYTES / 1024 ** 3} GB; use WebGPU or an fp16 pack`,
      {
        expected: `at most ${gb(WASM_HEAP_BYTES)} GB of models, held twice while each loads, plus ${gb(WASM_WORKING_BYTES)} GB working memory`,
        found: `${gb(Object.values(e.models).reduce((a, b) => a + b, 0))} GB of models (largest: ${largest?.[0]}, ${gb(largest?.[1] ?? 0)} GB)`,
      },
    );
  }
  return e;
}
