/**
 * Full-size SD-1.5 packs (issue 15), on demand only:
 *   /usr/bin/python3 tools/make-fullsize-packs.py        # builds bench/fullsize-packs/sd15-* (never committed)
 *   npm run bench -- full-size
 * Per pack (bench/fullsize-packs/sd15-*, or FULLSIZE_PACKS=DIR): total size, the WASM memory estimate and
 * verdict (src/core/models/memory.ts), and on onnxruntime-node: load time, resident memory after loading, and
 * the mean time of one UNet evaluation with guidance (batch 2, the pack's native resolution). Without built
 * packs it prints how to build them and returns no rows. Chromium/WASM and WebGPU runs: not wired yet.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runIfMain } from './standalone';
import { estimateWasmMemory } from '../src/core/models/memory';
import { loadPack } from '../src/core/models/pack';
import { FsPackSource } from '../src/core/models/pack-source.node.ts';
import { createNodeRuntime } from '../src/core/models/ort-node.node.ts';
import { makeTensor } from '../src/core/models/tensor';
import type { TensorData } from '../src/core/models/runtime';

type Row = Record<string, string | number>;
const DIR = process.env.FULLSIZE_PACKS ?? resolve(import.meta.dirname, 'fullsize-packs');

function packs(): string[] {
  if (!existsSync(DIR)) return [];
  return readdirSync(DIR)
    .filter((d) => d.startsWith('sd15-') && existsSync(join(DIR, d, 'defect-studio.json')))
    .sort()
    .map((d) => join(DIR, d));
}

export default async function fullSize(): Promise<Row[]> {
  const dirs = packs();
  if (!dirs.length) {
    process.stdout.write(`full-size: skipped, no packs in ${DIR}. Build them with /usr/bin/python3 tools/make-fullsize-packs.py (see its header for time and disk).\n`);
    return [];
  }
  const rows: Row[] = [];
  for (const dir of dirs) {
    const manifest = JSON.parse(readFileSync(join(dir, 'defect-studio.json'), 'utf8'));
    const est = estimateWasmMemory(manifest);
    const bytes = Object.values(manifest.files as Record<string, { bytes: number }>).reduce((a, f) => a + f.bytes, 0);
    const t0 = performance.now();
    const pack = await loadPack(new FsPackSource(dir), createNodeRuntime());
    const loadMs = performance.now() - t0;
    const rss = process.memoryUsage().rss;
    const u = pack.io.unet;
    const L = pack.latentSize;
    const ctxDim = pack.io.textEncoder.hiddenDim ?? 768;
    const fill = (type: string, dims: number[]) => makeTensor(type, new Array(dims.reduce((a, b) => a * b, 1)).fill(0.1), dims);
    const feeds: Record<string, TensorData> = {
      sample: fill(u.sampleType, [2, u.inChannels, L, L]),
      timestep: u.timestepRank === 0 ? makeTensor(u.timestepType, [999], []) : makeTensor(u.timestepType, [999, 999], [2]),
      encoder_hidden_states: fill(u.hiddenType, [2, 77, ctxDim]),
    };
    let unetMs = NaN;
    if (!u.residualInputs.length && u.batch !== 1) {
      const runs = 2;
      await u.session.run(feeds); // warm-up
      const t1 = performance.now();
      for (let i = 0; i < runs; i++) await u.session.run(feeds);
      unetMs = (performance.now() - t1) / runs;
    }
    await pack.release();
    rows.push({
      pack: manifest.id,
      GB: +(bytes / 1e9).toFixed(2),
      'wasm need GB': +(est.needBytes / 1e9).toFixed(1),
      wasm: est.fitsWasm ? 'fits' : 'refused',
      'load s (node)': +(loadMs / 1000).toFixed(1),
      'rss GB after load': +(rss / 1e9).toFixed(2),
      'unet eval s (b2)': Number.isNaN(unetMs) ? 'n/a' : +(unetMs / 1000).toFixed(2),
    });
  }
  return rows;
}

runIfMain(import.meta.url, fullSize);
