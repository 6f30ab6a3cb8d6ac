/**
 * "Too big for WASM", decided from the manifest alone, before a byte of the pack is read or downloaded.
 *
 * Every onnxruntime-web build is wasm32: one heap of at most 4 GiB shared by all sessions. Creating a
 * session copies the model (and its external data) into that heap and keeps the weights there, and the copy
 * is freed only after the session exists, so while one model loads its files and its run-time weights
 * coexist. A model's run-time bytes are its file bytes, unless the manifest's `models` says more: 16-bit
 * weights that the graph casts to float32 are kept as float32 (`runtimeBytes`, written by `defect-studio
 * pack` from the graph). Sessions are created largest first (pack.ts), then the decoder adapter's edited
 * decoder (stage 3). The estimate is the peak of that sequence plus a working allowance for activations and
 * the runtime; it is an estimate from the manifest, not a measurement (README, "Too big for WASM").
 */
import { PackError } from './errors';
import { EXTERNAL_DATA, modelOfFile } from './manifest';
import type { PackManifest } from './manifest-types';

export { EXTERNAL_DATA, modelOfFile };

/** The wasm32 heap limit. */
export const WASM_HEAP_BYTES = 4 * 1024 ** 3;
/** Activations, ORT's arenas and the wasm module itself (a 512x512 SD-1.5 UNet step with guidance fits). */
export const WASM_WORKING_BYTES = 384 * 1024 ** 2;

/** What the estimate reads: the file sizes, and the per-model run-time sizes where the manifest has them. */
export type MemoryManifest = Pick<PackManifest, 'files' | 'models'>;

export interface MemoryEstimate {
  /** Bytes of each model (graph + external data), from the manifest. */
  models: Record<string, number>;
  /** Bytes of each model once its session exists: `models[m].runtimeBytes` where declared, else its file bytes. */
  runtimeModels: Record<string, number>;
  /** Stored bytes of 16-bit weights cast to float32 in the graphs, over all models (0 when none is declared). */
  castToFloat32Bytes: number;
  /** Peak heap bytes while loading the sessions largest first (one model's files and its run-time weights while it loads). */
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

export function estimateWasmMemory(manifest: MemoryManifest): MemoryEstimate {
  const models = modelBytes(manifest);
  const runtimeModels: Record<string, number> = {};
  let castToFloat32Bytes = 0;
  for (const [m, bytes] of Object.entries(models)) {
    const info = manifest.models?.[m as keyof NonNullable<PackManifest['models']>];
    runtimeModels[m] = Math.max(bytes, info?.runtimeBytes ?? 0);
    castToFloat32Bytes += info?.castToFloat32Bytes ?? 0;
  }
  const order = Object.keys(models).map((m) => ({ bytes: models[m], runtime: runtimeModels[m] }));
  order.sort((a, b) => b.runtime - a.runtime);
  // The adapter's session: the decoder with one more output, created after the others.
  if (models.vae_decoder) order.push({ bytes: models.vae_decoder, runtime: runtimeModels.vae_decoder });
  let held = 0;
  let peak = 0;
  for (const s of order) {
    peak = Math.max(peak, held + s.bytes + s.runtime);
    held += s.runtime;
  }
  const needBytes = peak + WASM_WORKING_BYTES;
  return { models, runtimeModels, castToFloat32Bytes, loadPeakBytes: peak, needBytes, fitsWasm: needBytes <= WASM_HEAP_BYTES };
}

/** One decimal, in GB (10^9 bytes), as people read download sizes. */
function gb(n: number): string {
  return (n / 1e9).toFixed(1);
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

/**
 * Throws a PackError when the pack cannot load in onnxruntime-web's WASM build: "this pack needs about N GB;
 * WASM can hold 4 GB; use WebGPU or an fp16 pack", or, for a pack whose 16-bit weights are cast to float32
 * in the graph (its manifest's `models`), the message names its run-time size. Call it with the manifest,
 * before reading any file.
 */
export function assertFitsWasm(manifest: MemoryManifest & { id?: string }): MemoryEstimate {
  const e = estimateWasmMemory(manifest);
  if (!e.fitsWasm) {
    const largest = Object.entries(e.runtimeModels).sort((a, b) => b[1] - a[1])[0];
    const found = `${gb(sum(e.runtimeModels))} GB of models${e.castToFloat32Bytes ? ' at run time' : ''} (largest: ${largest?.[0]}, ${gb(largest?.[1] ?? 0)} GB)`;
    if (e.castToFloat32Bytes > 0) {
      throw new PackError(
        `this pack needs about ${gb(e.needBytes)} GB: its 16-bit weights are cast to fp32 when it loads, ` +
          `${gb(sum(e.runtimeModels))} GB of models at run time (${gb(sum(e.models))} GB to download); ` +
          `WASM can hold ${WASM_HEAP_BYTES / 1024 ** 3} GB; use WebGPU or a pack that computes in fp16`,
        {
          expected: `at most ${gb(WASM_HEAP_BYTES)} GB: each model's files and its run-time weights while it loads, plus ${gb(WASM_WORKING_BYTES)} GB working memory`,
          found,
        },
      );
    }
    throw new PackError(
      `this pack needs about ${gb(e.needBytes)} GB; WASM can hold ${WASM_HEAP_BYTES / 1024 ** 3} GB; use WebGPU or an fp16 pack`,
      {
        expected: `at most ${gb(WASM_HEAP_BYTES)} GB of models, held twice while each loads, plus ${gb(WASM_WORKING_BYTES)} GB working memory`,
        found,
      },
    );
  }
  return e;
}
