/**
 * `defect-studio pack`: the tiny packs with their manifests removed are packed again; the result must
 * describe them as their hand-written manifests do, load with the core loader, and generate the same pixels.
 * Bad exports are refused with one error and leave nothing behind.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../src/core/diffusion/pipeline';
import { parseManifest } from '../src/core/models/manifest';
import { loadPack } from '../src/core/models/pack';
import { FsPackSource } from '../src/core/models/pack-source.node.ts';
import { createNodeRuntime } from '../src/core/models/ort-node.node.ts';
import { PackError } from '../src/core/models/errors';
import { makePack, refreshPack } from '../src/cli/pack';
import { main } from '../src/cli/main';
import { PACK_NAMES, bytesEqual, makeRequest, packDir } from './helpers';

let dir: string;
const runtime = createNodeRuntime({ threads: 1 });

function exportOf(name: string, to: string): string {
  cpSync(packDir(name), to, { recursive: true });
  rmSync(join(to, 'defect-studio.json'));
  return to;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ds-pack-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('defect-studio pack', () => {
  // tiny-sd-fp16w: every weight stored as fp16 and cast to fp32 in the graph; its hand-made manifest's
  // per-model fields are computed by tools/make-test-packs.py with the onnx package, independently of `pack`.
  for (const name of [...PACK_NAMES, 'tiny-sd-fp16w']) {
    it(`rebuilds ${name}'s manifest from the export, loads and generates the same pixels`, async () => {
      const from = exportOf(name, join(dir, `${name}-export`));
      const out = join(dir, `${name}-pack`);
      const { manifest } = await makePack({ from, out });
      const orig = parseManifest(readFileSync(join(packDir(name), 'defect-studio.json'), 'utf8'));
      const made = parseManifest(readFileSync(join(out, 'defect-studio.json'), 'utf8'));
      expect(made).toEqual(manifest);
      for (const k of ['conditioning', 'concatChannels', 'resolution', 'latentChannels', 'vaeScaleFactor', 'latentScale', 'tokenizer', 'files'] as const) {
        expect(made[k], k).toEqual(orig[k]);
      }
      // Every model gets its weight fields; the fp32 packs (tiny-inpaint-fp16 too: fp16 I/O, fp32 weights)
      // need at run time exactly their files' bytes.
      const models = Object.keys(made.models ?? {}).sort();
      expect(models).toEqual(Object.keys(made.files).filter((f) => f.endsWith('/model.onnx')).map((f) => f.split('/')[0]).sort());
      if (orig.models) expect(made.models).toEqual(orig.models);
      else {
        for (const m of models) {
          const fileBytes = Object.entries(made.files).filter(([f]) => f.startsWith(`${m}/`) && /\.onnx(_data)?$/.test(f)).reduce((a, [, f]) => a + f.bytes, 0);
          expect(made.models![m as 'unet'], m).toEqual({ weightType: 'float32', castToFloat32Bytes: 0, runtimeBytes: fileBytes });
        }
      }
      // The result loads with the core loader (every size and sha256 checked) and generates exactly what
      // the hand-made pack generates for the same request.
      const a = await loadPack(new FsPackSource(out), runtime);
      const b = await loadPack(new FsPackSource(packDir(name)), runtime);
      try {
        const req = makeRequest({ steps: 3 });
        const ra = await generate(a, req);
        const rb = await generate(b, req);
        expect(ra.image.width).toBe(80);
        expect(bytesEqual(ra.image.data, rb.image.data)).toBe(true);
      } finally {
        await a.release();
        await b.release();
      }
    }, 120_000);
  }

  it('writes the weight fields of an fp16-weight export: float16, the cast bytes, run-time bytes = files + cast bytes', async () => {
    const from = exportOf('tiny-sd-fp16w', join(dir, 'fp16w-fields-export'));
    const { manifest } = await makePack({ from, out: join(dir, 'fp16w-fields-pack') });
    const fp32 = parseManifest(readFileSync(join(packDir('tiny-sd'), 'defect-studio.json'), 'utf8'));
    for (const m of ['unet', 'text_encoder', 'vae_encoder', 'vae_decoder'] as const) {
      const info = manifest.models![m]!;
      const file = manifest.files[`${m}/model.onnx`].bytes;
      expect(info.weightType, m).toBe('float16');
      expect(info.runtimeBytes, m).toBe(file + info.castToFloat32Bytes);
      // Half the fp32 weights are stored; the run-time size is back near the fp32 file's.
      expect(file, m).toBeLessThan(0.7 * fp32.files[`${m}/model.onnx`].bytes);
      expect(info.runtimeBytes, m).toBeGreaterThan(0.9 * fp32.files[`${m}/model.onnx`].bytes);
    }
  });

  it('reads resolution, scale factor and scaling factor from the diffusers configs when they are there', async () => {
    const from = exportOf('tiny-sd', join(dir, 'cfg-export'));
    writeFileSync(join(from, 'unet', 'config.json'), JSON.stringify({ in_channels: 4, out_channels: 4, sample_size: 16 }));
    writeFileSync(join(from, 'vae_decoder', 'config.json'), JSON.stringify({ latent_channels: 4, block_out_channels: [8, 8, 8, 8], scaling_factor: 0.2 }));
    const { manifest } = await makePack({ from, out: join(dir, 'cfg-pack'), id: 'cfg', name: 'Config pack' });
    expect(manifest).toMatchObject({ id: 'cfg', name: 'Config pack', resolution: 128, vaeScaleFactor: 8, latentScale: 0.2, conditioning: 'none' });
    expect(Object.keys(manifest.files)).toContain('unet/config.json');
  });

  it('refuses a broken export with one PackError and writes nothing', async () => {
    const from = exportOf('tiny-sd', join(dir, 'bad-export'));
    rmSync(join(from, 'vae_encoder', 'model.onnx'));
    const out = join(dir, 'bad-pack');
    await expect(makePack({ from, out })).rejects.toThrow(PackError);
    await expect(makePack({ from, out })).rejects.toThrow(/required file; file vae_encoder\/model.onnx/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('ds-new'))).toEqual([]);
  });

  it('refuses a UNet whose channels match no conditioning', async () => {
    const from = exportOf('tiny-builtin', join(dir, 'odd-export'));
    // the built-in's 10-channel UNet with a 3-channel VAE config: 10 - 3 = 7 extra channels
    writeFileSync(join(from, 'vae_decoder', 'config.json'), JSON.stringify({ latent_channels: 3, block_out_channels: [8, 8, 8] }));
    await expect(makePack({ from, out: join(dir, 'odd-pack') })).rejects.toThrow(/match no known conditioning.*found 10/);
    expect(existsSync(join(dir, 'odd-pack'))).toBe(false);
  });

  it('CLI: a non-empty --out is refused with one line and left alone; a good run prints a summary', async () => {
    const from = exportOf('tiny-sd', join(dir, 'cli-export'));
    const busy = join(dir, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'keep.txt'), 'x');
    const err: string[] = [];
    const out: string[] = [];
    const we = process.stderr.write.bind(process.stderr);
    const wo = process.stdout.write.bind(process.stdout);
    process.stderr.write = ((s: string) => (err.push(s), true)) as typeof process.stderr.write;
    process.stdout.write = ((s: string) => (out.push(s), true)) as typeof process.stdout.write;
    let c1: number, c2: number;
    try {
      c1 = await main(['pack', '--from', from, '--out', busy]);
      c2 = await main(['pack', '--from', from, '--out', join(dir, 'cli-pack')]);
    } finally {
      process.stderr.write = we;
      process.stdout.write = wo;
    }
    expect(c1).toBe(2);
    expect(err.join('')).toMatch(/^defect-studio: --out .*must be a new or empty folder\n$/);
    expect(readdirSync(busy)).toEqual(['keep.txt']);
    expect(c2).toBe(0);
    expect(out.join('')).toMatch(/wrote .*cli-pack: 10 files, .* none, 64x64, 4 latent channels/);
  });

  // The ship procedure of the built-in model (tools/train/ship_builtin.sh) replaces weights, tokenizer and
  // model card of a pack in place and then runs `pack --refresh` instead of hand-editing sizes and sha256s.
  it('--refresh re-lists a changed pack: new sizes and sha256s, models only when present, other fields and layout kept', async () => {
    for (const name of ['tiny-builtin', 'tiny-sd-fp16w']) {
      const pack = join(dir, `${name}-refresh`);
      cpSync(packDir(name), pack, { recursive: true });
      const before = readFileSync(join(pack, 'defect-studio.json'), 'utf8');
      const orig = JSON.parse(before) as Record<string, unknown>;
      // a changed file (the tokenizer, written again with another indentation), an added model card, a hidden file
      const tokPath = name === 'tiny-builtin' ? 'tokenizer/tokenizer.json' : 'tokenizer/vocab.json';
      const tok = JSON.parse(readFileSync(join(pack, tokPath), 'utf8')) as Record<string, unknown>;
      writeFileSync(join(pack, tokPath), JSON.stringify(tok, null, 3));
      writeFileSync(join(pack, 'MODEL.md'), '# card\n');
      writeFileSync(join(pack, '.hidden'), 'x');
      const r = await refreshPack(pack);
      expect(r.changed.sort()).toEqual(['+ MODEL.md', `~ ${tokPath}`]);
      const text = readFileSync(join(pack, 'defect-studio.json'), 'utf8');
      const made = JSON.parse(text) as Record<string, unknown>;
      // every field but files (and models) as written, in the same order and indentation
      expect(Object.keys(made)).toEqual(Object.keys(orig));
      for (const k of Object.keys(orig)) if (k !== 'files' && k !== 'models') expect(made[k], k).toEqual(orig[k]);
      expect(text.slice(0, 4)).toBe(before.slice(0, 4));
      expect(made.models === undefined).toBe(orig.models === undefined);
      if (orig.models) expect(made.models).toEqual(orig.models);
      // the files as makePack lists them from the same folder; and the core loader accepts the result
      const again = join(dir, `${name}-refresh-pack`);
      const { manifest } = await makePack({ from: pack, out: again, copy: true });
      expect(made.files).toEqual(manifest.files);
      expect(Object.keys(made.files as object)).not.toContain('.hidden');
      const p = await loadPack(new FsPackSource(pack), runtime);
      await p.release();
      // nothing changed: nothing to report, same bytes
      expect((await refreshPack(pack)).changed).toEqual([]);
      expect(readFileSync(join(pack, 'defect-studio.json'), 'utf8')).toBe(text);
    }
  });

  it('--refresh refuses a folder without a valid manifest or without a required file, and leaves the manifest alone', async () => {
    await expect(refreshPack(join(dir, 'nowhere'))).rejects.toThrow(/not a folder/);
    const pack = join(dir, 'refresh-bad');
    cpSync(packDir('tiny-builtin'), pack, { recursive: true });
    const before = readFileSync(join(pack, 'defect-studio.json'), 'utf8');
    rmSync(join(pack, 'unet'), { recursive: true });
    await expect(refreshPack(pack)).rejects.toThrow(/lacks a required file/);
    expect(readFileSync(join(pack, 'defect-studio.json'), 'utf8')).toBe(before);
    writeFileSync(join(pack, 'defect-studio.json'), '{"format": "x"}');
    await expect(refreshPack(pack)).rejects.toThrow(/invalid manifest field "format"/);
    rmSync(join(pack, 'defect-studio.json'));
    await expect(refreshPack(pack)).rejects.toThrow(/no defect-studio.json/);
  });
});
