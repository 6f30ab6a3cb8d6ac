/**
 * One loaded model pack (and decoder adapter) that generates any number of images: `generate` uses it for
 * one image, `batch` for many (one pack load per process, sessions reused across jobs). Both build the
 * request and the record the same way, so a batch job's image is byte-identical to `generate`'s.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate, InputError } from '../core/diffusion/pipeline';
import type { DecoderAdapter, GenerateRequest, GenerateResult } from '../core/diffusion/types';
import type { RGBAImage, Trimap } from '../core/image';
import { PackError } from '../core/models/errors';
import { loadPack, type LoadedPack } from '../core/models/pack';
import { FsPackSource } from '../core/models/pack-source.node.ts';
import type { Runtime } from '../core/models/runtime';
import { checkImageHeader } from '../core/imageHeader';
import { ImageDecodeError } from '../core/imageLimits';
import { decodePng, encodePng, rasterToRGBA, readPngHeader, replacePixels, type DecodedPng } from '../core/png';
import { decodeTrimapPng } from '../core/trimap/png';
import { buildRecord, type ExportRecord, type RecordInput } from '../core/export/record';
import { assertValidSettings, byFlag, defaultSettings, toGenerationSettings, type Namer, type SettingValues } from '../core/settings';
import pkg from '../../package.json';

export type Backend = 'native' | 'wasm';

/** `threads`: onnxruntime-node's intra-op threads (default: its own choice, one per core of the machine). */
export async function createRuntime(backend: Backend, threads?: number): Promise<Runtime> {
  if (backend === 'wasm') {
    const ort = await import('onnxruntime-web/wasm');
    const { createWebRuntime } = await import('../core/models/ort-web');
    return createWebRuntime(ort as unknown as Parameters<typeof createWebRuntime>[0], { backend: 'wasm', numThreads: 1 });
  }
  const { createNodeRuntime } = await import('../core/models/ort-node.node.ts');
  return createNodeRuntime(threads ? { threads } : {});
}

export async function readInput(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read ${what} ${path}${code === 'ENOENT' ? ': no such file' : code ? `: ${code}` : ''}`);
  }
}

export function decodeOr<T>(fn: () => T, what: string, path: string): T {
  try {
    return fn();
  } catch (e) {
    throw new InputError(`${what} ${path} is ${(e as Error).message}`);
  }
}

/** The input photo: a PNG of any colour type and depth, within the pixel limit (checked on the header first). */
export function decodeInputImage(bytes: Uint8Array): DecodedPng {
  const h = checkImageHeader(bytes);
  if (h.format !== 'png') throw new ImageDecodeError(`a ${h.format.toUpperCase()} file; the CLI reads PNG images only`);
  return decodePng(bytes);
}

/**
 * Decode an image + trimap pair and check what `generate` checks before loading a pack. `source` is the
 * photo at its own depth and channels, for writing image.png with encodeResultImage.
 */
export function decodeImageAndTrimap(
  imageBytes: Uint8Array,
  trimapBytes: Uint8Array,
  imagePath: string,
  trimapPath: string,
): { image: RGBAImage; trimap: Trimap; source: DecodedPng } {
  const source = decodeOr(() => decodeInputImage(imageBytes), 'image', imagePath);
  const image = rasterToRGBA(source);
  // The trimap's size is checked on its header, before it is inflated.
  const th = decodeOr(() => readPngHeader(trimapBytes), 'trimap', trimapPath);
  checkTrimapSize(image, th);
  const trimap = decodeOr(() => decodeTrimapPng(trimapBytes), 'trimap', trimapPath);
  checkTrimap(image, trimap, trimapPath);
  return { image, trimap, source };
}

/**
 * image.png at the input's depth and colour type (palette -> RGB/RGBA, 1/2/4-bit grey -> 8-bit grey, colour
 * key -> alpha): every pixel outside the result's mask is the decoded input, sample for sample; mask pixels
 * take the generated colour (alpha kept). The input's colour-space chunks are written back.
 */
export function encodeResultImage(source: DecodedPng, result: Pick<GenerateResult, 'image' | 'mask'>): Uint8Array {
  return encodePng(replacePixels(source, result.image, result.mask), { chunks: source.colorChunks });
}

function checkTrimapSize(image: RGBAImage, trimap: { width: number; height: number }): void {
  if (trimap.width !== image.width || trimap.height !== image.height) {
    throw new InputError(`trimap size ${trimap.width}x${trimap.height} does not match the image size ${image.width}x${image.height}`);
  }
}

export function checkTrimap(image: RGBAImage, trimap: Trimap, trimapPath: string): void {
  checkTrimapSize(image, trimap);
  if (!trimap.data.includes(2)) throw new InputError(`trimap ${trimapPath} has no defect region (no pixel > 200)`);
}

export interface Generator {
  backend: Backend;
  runtime: Runtime;
  pack: LoadedPack;
  adapter?: DecoderAdapter;
  adapterNotice?: string;
  /** Milliseconds to create the runtime, load the pack and build the adapter. */
  loadMs: number;
  release(): Promise<void>;
}

/** Load the pack once (and the decoder adapter when `adapt`): the sessions are reused by every run. */
export async function openGenerator(model: string, backend: Backend, adapt: boolean, opts: { threads?: number } = {}): Promise<Generator> {
  if (!existsSync(join(model, 'defect-studio.json'))) {
    throw new PackError(`not a model pack: ${model}`, { file: 'defect-studio.json', found: 'no such file' });
  }
  const t0 = performance.now();
  const runtime = await createRuntime(backend, opts.threads);
  const pack = await loadPack(new FsPackSource(model), runtime);
  let adapter: DecoderAdapter | undefined;
  let adapterNotice: string | undefined;
  let adapterRelease: (() => Promise<void>) | null = null;
  if (adapt) {
    try {
      const { createPackDecoderAdapter } = await import('../core/diffusion/adaptation');
      const handle = await createPackDecoderAdapter(pack, runtime);
      adapter = handle.adapter ?? undefined;
      adapterNotice = handle.notice;
      adapterRelease = () => handle.release();
    } catch (e) {
      adapterNotice = `decoder adaptation unavailable: ${(e as Error).message}`;
    }
  }
  return {
    backend,
    runtime,
    pack,
    adapter,
    adapterNotice,
    loadMs: performance.now() - t0,
    async release() {
      await adapterRelease?.().catch(() => undefined);
      await pack.release();
    },
  };
}

/**
 * The full request: the pack's defaults for the prompt (src/core/settings: the pack's `defaults`, then the
 * settings of the prompt preset whose prompt this is), overridden by the given settings, checked by the one
 * validation (a SettingsError names the option, or the job-line key with `name`).
 */
export function buildRequest(
  gen: Generator,
  image: RGBAImage,
  trimap: Trimap,
  given: Partial<SettingValues> & { prompt: string },
  name: Namer = byFlag,
): GenerateRequest {
  const values = { ...defaultSettings(gen.pack.manifest, given.prompt), ...given };
  assertValidSettings(values, name);
  const settings = toGenerationSettings(values);
  settings.adaptation.enabled = values.adaptation && !!gen.adapter;
  return { ...settings, image, trimap };
}

/** meta.json and batch records: the same record type as the app's export (src/core/export/record.ts). */
export function generationRecord(
  gen: Generator,
  request: GenerateRequest,
  result: GenerateResult,
  args: { sourceName: string; files: ExportRecord['files']; timings?: Record<string, number> } & Pick<RecordInput, 'createdAt' | 'sha256' | 'job'>,
): ExportRecord {
  return buildRecord({
    appVersion: pkg.version,
    tool: 'cli',
    sourceName: args.sourceName,
    width: request.image.width,
    height: request.image.height,
    request,
    model: { id: gen.pack.manifest.id, name: gen.pack.manifest.name, sha256: gen.pack.sha256 },
    backend: gen.runtime.name,
    crop: result.crop,
    mask: result.mask,
    files: args.files,
    timings: args.timings ?? result.timings,
    adaptation: result.adaptation,
    createdAt: args.createdAt,
    sha256: args.sha256,
    job: args.job,
  });
}

/** `oneShot`: the generator is released after this run (`generate`), so each model is freed after its last use. */
export async function runRequest(gen: Generator, request: GenerateRequest, signal?: AbortSignal, oneShot = false): Promise<GenerateResult> {
  const result = await generate(gen.pack, request, { signal, adapter: gen.adapter, releaseAfterUse: oneShot });
  if (!result.adaptation && gen.adapterNotice) {
    return { ...result, adaptation: { applied: false, notice: gen.adapterNotice } };
  }
  return result;
}
