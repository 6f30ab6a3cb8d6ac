/**
 * Speed and size of two built-in packs side by side, in one run (the check of a new built-in model before it
 * ships: MODEL.md "Ship"; numbers from one run on a shared machine, not a test):
 *   SHIP_BENCH_OLD=DIR [SHIP_BENCH_NEW=DIR] nice -n 10 node --import tsx bench/ship-compare.bench.ts
 * SHIP_BENCH_OLD defaults to the pack as committed at HEAD (git archive), SHIP_BENCH_NEW to the working tree's
 * public/models/ds-surface-v1. Both are copied under bench/results/ship-packs/ (the WASM bench serves the repo).
 *   - CLI: `defect-studio generate` (onnxruntime-node), the pack's defaults (25 DDIM steps, guidance 7, decoder
 *     adaptation on), a 512x384 image with a 130x20 px elliptic defect, one process per run, old and new
 *     alternating, SHIP_BENCH_CLI_RUNS runs each (default 3): median wall time (process start to exit) and the
 *     medians of meta.json's timings (total = the generation; load = the pack load).
 *   - Chromium WASM: bench/builtin-wasm.mjs (a fresh browser per call; its first run in a fresh page is the
 *     "cold" figure, the second the warm one), old and new alternating, SHIP_BENCH_WASM_ROUNDS each (default 2):
 *     medians.
 *   - pack bytes (every file of the manifest).
 * Limits printed beside the ratios: CLI <= 2x the old pack's time, WASM cold <= 10 s, pack <= 40 MB.
 * Run under `flock /tmp/e2e.lock` (it starts Chromium and a local server). Writes bench/results/ship-compare.json.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { encodePngRGBA } from '../src/core/png';
import { encodeTrimapPng } from '../src/core/trimap/png';
import { makeImage, makeTrimap } from '../tests/helpers';
import { runIfMain, type Row } from './standalone';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'defect-studio.mjs');
const PACK_REL = join('public', 'models', 'ds-surface-v1');
const COPIES = join(ROOT, 'bench', 'results', 'ship-packs');
const CLI_RUNS = Number(process.env.SHIP_BENCH_CLI_RUNS ?? 3);
const WASM_ROUNDS = Number(process.env.SHIP_BENCH_WASM_ROUNDS ?? 2);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const load1 = () => Number(loadavg()[0].toFixed(2));

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((res) => {
    execFile(cmd, args, { cwd, maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
      res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

function packBytes(dir: string): number {
  const m = JSON.parse(readFileSync(join(dir, 'defect-studio.json'), 'utf8')) as { files: Record<string, { bytes: number }> };
  return Object.values(m.files).reduce((a, f) => a + f.bytes, 0);
}

function describe(dir: string) {
  const m = JSON.parse(readFileSync(join(dir, 'defect-studio.json'), 'utf8')) as { name: string };
  const vocab = Object.keys((JSON.parse(readFileSync(join(dir, 'tokenizer', 'tokenizer.json'), 'utf8')) as { vocab: object }).vocab).length;
  return { name: m.name, vocab, bytes: packBytes(dir) };
}

/** The two packs, copied under bench/results/ship-packs/{old,new}. */
function preparePacks(): { old: string; new: string } {
  rmSync(COPIES, { recursive: true, force: true });
  mkdirSync(COPIES, { recursive: true });
  const old = join(COPIES, 'old');
  const neu = join(COPIES, 'new');
  if (process.env.SHIP_BENCH_OLD) cpSync(resolve(process.env.SHIP_BENCH_OLD), old, { recursive: true });
  else {
    const tar = join(COPIES, 'head.tar');
    execFileSync('git', ['archive', '-o', tar, 'HEAD', PACK_REL], { cwd: ROOT });
    mkdirSync(join(COPIES, 'head'));
    execFileSync('tar', ['-xf', tar, '-C', join(COPIES, 'head')]);
    cpSync(join(COPIES, 'head', PACK_REL), old, { recursive: true });
    rmSync(join(COPIES, 'head'), { recursive: true });
    rmSync(tar);
  }
  cpSync(resolve(process.env.SHIP_BENCH_NEW ?? join(ROOT, PACK_REL)), neu, { recursive: true });
  return { old, new: neu };
}

interface CliRun {
  wallMs: number;
  totalMs: number;
  loadMs: number;
  unetMs: number;
}

async function cliRun(pack: string, dir: string, k: number): Promise<CliRun> {
  const out = join(dir, `out-${k}`);
  const r = await run(process.execPath, [BIN, 'generate', '--model', pack, '--image', 'image.png', '--trimap', 'trimap.png', '--prompt', 'a scratch', '--seed', '1', '--out', out], dir);
  if (r.code !== 0) throw new Error(`generate with ${pack}: ${r.stderr}`);
  const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')) as { settings?: { steps?: number }; timings?: Record<string, number> };
  const t = meta.timings ?? {};
  rmSync(out, { recursive: true, force: true });
  return { wallMs: r.ms, totalMs: t.total ?? NaN, loadMs: t.load ?? NaN, unetMs: t.unet ?? NaN };
}

interface WasmRun {
  coldMs: number;
  coldLoadMs: number;
  warmMs: number;
  unetPerEvalMs: number;
}

async function wasmRun(packUrl: string): Promise<WasmRun> {
  const r = await run(process.execPath, [join(ROOT, 'bench', 'builtin-wasm.mjs'), '--pack', packUrl], ROOT);
  if (r.code !== 0) throw new Error(`builtin-wasm.mjs --pack ${packUrl}: ${r.stderr}`);
  const res = JSON.parse(readFileSync(join(ROOT, 'bench', 'results', 'builtin-wasm.json'), 'utf8')) as { runs: Record<string, number>[] };
  const [cold, warm] = res.runs;
  if (!cold || !warm || !(cold.total > 0)) throw new Error(`builtin-wasm.mjs --pack ${packUrl}: no timings (${JSON.stringify(res.runs)})`);
  return { coldMs: cold.total, coldLoadMs: cold.load, warmMs: warm.total, unetPerEvalMs: warm.unetPerEval };
}

export default async function bench(): Promise<Row[]> {
  const packs = preparePacks();
  const info = { old: describe(packs.old), new: describe(packs.new) };
  const dir = mkdtempSync(join(tmpdir(), 'ds-ship-bench-'));
  const loadStart = load1();
  try {
    writeFileSync(join(dir, 'image.png'), encodePngRGBA(makeImage(512, 384, 5)));
    writeFileSync(join(dir, 'trimap.png'), encodeTrimapPng(makeTrimap(512, 384, 256, 192, 65, 10)));
    const cli: Record<'old' | 'new', CliRun[]> = { old: [], new: [] };
    for (let k = 0; k < CLI_RUNS; k++) {
      for (const which of ['old', 'new'] as const) cli[which].push(await cliRun(packs[which], dir, k));
    }
    const wasm: Record<'old' | 'new', WasmRun[]> = { old: [], new: [] };
    if (existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium')) {
      for (let k = 0; k < WASM_ROUNDS; k++) {
        for (const which of ['old', 'new'] as const) wasm[which].push(await wasmRun(`/bench/results/ship-packs/${which}`));
      }
    }
    const rows: Row[] = [];
    const add = (metric: string, unit: string, old: number, neu: number, limit: string, ok: boolean | null) =>
      rows.push({ metric, unit, old, new: neu, ratio_new_old: neu / old, limit, ok });
    const m = <T extends object>(xs: T[], k: keyof T) => median(xs.map((x) => x[k] as number));
    add('pack size', 'MB', info.old.bytes / 1e6, info.new.bytes / 1e6, '<= 40 MB', info.new.bytes <= 40e6);
    add('vocabulary', 'words', info.old.vocab, info.new.vocab, '', null);
    const cliOld = m(cli.old, 'totalMs') / 1000, cliNew = m(cli.new, 'totalMs') / 1000;
    add('CLI generation, 25 steps (median)', 's', cliOld, cliNew, '<= 2x old', cliNew <= 2 * cliOld);
    add('CLI UNet, 25 steps (median)', 's', m(cli.old, 'unetMs') / 1000, m(cli.new, 'unetMs') / 1000, '', null);
    add('CLI pack load (median)', 's', m(cli.old, 'loadMs') / 1000, m(cli.new, 'loadMs') / 1000, '', null);
    add('CLI process wall (median)', 's', m(cli.old, 'wallMs') / 1000, m(cli.new, 'wallMs') / 1000, '', null);
    if (wasm.old.length) {
      const coldNew = m(wasm.new, 'coldMs') / 1000;
      add('WASM cold, first run in a fresh page (median)', 's', m(wasm.old, 'coldMs') / 1000, coldNew, '<= 10 s', coldNew <= 10);
      add('WASM session creation, cold (median)', 's', m(wasm.old, 'coldLoadMs') / 1000, m(wasm.new, 'coldLoadMs') / 1000, '', null);
      add('WASM warm (median)', 's', m(wasm.old, 'warmMs') / 1000, m(wasm.new, 'warmMs') / 1000, '', null);
      add('WASM UNet per evaluation, warm (median)', 'ms', m(wasm.old, 'unetPerEvalMs'), m(wasm.new, 'unetPerEvalMs'), '', null);
    }
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(
      join(ROOT, 'bench', 'results', 'ship-compare.json'),
      JSON.stringify(
        { bench: 'ship-compare', date: new Date().toISOString(), cpus: cpus().length, loadStart, loadEnd: load1(), packs: info, rows, runs: { cli, wasm } },
        null,
        2,
      ) + '\n',
    );
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

runIfMain(import.meta.url, bench);
