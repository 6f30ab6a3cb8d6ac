/**
 * Pipeline overhead and WASM vs native speed (numbers from one run; not a test).
 *   npm run bench -- pipeline
 * For every pack (tests/fixtures/packs/*, public/models/*):
 *   - overhead: wall time of a whole generate() over the sum of its model run times (target <= 1.10),
 *     onnxruntime-node, median of 3 runs after one warm-up run;
 *   - unet wasm/native: mean time of the same UNet call (guidance batch) on onnxruntime-web's WASM build
 *     (one thread, in Node) over onnxruntime-node (one thread and default threads).
 * Writes bench/results/pipeline.json through bench/run.ts.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runIfMain } from './standalone';
import * as ortWeb from 'onnxruntime-web/wasm';
import { generate } from '../src/core/diffusion/pipeline';
import { loadPack, type LoadedPack } from '../src/core/models/pack';
import { createWebRuntime, type WebOrtModule } from '../src/core/models/ort-web';
import { FsPackSource } from '../src/core/models/pack-source.node.ts';
import { createNodeRuntime } from '../src/core/models/ort-node.node.ts';
import type { TensorData } from '../src/core/models/runtime';
import { makeTensor } from '../src/core/models/tensor';
import { makeImage, makeRequest, makeTrimap } from '../tests/helpers';

type Row = Record<string, string | number>;
const ROOT = resolve(import.meta.dirname, '..');

function packDirs(): string[] {
  const dirs: string[] = [];
  for (const base of [join(ROOT, 'public', 'models'), join(ROOT, 'tests', 'fixtures', 'packs')]) {
    if (!existsSync(base)) continue;
    for (const d of readdirSync(base).sort()) {
      if (existsSync(join(base, d, 'defect-studio.json'))) dirs.push(join(base, d));
    }
  }
  return dirs;
}

function unetFeeds(pack: LoadedPack, batch: number): Record<string, TensorData> {
  const un = pack.io.unet;
  const l = pack.latentSize;
  const seq = pack.tokenizer.maxLength;
  const hidden = pack.io.textEncoder.hiddenDim ?? 768;
  const n = batch * un.inChannels * l * l;
  const feeds: Record<string, TensorData> = {
    sample: makeTensor(un.sampleType, new Float32Array(n).map((_, i) => Math.sin(i)), [batch, un.inChannels, l, l]),
    timestep: un.timestepRank === 0 ? makeTensor(un.timestepType, [500], []) : makeTensor(un.timestepType, new Array(batch).fill(500), [batch]),
    encoder_hidden_states: makeTensor(un.hiddenType, new Float32Array(batch * seq * hidden).map((_, i) => Math.cos(i) * 0.1), [batch, seq, hidden]),
  };
  for (const name of un.residualInputs) {
    const meta = un.session.inputs.find((m) => m.name === name)!;
    const dims = (meta.shape ?? []).map((d, i) => (i === 0 ? batch : typeof d === 'number' ? d : 1));
    feeds[name] = makeTensor(String(meta.type), new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
  }
  return feeds;
}

async function timeUnet(pack: LoadedPack, reps: number): Promise<number> {
  const batch = pack.io.unet.batch ?? 2;
  const feeds = unetFeeds(pack, batch);
  await pack.io.unet.session.run(feeds); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await pack.io.unet.session.run(feeds);
  return (performance.now() - t0) / reps;
}

export default async function bench(): Promise<Row[]> {
  const rows: Row[] = [];
  const native1 = createNodeRuntime({ threads: 1 });
  const nativeN = createNodeRuntime();
  const wasm = createWebRuntime(ortWeb as unknown as WebOrtModule, { backend: 'wasm', numThreads: 1 });
  for (const dir of packDirs()) {
    let pack: LoadedPack;
    try {
      pack = await loadPack(new FsPackSource(dir), nativeN);
    } catch (e) {
      rows.push({ pack: dir.slice(ROOT.length + 1), error: (e as Error).message.slice(0, 80) });
      continue;
    }
    const R = pack.manifest.resolution;
    const steps = pack.manifest.defaults?.steps ?? 25;
    const req = makeRequest({
      image: makeImage(R, R),
      trimap: makeTrimap(R, R, R / 2, R / 2, R / 8, R / 12),
      steps,
      guidance: pack.manifest.defaults?.guidance ?? 7.5,
      stages: { latentEditStart: 0.52, pixelEditStart: 0.9 },
    });
    await generate(pack, req); // warm-up
    const runs = [];
    for (let k = 0; k < 3; k++) runs.push((await generate(pack, req)).timings);
    runs.sort((a, b) => a.total / a.models - b.total / b.models);
    const t = runs[1]; // the median run by overhead
    const unetNative = await timeUnet(pack, 20);
    await pack.release();
    const p1 = await loadPack(new FsPackSource(dir), native1);
    const unetNative1 = await timeUnet(p1, 20);
    await p1.release();
    const pw = await loadPack(new FsPackSource(dir), wasm);
    const unetWasm = await timeUnet(pw, 10);
    await pw.release();
    rows.push({
      pack: pack.manifest.id,
      res: R,
      steps,
      wall_ms: t.total,
      models_ms: t.models,
      overhead: t.total / t.models,
      unet_ms: t.unet,
      native_unet_ms: unetNative,
      native1_unet_ms: unetNative1,
      wasm1_unet_ms: unetWasm,
      'wasm1/native1': unetWasm / unetNative1,
      'wasm1/native': unetWasm / unetNative,
    });
  }
  return rows;
}

runIfMain(import.meta.url, bench);
