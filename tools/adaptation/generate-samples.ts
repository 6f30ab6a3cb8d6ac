/**
 * Generates the decoder-adaptation measurement samples with the real pipeline (stage 1 + 2 of METHOD.md on
 * the given pack) and stores, for every sample, what stage 3 sees: the final latent, the plain decode x_gen,
 * the input crop x_ok and the defect mask. The closed-form adapter runs too (its report is stored), but the
 * numbers in docs/adaptation.md come from bench/adaptation.bench.ts, which re-runs it on the stored samples.
 *
 *   /usr/bin/python3 tools/adaptation/export_eval.py            # inputs: 50 procedural eval images + trimaps
 *   node --import tsx tools/adaptation/generate-samples.ts --pack public/models/<id> [--steps 25] [--n 50]
 *
 * --synthetic: no diffusion; the "generated" latent is the VAE encoding of the procedural defect image (a perfect
 * generator), so x_gen = D(E(x_defect)). Isolates the decoder's own error; written to <pack id>-synthetic/.
 *
 * Output: bench/results/adaptation/samples/<pack id>/ (NNN.latent.f32, NNN.xgen.f32, NNN.xok.f32, NNN.defect.u8,
 * samples.json). Raw little-endian arrays, planar [C, H, W], so that tools/adaptation/reference.py reads them too.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createNodeRuntime } from '../../src/core/models/ort-node.node.ts';
import { FsPackSource } from '../../src/core/models/pack-source.node.ts';
import { loadPack, type LoadedPack } from '../../src/core/models/pack';
import { makeTensor, tensorToFloat32 } from '../../src/core/models/tensor';
import { generate } from '../../src/core/diffusion/pipeline';
import { DEFAULT_ADAPTATION, createDecoderAdapter } from '../../src/core/diffusion/adaptation';
import type { AdaptationReport, DecoderAdapter, GenerateRequest } from '../../src/core/diffusion/types';
import { defaultSettings, toGenerationSettings } from '../../src/core/settings';

const ROOT = resolve(import.meta.dirname, '..', '..');

interface InputEntry {
  name: string;
  family: string;
  defect: string;
  prompt: string;
  width: number;
  height: number;
}

function planar(rgb: Uint8Array, n: number): Float32Array {
  const x = new Float32Array(3 * n);
  for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) x[c * n + p] = rgb[3 * p + c] / 127.5 - 1;
  return x;
}

/** Stage 3 inputs without diffusion: z = scale * E(x_defect), x_gen = D(z); calls the adapter like the pipeline. */
async function synthetic(pack: LoadedPack, defectRgb: Uint8Array, request: GenerateRequest, adapter: DecoderAdapter) {
  const { width: W, height: H } = request.image;
  if (W !== pack.manifest.resolution || H !== pack.manifest.resolution) throw new Error('synthetic mode needs native-size inputs');
  const n = W * H;
  const rgb = new Uint8Array(3 * n);
  for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) rgb[3 * p + c] = request.image.data[4 * p + c];
  const xOk = planar(rgb, n);
  const xDef = planar(defectRgb, n);
  const enc = pack.io.vaeEncoder;
  const dec = pack.io.vaeDecoder;
  const encIn = enc.session.inputs[0];
  const eo = await enc.session.run({ [encIn.name]: makeTensor(enc.inputType, xDef, [1, 3, H, W]) }, [enc.output]);
  const lat = eo[enc.output];
  const raw = tensorToFloat32(lat);
  const C = pack.manifest.latentChannels;
  const l = lat.dims[2];
  // newer exports give mean and log-variance (2C channels): take the mean
  const z = Float32Array.from(raw.subarray(0, C * l * l), (v) => v * pack.manifest.latentScale);
  const decIn = dec.session.inputs[0];
  const d = await dec.session.run(
    { [decIn.name]: makeTensor(dec.inputType, Float32Array.from(z, (v) => v / pack.manifest.latentScale), [1, C, l, l]) },
    [dec.output],
  );
  const xGen = tensorToFloat32(d[dec.output]);
  const defect = new Uint8Array(n);
  for (let p = 0; p < n; p++) defect[p] = request.trimap.data[p] === 2 ? 1 : 0;
  await adapter.adapt({ latent: z, latentShape: [C, l, l], xGen, xOk, defect, width: W, height: H, settings: request.adaptation });
}

async function main() {
  const { values } = parseArgs({
    options: {
      pack: { type: 'string' },
      inputs: { type: 'string', default: join(ROOT, 'bench', 'results', 'adaptation', 'inputs') },
      out: { type: 'string' },
      steps: { type: 'string' },
      n: { type: 'string', default: '50' },
      seed: { type: 'string', default: '1' },
      guidance: { type: 'string' },
      threads: { type: 'string' },
      synthetic: { type: 'boolean', default: false },
    },
  });
  if (!values.pack) throw new Error('--pack DIR is required');
  const runtime = createNodeRuntime({ threads: values.threads ? Number(values.threads) : undefined });
  const pack = await loadPack(new FsPackSource(values.pack), runtime, { skipHashes: true });
  const m = pack.manifest;
  const out = values.out ?? join(ROOT, 'bench', 'results', 'adaptation', 'samples', m.id + (values.synthetic ? '-synthetic' : ''));
  mkdirSync(out, { recursive: true });
  const decFile = pack.io.vaeDecoder.file;
  const decBytes = new Uint8Array(readFileSync(join(values.pack, decFile)));
  const handle = await createDecoderAdapter(runtime, decBytes, { latentScale: m.latentScale });
  if (!handle.adapter) throw new Error(handle.notice ?? 'decoder not supported');
  const index = JSON.parse(readFileSync(join(values.inputs!, 'index.json'), 'utf8')) as InputEntry[];
  const n = Math.min(Number(values.n), index.length);
  const base = defaultSettings(m); // the pack's defaults (src/core/settings)
  const steps = values.steps !== undefined ? Number(values.steps) : base.steps;
  const records: unknown[] = [];
  for (let k = 0; k < n; k++) {
    const e = index[k];
    const rgb = readFileSync(join(values.inputs!, `${e.name}.rgb`));
    const tri = new Uint8Array(readFileSync(join(values.inputs!, `${e.name}.trimap`)));
    const data = new Uint8ClampedArray(e.width * e.height * 4);
    for (let p = 0; p < e.width * e.height; p++) {
      data[4 * p] = rgb[3 * p];
      data[4 * p + 1] = rgb[3 * p + 1];
      data[4 * p + 2] = rgb[3 * p + 2];
      data[4 * p + 3] = 255;
    }
    let captured: Parameters<DecoderAdapter['adapt']>[0] | undefined;
    let report: AdaptationReport | undefined;
    const recorder: DecoderAdapter = {
      async adapt(args) {
        captured = args;
        const r = await handle.adapter!.adapt(args);
        report = r.report;
        return r;
      },
    };
    const request: GenerateRequest = {
      ...toGenerationSettings({
        ...base,
        prompt: e.prompt,
        seed: Number(values.seed) + k,
        steps,
        guidance: values.guidance !== undefined ? Number(values.guidance) : base.guidance,
        contextMargin: 32,
      }),
      image: { width: e.width, height: e.height, data },
      trimap: { width: e.width, height: e.height, data: tri },
      adaptation: { ...DEFAULT_ADAPTATION },
    };
    const t0 = performance.now();
    if (values.synthetic) {
      await synthetic(pack, readFileSync(join(values.inputs!, `${e.name}.defect.rgb`)), request, recorder);
    }
    const res = values.synthetic
      ? { crop: { x: 0, y: 0, size: e.width }, timings: {} }
      : await generate(pack, request, { adapter: recorder });
    if (!captured) throw new Error('the pipeline did not call the adapter');
    const c = captured;
    const f32 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    writeFileSync(join(out, `${e.name}.latent.f32`), f32(c.latent));
    writeFileSync(join(out, `${e.name}.xgen.f32`), f32(c.xGen));
    writeFileSync(join(out, `${e.name}.xok.f32`), f32(c.xOk));
    writeFileSync(join(out, `${e.name}.defect.u8`), c.defect);
    records.push({
      name: e.name,
      family: e.family,
      defect: e.defect,
      prompt: e.prompt,
      latentShape: c.latentShape,
      width: c.width,
      height: c.height,
      crop: res.crop,
      steps,
      seed: request.seed,
      generateMs: performance.now() - t0,
      timings: res.timings,
      report,
    });
    process.stdout.write(
      `${e.name} ${e.family}/${e.defect}: bg ${report?.backgroundMseBefore?.toFixed(5)} -> ${report?.backgroundMseAfter?.toFixed(5)}, ` +
        `seam ${report?.seamMseBefore?.toFixed(5)} -> ${report?.seamMseAfter?.toFixed(5)} (${(performance.now() - t0).toFixed(0)} ms)\n`,
    );
  }
  writeFileSync(
    join(out, 'samples.json'),
    JSON.stringify({ pack: m.id, packDir: resolve(values.pack), decoder: decFile, latentScale: m.latentScale, samples: records }, null, 1),
  );
  await handle.release();
  await pack.release();
  console.log(`${records.length} samples -> ${out}`);
}

main().catch((e) => {
  console.error(String(e?.stack ?? e));
  process.exit(1);
});
