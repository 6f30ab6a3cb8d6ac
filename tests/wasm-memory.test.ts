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

/** tiny-sd with a manifest that declares a 3.44 GB UNet; counts every file read. */
class DeclaredLarge implements PackSource {
  readonly location = 'declared-large';
  reads: string[] = [];
  private inner = new FsPackSource(packDir('tiny-sd'));
  async readText(rel: string, limits?: { maxBytes?: number }): Promise<string> {
    this.reads.push(rel);
    const text = await this.inner.readText(rel, limits);
    if (rel !== 'defect-studio.json') return text;
    const m = JSON.parse(text);
    m.files['unet/model.onnx'].bytes = 3_438_000_000;
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
});
