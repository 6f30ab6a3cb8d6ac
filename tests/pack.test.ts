/** Pack validation: precise errors (file, tensor, expected, found) for broken and mismatched packs. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PackError } from '../src/core/models/errors';
import { parseManifest, sha256Hex } from '../src/core/models/manifest';
import { loadPack } from '../src/core/models/pack';
import { MemoryPackSource } from '../src/core/models/pack-source';
import { FsPackSource } from '../src/core/models/pack-source.node.ts';
import { createNodeRuntime } from '../src/core/models/ort-node.node.ts';
import { PACK_NAMES, packDir } from './helpers';

const runtime = createNodeRuntime({ threads: 1 });

function readPack(name: string): Map<string, Uint8Array> {
  const root = packDir(name);
  const files = new Map<string, Uint8Array>();
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else files.set(relative(root, p).split('\\').join('/'), new Uint8Array(readFileSync(p)));
    }
  };
  walk(root);
  return files;
}

const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
const manifestOf = (files: Map<string, Uint8Array>) => JSON.parse(new TextDecoder().decode(files.get('defect-studio.json')));

async function expectPackError(files: Map<string, Uint8Array>, match: Partial<PackError>, message?: RegExp) {
  let err: unknown;
  try {
    const p = await loadPack(new MemoryPackSource(files), runtime);
    await p.release();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(PackError);
  expect(err).toMatchObject(match);
  if (message) expect((err as Error).message).toMatch(message);
}

/** Re-hash a changed file into the manifest (a pack that is consistent but wrong). */
async function rehash(files: Map<string, Uint8Array>, file: string) {
  const m = manifestOf(files);
  const data = files.get(file)!;
  m.files[file] = { bytes: data.byteLength, sha256: await sha256Hex(data) };
  files.set('defect-studio.json', enc(m));
}

describe('loadPack', () => {
  it.each(PACK_NAMES)('loads %s and reads its session metadata', async (name) => {
    const pack = await loadPack(new FsPackSource(packDir(name)), runtime);
    try {
      const io = pack.io;
      expect(pack.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(io.unet.inChannels).toBe(
        pack.manifest.latentChannels + (pack.manifest.concatChannels ?? []).reduce((a, c) => a + (c === 'masked_image_latent' ? 4 : 1), 0),
      );
      if (name === 'tiny-inpaint-fp16') {
        expect(io.textEncoder.idsType).toBe('int32');
        expect(io.unet.sampleType).toBe('float16');
        expect(io.unet.timestepType).toBe('float16');
        expect(io.unet.timestepRank).toBe(0);
        expect(io.unet.batch).toBe(1);
        expect(io.vaeEncoder.takeMean).toBe(true);
      } else {
        expect(io.textEncoder.idsType).toBe('int64');
        expect(io.unet.timestepType).toBe('int64');
        expect(io.unet.batch).toBeNull();
        expect(io.vaeEncoder.takeMean).toBe(false);
      }
      if (name === 'tiny-controlnet') {
        expect(io.controlnet?.outputs.length).toBe(13);
        expect(io.unet.residualInputs).toEqual(io.controlnet?.outputs);
      }
    } finally {
      await pack.release();
    }
  });

  it('names a missing file', async () => {
    const files = readPack('tiny-sd');
    files.delete('vae_decoder/model.onnx');
    await expectPackError(files, { file: 'vae_decoder/model.onnx' }, /missing file/);
  });

  it('names a file whose size or sha256 differs from the manifest', async () => {
    const files = readPack('tiny-sd');
    const unet = files.get('unet/model.onnx')!.slice();
    unet[unet.length - 5] ^= 1;
    files.set('unet/model.onnx', unet);
    const m = manifestOf(files);
    await expectPackError(files, { file: 'unet/model.onnx', expected: m.files['unet/model.onnx'].sha256 }, /sha256 differs/);
    files.set('unet/model.onnx', unet.subarray(0, 100));
    await expectPackError(files, { file: 'unet/model.onnx', expected: `${m.files['unet/model.onnx'].bytes} bytes`, found: '100 bytes' });
  });

  it('names a missing external data file', async () => {
    const files = readPack('tiny-controlnet');
    expect(files.has('unet/model.onnx_data')).toBe(true);
    files.delete('unet/model.onnx_data');
    await expectPackError(files, { file: 'unet/model.onnx_data' });
  });

  it('rejects invalid manifests field by field', () => {
    const good = manifestOf(readPack('tiny-sd'));
    const bad = (patch: Record<string, unknown>) => () => parseManifest(JSON.stringify({ ...good, ...patch }));
    expect(bad({ format: 'x' })).toThrow(/format.*expected "defect-studio-pack@1"/);
    expect(bad({ conditioning: 'magic' })).toThrow(/conditioning/);
    expect(bad({ conditioning: 'concat' })).toThrow(/concatChannels/);
    expect(bad({ resolution: 60 })).toThrow(/multiple of vaeScaleFactor/);
    expect(bad({ previewMatrix: [[1, 2, 3]] })).toThrow(/previewMatrix/);
    expect(bad({ files: { 'a.onnx': { bytes: 1, sha256: 'zz' } } })).toThrow(/sha256/);
    expect(bad({ contextNorm: 'yes' })).toThrow(/contextNorm.*true or false/);
    expect(parseManifest(JSON.stringify({ ...good, contextNorm: true })).contextNorm).toBe(true);
    expect(() => parseManifest('{not json')).toThrow(PackError);
  });

  it('a required file not listed in the manifest', async () => {
    const files = readPack('tiny-sd');
    const m = manifestOf(files);
    delete m.files['tokenizer/merges.txt'];
    files.set('defect-studio.json', enc(m));
    await expectPackError(files, { file: 'tokenizer/merges.txt' }, /not listed/);
  });

  it('a UNet whose channels do not match the conditioning (expected vs found)', async () => {
    const files = readPack('tiny-sd');
    const m = manifestOf(files);
    m.conditioning = 'concat';
    m.concatChannels = ['mask', 'masked_image_latent'];
    files.set('defect-studio.json', enc(m));
    await expectPackError(files, { file: 'unet/model.onnx', tensor: 'sample', expected: 'dimension 1 = 9', found: '4 (shape [batch, 4, 8, 8])' });
  });

  it('a resolution that does not match the latent size', async () => {
    const files = readPack('tiny-sd');
    const m = manifestOf(files);
    m.resolution = 128;
    files.set('defect-studio.json', enc(m));
    await expectPackError(files, { file: 'unet/model.onnx', tensor: 'sample', expected: 'dimension 2 = 16' });
  });

  it('a model with a wrong input name', async () => {
    const files = readPack('tiny-sd');
    // swap the VAE decoder for the encoder: its input is "sample", not "latent_sample"
    files.set('vae_decoder/model.onnx', files.get('vae_encoder/model.onnx')!);
    await rehash(files, 'vae_decoder/model.onnx');
    await expectPackError(files, { file: 'vae_decoder/model.onnx', tensor: 'latent_sample', found: 'sample' });
  });

  it('a ControlNet pack without the UNet residual inputs', async () => {
    const files = readPack('tiny-controlnet');
    const sd = readPack('tiny-sd');
    files.set('unet/model.onnx', sd.get('unet/model.onnx')!);
    files.delete('unet/model.onnx_data');
    const m = manifestOf(files);
    delete m.files['unet/model.onnx_data'];
    files.set('defect-studio.json', enc(m));
    await rehash(files, 'unet/model.onnx');
    await expectPackError(files, { file: 'unet/model.onnx', expected: '13 residual inputs (controlnet/model.onnx outputs)', found: '0' });
  });

  it('a file that is not an ONNX model', async () => {
    const files = readPack('tiny-sd');
    files.set('text_encoder/model.onnx', new TextEncoder().encode('not a model'));
    await rehash(files, 'text_encoder/model.onnx');
    await expectPackError(files, { file: 'text_encoder/model.onnx' }, /cannot load the ONNX model/);
  });
});
