/** The named steps of loadPack, each alone, on the real tiny packs through onnxruntime-node. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PackError } from '../src/core/models/errors';
import {
  buildTokenizer,
  checkRuntimeFits,
  createModelSession,
  createSessions,
  loadPack,
  readModelFiles,
  readPackFiles,
  readPackManifest,
  readSchedulerConfig,
  releaseSessions,
  sessionLoadOrder,
  verifiedReader,
  type FileRead,
} from '../src/core/models/pack';
import { resolvePackIO, textEncoderIO, unetIO, vaeDecoderIO, vaeEncoderIO } from '../src/core/models/pack-io';
import { MemoryPackSource, type PackProgress } from '../src/core/models/pack-source';
import { FsPackSource } from '../src/core/models/pack-source.node.ts';
import { createNodeRuntime } from '../src/core/models/ort-node.node.ts';
import type { Runtime } from '../src/core/models/runtime';
import { packDir } from './helpers';

const runtime = createNodeRuntime({ threads: 1 });

/** The real runtime, counting sessions created and released. */
function countingRuntime(): Runtime & { created: number; released: number } {
  const r = {
    name: 'native',
    created: 0,
    released: 0,
    async createSession(model: Uint8Array, options?: Parameters<Runtime['createSession']>[1]) {
      const s = await runtime.createSession(model, options);
      r.created++;
      return {
        inputs: s.inputs,
        outputs: s.outputs,
        run: s.run.bind(s),
        release: async () => {
          r.released++;
          await s.release();
        },
      };
    },
  };
  return r;
}

async function filesOf(name: string) {
  const source = new FsPackSource(packDir(name));
  const { manifest, sha256 } = await readPackManifest(source);
  const read = verifiedReader(source, manifest);
  return { source, manifest, sha256, read, files: await readPackFiles(manifest, read) };
}

describe('loadPack steps', () => {
  it('1. readPackManifest: parsed, hashed from the exact bytes, required files listed', async () => {
    const { manifest, sha256 } = await readPackManifest(new FsPackSource(packDir('tiny-controlnet')));
    const bytes = readFileSync(join(packDir('tiny-controlnet'), 'defect-studio.json'));
    expect(sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(manifest.conditioning).toBe('controlnet');
    expect(manifest.files['controlnet/model.onnx']).toBeDefined();

    await expect(readPackManifest(new FsPackSource(join(packDir('tiny-sd'), 'no-such-dir')))).rejects.toMatchObject({
      name: 'PackError',
      file: 'defect-studio.json',
    });
    const m = JSON.parse(bytes.toString('utf8'));
    delete m.files['controlnet/model.onnx'];
    const files = new Map([['defect-studio.json', new TextEncoder().encode(JSON.stringify(m))]]);
    await expect(readPackManifest(new MemoryPackSource(files))).rejects.toMatchObject({ file: 'controlnet/model.onnx', found: 'none' });
  });

  it('1. checkRuntimeFits: refuses a 7 GB fp32 pack for wasm only', async () => {
    const { manifest } = await readPackManifest(new FsPackSource(packDir('tiny-sd')));
    const big = { ...manifest, files: { ...manifest.files, 'unet/model.onnx_data': { bytes: 7e9, sha256: '0'.repeat(64) } } };
    expect(() => checkRuntimeFits(big, { name: 'wasm', createSession: runtime.createSession })).toThrow(PackError);
    expect(() => checkRuntimeFits(big, runtime)).not.toThrow();
    expect(() => checkRuntimeFits(manifest, { name: 'wasm', createSession: runtime.createSession })).not.toThrow();
  });

  it('2. verifiedReader / readPackFiles: exact bytes, progress per file, size and sha256 checked', async () => {
    const events: PackProgress[] = [];
    const source = new FsPackSource(packDir('tiny-sd'));
    const { manifest } = await readPackManifest(source);
    const files = await readPackFiles(manifest, verifiedReader(source, manifest), (e) => events.push(e));
    const names = Object.keys(manifest.files);
    expect([...files.keys()]).toEqual(names);
    // byte progress: each file from 0 to its size, the pack total counting up to the declared size
    const ends = events.filter((e) => e.fileLoadedBytes === e.fileTotalBytes && e.fileTotalBytes > 0);
    expect([...new Set(ends.map((e) => e.file))]).toEqual(names.filter((n) => manifest.files[n].bytes > 0));
    const total = names.reduce((a, n) => a + manifest.files[n].bytes, 0);
    expect(events.every((e, i) => e.phase === 'read' && e.totalBytes === total && (i === 0 || e.loadedBytes >= events[i - 1].loadedBytes))).toBe(true);
    expect(events.at(-1)!.loadedBytes).toBe(total);
    const unet = readFileSync(join(packDir('tiny-sd'), 'unet', 'model.onnx'));
    expect(Buffer.from(files.get('unet/model.onnx')!).equals(unet)).toBe(true);

    // a flipped byte: the sha256 check names the file; skipHashes lets it through (the size still matches)
    const mem = new Map(files);
    mem.set('defect-studio.json', readFileSync(join(packDir('tiny-sd'), 'defect-studio.json')));
    const bad = unet.slice();
    bad[bad.length - 3] ^= 1;
    mem.set('unet/model.onnx', bad);
    const memSource = new MemoryPackSource(mem);
    await expect(verifiedReader(memSource, manifest)('unet/model.onnx')).rejects.toMatchObject({ file: 'unet/model.onnx', expected: manifest.files['unet/model.onnx'].sha256 });
    expect((await verifiedReader(memSource, manifest, { skipHashes: true })('unet/model.onnx')).length).toBe(unet.length);
    await expect(verifiedReader(memSource, manifest)('unet/other.onnx')).rejects.toThrow(/not listed/);
  });

  it('3. buildTokenizer: CLIP BPE and word-level packs give ids of the text encoder length', async () => {
    for (const name of ['tiny-sd', 'tiny-builtin']) {
      const { manifest, files } = await filesOf(name);
      const tok = buildTokenizer(manifest, files);
      const ids = tok.encode('a scratch');
      expect(ids.length).toBe(tok.maxLength);
      expect(tok.encode('a scratch')).toEqual(ids);
      expect(tok.encode('a hole')).not.toEqual(ids);
    }
    const { manifest, files } = await filesOf('tiny-builtin');
    const broken = new Map(files);
    broken.set('tokenizer/tokenizer.json', new TextEncoder().encode('{not json'));
    expect(() => buildTokenizer(manifest, broken)).toThrow(/invalid JSON.*tokenizer\/tokenizer.json/);
  });

  it('4. readSchedulerConfig: the pack scheduler_config.json', async () => {
    const { files } = await filesOf('tiny-sd');
    const raw = JSON.parse(new TextDecoder().decode(files.get('scheduler/scheduler_config.json')));
    const cfg = readSchedulerConfig(files);
    expect(cfg.num_train_timesteps).toBe(raw.num_train_timesteps ?? 1000);
    const broken = new Map(files);
    broken.set('scheduler/scheduler_config.json', new TextEncoder().encode('{"beta_schedule": "cosine"}'));
    expect(() => readSchedulerConfig(broken)).toThrow(/invalid scheduler config.*beta_schedule/);
  });

  it('5. sessions: largest first, external data by relative path, one session per model, all released on failure', async () => {
    const cn = await filesOf('tiny-controlnet');
    expect(sessionLoadOrder(cn.manifest)).toEqual(['unet', 'controlnet', 'text_encoder', 'vae_encoder', 'vae_decoder']);
    expect(sessionLoadOrder((await filesOf('tiny-sd')).manifest)).toEqual(['unet', 'text_encoder', 'vae_encoder', 'vae_decoder']);
    const unetFiles = await readModelFiles(cn.manifest, 'unet', cn.read);
    expect(unetFiles.file).toBe('unet/model.onnx');
    expect(unetFiles.externalData.map((d) => d.path)).toEqual(['model.onnx_data']);
    expect(unetFiles.externalData[0].data.length).toBe(cn.manifest.files['unet/model.onnx_data'].bytes);

    const one = await createModelSession(runtime, unetFiles);
    expect(one.file).toBe('unet/model.onnx');
    expect(one.session.inputs.map((i) => i.name)).toContain('sample');
    await releaseSessions([one]);
    const garbage = { ...unetFiles, bytes: new TextEncoder().encode('not a model'), externalData: [] };
    await expect(createModelSession(runtime, garbage)).rejects.toMatchObject({ name: 'PackError', file: 'unet/model.onnx' });

    const counting = countingRuntime();
    const sessions = await createSessions(counting, cn.manifest, async (n) => cn.files.get(n)!);
    expect(Object.keys(sessions).sort()).toEqual(['controlnet', 'text_encoder', 'unet', 'vae_decoder', 'vae_encoder']);
    expect(counting.created).toBe(5);
    await releaseSessions(Object.values(sessions));
    expect(counting.released).toBe(5);

    // the fourth model is broken: the three made before it are released, the error names the file
    const failing = countingRuntime();
    const read: FileRead = async (n) => (n === 'vae_encoder/model.onnx' ? new Uint8Array([1, 2, 3]) : cn.files.get(n)!);
    await expect(createSessions(failing, cn.manifest, read)).rejects.toMatchObject({ file: 'vae_encoder/model.onnx' });
    expect(failing.created).toBe(3);
    expect(failing.released).toBe(3);
  });

  it('6. resolvePackIO: every session checked against the manifest and the tokenizer', async () => {
    const { manifest, files, read } = await filesOf('tiny-inpaint-fp16');
    const tok = buildTokenizer(manifest, files);
    const sessions = await createSessions(runtime, manifest, read);
    try {
      const io = resolvePackIO(sessions, manifest, tok.maxLength);
      expect(io.unet.inChannels).toBe(manifest.latentChannels * 2 + 1);
      expect(io.unet.residualInputs).toEqual([]);
      expect(io.controlnet).toBeUndefined();
      expect(io.vaeEncoder.takeMean).toBe(true);
      expect(io.vaeDecoder.inputType).toBe('float16');
      // each part alone
      expect(textEncoderIO(sessions.text_encoder, tok.maxLength)).toMatchObject({ idsType: 'int32', file: 'text_encoder/model.onnx' });
      expect(() => textEncoderIO(sessions.text_encoder, tok.maxLength + 1)).toThrow(/sequence length mismatch/);
      expect(() => unetIO(sessions.unet, { ...manifest, resolution: manifest.resolution * 2 }, null)).toThrow(/latent size/);
      expect(() => vaeEncoderIO(sessions.vae_decoder, manifest)).toThrow(PackError);
      expect(() => vaeDecoderIO(sessions.vae_decoder, { ...manifest, latentChannels: 8 })).toThrow(/VAE decoder input channels/);
    } finally {
      await releaseSessions(Object.values(sessions));
    }
  });

  it('loadPack runs the steps: same io as the steps, one release per session, and a failed check releases every session', async () => {
    const counting = countingRuntime();
    const pack = await loadPack(new FsPackSource(packDir('tiny-controlnet')), counting);
    expect(counting.created).toBe(5);
    expect(pack.latentSize).toBe(pack.manifest.resolution / pack.manifest.vaeScaleFactor);
    expect(pack.io.unet.residualInputs).toEqual(pack.io.controlnet!.outputs);
    await pack.release();
    expect(counting.released).toBe(5);

    const { files } = await filesOf('tiny-sd');
    const m = JSON.parse(new TextDecoder().decode(readFileSync(join(packDir('tiny-sd'), 'defect-studio.json'))));
    m.resolution = 128; // the UNet's latent size no longer matches: the IO step fails after every session exists
    const mem = new Map(files);
    mem.set('defect-studio.json', new TextEncoder().encode(JSON.stringify(m)));
    const failing = countingRuntime();
    await expect(loadPack(new MemoryPackSource(mem), failing)).rejects.toMatchObject({ file: 'unet/model.onnx', tensor: 'sample' });
    expect(failing.created).toBe(4);
    expect(failing.released).toBe(4);
  });
});
