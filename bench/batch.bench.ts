/**
 * Batch throughput of the built-in pack (numbers from one run; not a test).
 *   nice -n 10 node --import tsx bench/batch.bench.ts        (or: npm run bench -- batch)
 * 100 jobs (10 synthetic 512x512 photos x 10 sampled trimaps, `defect-studio jobs --seed 1`), the pack's
 * defaults (25 DDIM steps, guidance 7, decoder adaptation on), onnxruntime-node, each configuration in fresh
 * processes writing a fresh folder:
 *   - `generate`: one image per process (pack load every time), 3 runs of the first job, median;
 *   - `batch`, 1 process;  2 shard processes at once (--shard 0/2, 1/2);  1 process with --workers 2.
 * Wall time from spawning the processes to the last exit (start-up and pack load included). Also checks that
 * every configuration produced the same image bytes per job (sha256 in results.jsonl).
 * BATCH_BENCH_JOBS=N changes the job count (a multiple of 10), BATCH_BENCH_PACK=DIR the pack (smoke runs).
 * Writes bench/results/batch.json.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { encodePngRGBA } from '../src/core/png';
import { makeImage } from '../tests/helpers';
import { runIfMain, type Row } from './standalone';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'defect-studio.mjs');
const PACK = resolve(process.env.BATCH_BENCH_PACK ?? join(ROOT, 'public', 'models', 'ds-surface-v1'));

function cli(args: string[], cwd: string): Promise<{ code: number; stderr: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((res) => {
    execFile(process.execPath, [BIN, ...args], { cwd, maxBuffer: 1 << 26 }, (err, _stdout, stderr) => {
      res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr, ms: performance.now() - t0 });
    });
  });
}

const load1 = () => Number(loadavg()[0].toFixed(2));

interface ResultLine {
  id: string;
  status: string;
  sha256?: { image: string };
  timings?: Record<string, number>;
}

export default async function bench(): Promise<Row[]> {
  const n = Number(process.env.BATCH_BENCH_JOBS ?? 100);
  if (!(n >= 10 && n % 10 === 0)) throw new Error('BATCH_BENCH_JOBS must be a multiple of 10');
  const dir = mkdtempSync(join(tmpdir(), 'ds-batch-bench-'));
  try {
    mkdirSync(join(dir, 'normals'));
    for (let i = 0; i < 10; i++) writeFileSync(join(dir, 'normals', `photo_${i}.png`), encodePngRGBA(makeImage(512, 512, 100 + i)));
    const jobsText: string = await new Promise((res, rej) =>
      execFile(process.execPath, [BIN, 'jobs', '--normals', 'normals', '--prompts', 'a scratch,a dent,a stain,a crack', '--per-image', String(n / 10), '--seed', '1'], { cwd: dir }, (e, out) => (e ? rej(e) : res(out))),
    );
    writeFileSync(join(dir, 'jobs.jsonl'), jobsText);
    const first = JSON.parse(jobsText.split('\n')[0]) as { image: string; trimap: string; prompt: string; seed: number };

    const rows: Row[] = [];
    // One image per `generate` process.
    const gen: number[] = [];
    const l0 = load1();
    for (let k = 0; k < 3; k++) {
      const r = await cli(['generate', '--model', PACK, '--image', first.image, '--trimap', first.trimap, '--prompt', first.prompt, '--seed', String(first.seed), '--out', `gen${k}`], dir);
      if (r.code !== 0) throw new Error(r.stderr);
      gen.push(r.ms);
    }
    gen.sort((a, b) => a - b);
    const genS = gen[1] / 1000;
    rows.push({ config: 'generate (1 image/process)', processes: 1, jobs: 1, wall_s: genS, images_per_s: 1 / genS, s_per_image: genS, load_start: l0, load_end: load1() });

    const configs: { name: string; procs: string[][] }[] = [
      { name: 'batch, 1 process', procs: [[]] },
      { name: 'batch, 2 shards (--shard)', procs: [['--shard', '0/2'], ['--shard', '1/2']] },
      { name: 'batch, 1 process --workers 2', procs: [['--workers', '2']] },
    ];
    const shas = new Map<string, Map<string, string>>();
    const rate = new Map<string, number>();
    for (const c of configs) {
      const out = `out-${shas.size}`;
      const ls = load1();
      const t0 = performance.now();
      const runs = await Promise.all(c.procs.map((extra) => cli(['batch', '--jobs', 'jobs.jsonl', '--model', PACK, '--out', out, '--progress', 'none', ...extra], dir)));
      const wall = (performance.now() - t0) / 1000;
      for (const r of runs) if (r.code !== 0) throw new Error(`${c.name}: ${r.stderr}`);
      const results = readFileSync(join(dir, out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ResultLine);
      const ok = results.filter((r) => r.status === 'ok');
      shas.set(c.name, new Map(ok.map((r) => [r.id, r.sha256!.image])));
      const jobMs = ok.reduce((a, r) => a + (r.timings?.job ?? 0), 0) / ok.length;
      const unetMs = ok.reduce((a, r) => a + (r.timings?.unet ?? 0), 0) / ok.length;
      rate.set(c.name, ok.length / wall);
      rows.push({
        config: c.name,
        processes: c.procs.length,
        jobs: ok.length,
        wall_s: wall,
        images_per_s: ok.length / wall,
        s_per_image: wall / ok.length,
        job_ms_in_process: jobMs,
        unet_ms_per_job: unetMs,
        load_start: ls,
        load_end: load1(),
      });
      rmSync(join(dir, out), { recursive: true, force: true });
    }
    const ref = shas.get(configs[0].name)!;
    const identical = [...shas.values()].every((m) => m.size === ref.size && [...m].every(([id, h]) => ref.get(id) === h));
    const r1 = rate.get(configs[0].name)!;
    const summary = {
      scaling_efficiency_1_to_2_shards: rate.get(configs[1].name)! / (2 * r1),
      speedup_workers_2: rate.get(configs[2].name)! / r1,
      batch_s_per_image_over_generate: 1 / r1 / genS,
      identical_images_across_configs: identical,
    };
    rows.push({ config: 'summary', ...summary });
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(
      join(ROOT, 'bench', 'results', 'batch.json'),
      JSON.stringify({ bench: 'batch', date: new Date().toISOString(), cpus: cpus().length, jobs: n, rows, summary }, null, 2) + '\n',
    );
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

runIfMain(import.meta.url, bench);
