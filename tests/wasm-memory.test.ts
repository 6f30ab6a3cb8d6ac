/**
 * "Too big for WASM": the estimate from declared sizes, and where it is wired (the core loader on the wasm
 * backend, the browser's download). The large packs are manifests that DECLARE gigabytes; no large file
 * exists, and the tests prove none is read or downloaded.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PackError } from '../src/core/models/errors';
import { WASM_HEAP_BYTES, assertFitsWasm, estimateWasmMemory } from '../src/core/models/memory';
import { loadPack } from '../src/core/models/pack';
import { FsPackSource } from '../src/core/models/pack-source.node.ts';
import type { PackSource } from '../src/core/models/pack-source';
import { createRuntime } from '../src/cli/generator';
import { PackStore } from '../src/worker/packStore';
import { MemoryStoreBackend } from '../src/worker/storeBackend';
import { packDir } from './helpers';
import { parseManifest } from '../src/core/models/manifest';
import type { PackManifest } from '../src/core/models/manifest-types';

/** tiny-sd-fp16w's manifest declaring SD-1.5 fp16 sizes: the UNet 1.72 GB of fp16 weights cast to fp32 (3.44 GB at run time). */
const declareCastUnet = (m: PackManifest) => {
  m.files['unet/model.onnx'].bytes = 1_719_000_000;
  m.models!.unet = { weightType: 'float16', castToFloat32Bytes: 1_719_000_000, runtimeBytes: 3_438_000_000 };
};
/** The same declared UNet size as fp32 weights (nothing cast). */
const declareFp32Unet = (m: PackManifest) => {
  m.files['unet/model.onnx'].bytes = 1_719_000_000;
  m.models!.unet = { weightType: 'float32', castToFloat32Bytes: 0, runtimeBytes: 1_719_000_000 };
};

const H = 'a'.repeat(64);
/** SD-1.5 file sizes (Optimum export): fp32 UNet 3.44 GB as external data, or fp16 throughout. */
function sd15(dtype: 'fp32' | 'fp16', controlnet = false): Record<string, { bytes: number; sha256: string }> {
  const k = dtype === 'fp32' ? 1 : 0.5;
  const f = (bytes: number) => ({ bytes: Math.round(bytes * k), sha256: H });
  return {
    'unet/model.onnx': { bytes: 900_000, sha256: H },
    'unet/model.onnx_data': f(3_438_000_000),
    'text_encoder/model.onnx': f(492_000_000),
    'vae_encoder/model.onnx': f(136_000_000),
    'vae_decoder/model.onnx': f(198_000_000),
    'tokenizer/vocab.json': { bytes: 1_059_962, sha256: H },
    ...(controlnet ? { 'controlnet/model.onnx': f(1_445_000_000) } : {}),
  };
}

/**
 * SD-1.5 fp16 sizes with the manifest's per-model fields (as `defect-studio pack` writes them): `cast` = every
 * weight stored as fp16 and cast to fp32 in the graph (the full-size test packs), else stored and computed in
 * fp16 (a real fp16 export: no casts, run-time bytes = file bytes).
 */
function sd15fp16Models(cast: boolean): PackManifest['models'] {
  const files = sd15('fp16');
  const models: NonNullable<PackManifest['models']> = {};
  for (const m of ['unet', 'text_encoder', 'vae_encoder', 'vae_decoder'] as const) {
    const fileBytes = Object.entries(files).filter(([f]) => f.startsWith(`${m}/model.onnx`)).reduce((a, [, f]) => a + f.bytes, 0);
    const castBytes = cast ? fileBytes - (m === 'unet' ? 900_000 : 0) : 0;
    models[m] = { weightType: 'float16', castToFloat32Bytes: castBytes, runtimeBytes: fileBytes + castBytes };
  }
  return models;
}

describe('WASM memory estimate', () => {
  it('adds up each model (graph + external data), holds the largest twice while it loads', () => {
    const e = estimateWasmMemory({ files: sd15('fp32') });
    expect(e.models).toEqual({ unet: 3_438_900_000, text_encoder: 492_000_000, vae_encoder: 136_000_000, vae_decoder: 198_000_000 });
    expect(e.loadPeakBytes).toBe(2 * 3_438_900_000);
    expect(e.fitsWasm).toBe(false);
  });

  it('refuses fp32 SD-1.5 with the message, accepts fp16 SD-1.5 (with and without ControlNet) and the tiny packs', () => {
    expect(() => assertFitsWasm({ files: sd15('fp32') })).toThrow(PackError);
    expect(() => assertFitsWasm({ files: sd15('fp32') })).toThrow(/^this pack needs about 7\.3 GB; WASM can hold 4 GB; use WebGPU or an fp16 pack;/);
    expect(assertFitsWasm({ files: sd15('fp16') }).needBytes).toBeLessThan(WASM_HEAP_BYTES);
    expect(assertFitsWasm({ files: sd15('fp16', true) }).fitsWasm).toBe(true);
    expect(() => assertFitsWasm({ files: sd15('fp32', true) })).toThrow(/needs about/);
    const tiny = JSON.parse(readFileSync(join(packDir('tiny-controlnet'), 'defect-studio.json'), 'utf8'));
    expect(estimateWasmMemory(tiny).fitsWasm).toBe(true);
  });
});

describe('WASM memory estimate with the manifest\'s per-model fields', () => {
  it('refuses fp16 weights cast to fp32 in the graph, naming the run-time size; a real fp16 export of the same size fits', () => {
    const cast = { files: sd15('fp16'), models: sd15fp16Models(true) };
    const e = estimateWasmMemory(cast);
    expect(e.models.unet).toBe(1_719_900_000);
    expect(e.runtimeModels.unet).toBe(3_438_900_000);
    // the UNet's files (handed over) and its fp32 weights (kept) while it loads
    expect(e.loadPeakBytes).toBe(1_719_900_000 + 3_438_900_000);
    expect(e.fitsWasm).toBe(false);
    expect(() => assertFitsWasm(cast)).toThrow(PackError);
    expect(() => assertFitsWasm(cast)).toThrow(
      /^this pack needs about 5\.6 GB: its 16-bit weights are cast to fp32 when it loads, 4\.3 GB of models at run time \(2\.1 GB to download\); WASM can hold 4 GB; use WebGPU or a pack that computes in fp16;/,
    );
    // The same declared sizes, stored and computed in fp16, or without the fields: as before (3.8 GB, allowed).
    for (const m of [{ files: sd15('fp16'), models: sd15fp16Models(false) }, { files: sd15('fp16') }]) {
      const ok = assertFitsWasm(m);
      expect(ok.needBytes).toBe(estimateWasmMemory({ files: sd15('fp16') }).needBytes);
      expect((ok.needBytes / 1e9).toFixed(1)).toBe('3.8');
    }
  });

  it('an fp32 pack of the same declared size behaves as before with the fields (float32, nothing cast)', () => {
    const files = sd15('fp32');
    const models = Object.fromEntries(
      Object.entries(estimateWasmMemory({ files }).models).map(([m, b]) => [m, { weightType: 'float32', castToFloat32Bytes: 0, runtimeBytes: b }]),
    );
    expect(estimateWasmMemory({ files, models })).toEqual(estimateWasmMemory({ files }));
    expect(() => assertFitsWasm({ files, models })).toThrow(/^this pack needs about 7\.3 GB; WASM can hold 4 GB; use WebGPU or an fp16 pack;/);
    // The fp16 sizes declared as float32 weights: 3.8 GB, allowed, as without the fields.
    const small = sd15('fp16');
    const m2 = Object.fromEntries(
      Object.entries(estimateWasmMemory({ files: small }).models).map(([m, b]) => [m, { weightType: 'float32', castToFloat32Bytes: 0, runtimeBytes: b }]),
    );
    expect(assertFitsWasm({ files: small, models: m2 }).fitsWasm).toBe(true);
  });

  it('the manifest refuses fields that cannot be right (unknown model, run time below the files, bad type)', () => {
    const base = JSON.parse(readFileSync(join(packDir('tiny-sd-fp16w'), 'defect-studio.json'), 'utf8'));
    expect(parseManifest(JSON.stringify(base)).models?.unet?.weightType).toBe('float16');
    const bad = (models: unknown) => () => parseManifest(JSON.stringify({ ...base, models }));
    expect(bad({ unett: base.models.unet })).toThrow(/invalid manifest field "models.unett"/);
    expect(bad({ unet: { ...base.models.unet, runtimeBytes: 10 } })).toThrow(/invalid manifest field "models.unet.runtimeBytes".*at least the model's 53337 bytes/);
    expect(bad({ unet: { ...base.models.unet, weightType: 'int8' } })).toThrow(/models.unet.weightType/);
    expect(bad({ unet: { ...base.models.unet, castToFloat32Bytes: -1 } })).toThrow(/models.unet.castToFloat32Bytes/);
    expect(bad([1])).toThrow(/invalid manifest field "models"/);
  });
});

/**
 * tiny-sd (or `pack`) with a manifest that declares large sizes (default: a 3.44 GB fp32 UNet); counts every
 * file read.
 */
class DeclaredLarge implements PackSource {
  readonly location = 'declared-large';
  reads: string[] = [];
  private inner: FsPackSource;
  constructor(
    pack = 'tiny-sd',
    private readonly edit: (m: PackManifest) => void = (m) => {
      m.files['unet/model.onnx'].bytes = 3_438_000_000;
    },
  ) {
    this.inner = new FsPackSource(packDir(pack));
  }
  async readText(rel: string, limits?: { maxBytes?: number }): Promise<string> {
    this.reads.push(rel);
    const text = await this.inner.readText(rel, limits);
    if (rel !== 'defect-studio.json') return text;
    const m = JSON.parse(text);
    this.edit(m);
    return JSON.stringify(m);
  }
  async readFile(rel: string, limits?: { bytes?: number; maxBytes?: number }): Promise<Uint8Array> {
    this.reads.push(rel);
    return this.inner.readFile(rel, limits);
  }
  async exists(rel: string): Promise<boolean> {
    return this.inner.exists(rel);
  }
}

describe('wired: the core loader on the wasm backend', () => {
  it('refuses a declared-large pack before reading any file; the same tiny pack still loads on wasm', async () => {
    const wasm = await createRuntime('wasm');
    const src = new DeclaredLarge();
    await expect(loadPack(src, wasm)).rejects.toThrow(/this pack needs about 7\.3 GB; WASM can hold 4 GB; use WebGPU or an fp16 pack/);
    expect(src.reads).toEqual(['defect-studio.json']);
    // native has no such limit: it goes on to read files (and then finds the real size differs)
    const native = await createRuntime('native');
    const src2 = new DeclaredLarge();
    await expect(loadPack(src2, native)).rejects.toThrow(/unet\/model.onnx/);
    expect(src2.reads.length).toBeGreaterThan(1);
    const ok = await loadPack(new FsPackSource(packDir('tiny-sd')), wasm);
    await ok.release();
  }, 120_000);

  it('refuses a declared fp16-cast pack by its run-time size before reading any file; fp32 of the same size goes on', async () => {
    const wasm = await createRuntime('wasm');
    const src = new DeclaredLarge('tiny-sd-fp16w', declareCastUnet);
    await expect(loadPack(src, wasm)).rejects.toThrow(/this pack needs about 5\.6 GB: its 16-bit weights are cast to fp32 when it loads, 3\.4 GB of models at run time \(1\.7 GB to download\); WASM can hold 4 GB/);
    expect(src.reads).toEqual(['defect-studio.json']);
    // the same declared size, fp32 weights: allowed by the estimate, so the loader reads on (and finds the real size differs)
    const src2 = new DeclaredLarge('tiny-sd-fp16w', declareFp32Unet);
    await expect(loadPack(src2, wasm)).rejects.toThrow(/file size differs from the manifest; file unet\/model.onnx/);
    expect(src2.reads.length).toBeGreaterThan(1);
    // the real tiny fp16-weight pack loads on wasm (ORT folds its casts)
    const ok = await loadPack(new FsPackSource(packDir('tiny-sd-fp16w')), wasm);
    await ok.release();
  }, 120_000);
});

describe('wired: the browser download (the pack store, as the worker calls it)', () => {
  it('refuses before downloading anything when the backend is wasm; webgpu downloads', async () => {
    const beforeDownload = (backend: string) => (m: Parameters<typeof assertFitsWasm>[0]) => {
      if (backend === 'wasm') assertFitsWasm(m);
    };
    const store = new PackStore(new MemoryStoreBackend());
    const src = new DeclaredLarge();
    await expect(store.put(src, { beforeDownload: beforeDownload('wasm') })).rejects.toThrow(/needs about 7\.3 GB; WASM can hold 4 GB/);
    expect(src.reads).toEqual(['defect-studio.json']);
    expect(await store.list()).toEqual([]);
    // On WebGPU the same manifest is not refused up front (the download proceeds, and fails here on size).
    const src2 = new DeclaredLarge();
    await expect(store.put(src2, { beforeDownload: beforeDownload('webgpu') })).rejects.toThrow(/unet\/model.onnx/);
    expect(src2.reads.length).toBeGreaterThan(1);
  });

  it('refuses a declared fp16-cast pack before downloading anything, naming the run-time size; fp32 of the same size downloads', async () => {
    const store = new PackStore(new MemoryStoreBackend());
    const src = new DeclaredLarge('tiny-sd-fp16w', declareCastUnet);
    await expect(store.put(src, { beforeDownload: (m) => void assertFitsWasm(m) })).rejects.toThrow(/needs about 5\.6 GB: .* 3\.4 GB of models at run time/);
    expect(src.reads).toEqual(['defect-studio.json']);
    expect(await store.list()).toEqual([]);
    const src2 = new DeclaredLarge('tiny-sd-fp16w', declareFp32Unet);
    await expect(store.put(src2, { beforeDownload: (m) => void assertFitsWasm(m) })).rejects.toThrow(/unet\/model.onnx/);
    expect(src2.reads.length).toBeGreaterThan(1);
  });
});
