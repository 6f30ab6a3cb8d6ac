/**
 * Full-size SD-1.5 packs (issue 15) on onnxruntime-node, on demand only (never in CI or the unit suite):
 *   /usr/bin/python3 tools/make-fullsize-packs.py        # builds bench/fullsize-packs/sd15-* (never committed)
 *   nice -n 10 npm run bench -- full-size
 * Env: FULLSIZE_PACKS=DIR, FULLSIZE_ONLY=substring(s) of pack ids, FULLSIZE_RUNS (evaluations, default 2),
 * FULLSIZE_LOADER=hold-all: the loader as before issue 15 (all files read first and kept); FULLSIZE_LOADER=bytes: loadPack handing
 * each model's bytes to onnxruntime (as before sessions by path); both for before/after peaks.
 * Per pack, in a process of its own (bench/full-size-node.ts, so the peak resident memory is the pack's):
 * total size, the WASM estimate and verdict (src/core/models/memory.ts), load time, resident memory after
 * loading and its peak, and each evaluation with guidance (batch 2, the pack's native resolution; ControlNet
 * packs: the ControlNet at batch 1 and the UNet with its 13 residuals). The first evaluation includes ORT's
 * first-run allocations. Chromium/WASM: bench/browser-fullsize.bench.ts. Without built packs it prints how
 * to build them and returns no rows. JSON: bench/results/full-size.json (with the machine's load).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runIfMain, type Row } from './standalone';
import { estimateWasmMemory } from '../src/core/models/memory';
import { machineState, mergeResults } from './browser-fullsize.bench';

const ROOT = resolve(import.meta.dirname, '..');
const DIR = resolve(process.env.FULLSIZE_PACKS ?? join(ROOT, 'bench', 'fullsize-packs'));

function packs(): string[] {
  if (!existsSync(DIR)) return [];
  const only = process.env.FULLSIZE_ONLY;
  return readdirSync(DIR)
    .filter((d) => d.startsWith('sd15-') && existsSync(join(DIR, d, 'defect-studio.json')))
    .filter((d) => !only || only.split(',').some((o) => d.includes(o)))
    .sort()
    .map((d) => join(DIR, d));
}

const gb = (n: number) => +(n / 1e9).toFixed(2);
const secs = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(1)).join(' / ');

export default async function fullSize(): Promise<Row[]> {
  const dirs = packs();
  if (!dirs.length) {
    process.stdout.write(`full-size: skipped, no packs in ${DIR}. Build them with /usr/bin/python3 tools/make-fullsize-packs.py (see its header for time and disk).\n`);
    return [];
  }
  const runs = process.env.FULLSIZE_RUNS ?? '2';
  const rows: Row[] = [];
  const raw: unknown[] = [];
  for (const dir of dirs) {
    const manifest = JSON.parse(readFileSync(join(dir, 'defect-studio.json'), 'utf8'));
    const est = estimateWasmMemory(manifest);
    const bytes = Object.values(manifest.files as Record<string, { bytes: number }>).reduce((a, f) => a + f.bytes, 0);
    const machine = machineState();
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'full-size-node.ts'), dir, runs], {
      env: process.env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 20,
    });
    const r = JSON.parse(out.trim().split('\n').pop()!);
    raw.push({ ...r, bytes, wasmNeedBytes: est.needBytes, machineBefore: machine, machineAfter: machineState() });
    rows.push({
      pack: manifest.id,
      GB: gb(bytes),
      'wasm need GB': +(est.needBytes / 1e9).toFixed(1),
      wasm: est.fitsWasm ? 'fits' : 'refused',
      'load s': +(r.loadMs / 1000).toFixed(1),
      'rss after load GB': gb(r.rssAfterLoad),
      'peak rss load GB': gb(r.peakAfterLoad),
      'controlnet s (b1)': r.controlnetMs.length ? secs(r.controlnetMs) : '',
      'unet s (b2)': secs(r.unetMs),
      'peak rss GB': gb(r.peakEnd),
      'rss after TE+VAE-enc release GB': r.rssAfterReleases === null ? '' : gb(r.rssAfterReleases),
      loader: r.loader,
      load: String(machine.loadavg).split(' ')[0],
    });
    process.stdout.write(`${manifest.id}: ${JSON.stringify(rows[rows.length - 1])}\n`);
  }
  const dirOut = join(ROOT, 'bench', 'results');
  mkdirSync(dirOut, { recursive: true });
  writeFileSync(join(dirOut, 'full-size.json'), JSON.stringify(mergeResults(join(dirOut, 'full-size.json'), rows, raw, (r) => `${r.pack} ${r.loader}`), null, 2) + '\n');
  return rows;
}

runIfMain(import.meta.url, fullSize);
