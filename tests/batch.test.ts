/**
 * `defect-studio jobs` / `batch` / `merge` as child processes on a real pack (tiny-sd, onnxruntime-node):
 * one run vs two shards (Kubernetes and Slurm environments) byte for byte, a job's image vs `generate`,
 * resume after kill -9, and a job file with bad lines.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cocoRleToMask } from '../src/core/batch/coco';
import { decodePng, decodePngFirstChannel, encodePngRGBA } from '../src/core/png';
import { REPO, makeImage, packDir } from './helpers';

const BIN = join(REPO, 'bin', 'defect-studio.mjs');
const PACK = packDir('tiny-sd');
const SCHEDULER_VARS = ['JOB_COMPLETION_INDEX', 'SLURM_ARRAY_TASK_ID', 'SLURM_ARRAY_TASK_COUNT', 'SLURM_ARRAY_TASK_MIN'];

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of SCHEDULER_VARS) delete env[k];
  return { ...env, ...extra };
}

function run(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? dir, env: cleanEnv(opts.env), timeout: 240_000, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Every file under `root` (relative path -> bytes), without the shard parts and leftover temporary files. */
function tree(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        if (name !== '.batch-parts') walk(p);
      } else if (!name.endsWith('.tmp')) {
        out.set(relative(root, p), readFileSync(p));
      }
    }
  };
  walk(root);
  return out;
}

function expectSameTree(a: string, b: string): void {
  const ta = tree(a);
  const tb = tree(b);
  expect([...tb.keys()]).toEqual([...ta.keys()]);
  for (const [k, v] of ta) expect(tb.get(k)!.equals(v), k).toBe(true);
}

let dir: string;
let jobLines: Record<string, unknown>[];
const N_JOBS = 12;
const batchArgs = (jobs: string, out: string, ...more: string[]) => ['batch', '--jobs', jobs, '--model', PACK, '--out', out, '--reproducible', '--coco', '--progress', 'none', ...more];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ds-batch-'));
  mkdirSync(join(dir, 'normals'));
  for (let i = 0; i < 4; i++) writeFileSync(join(dir, 'normals', `plate_${i}.png`), encodePngRGBA(makeImage(96, 72, 11 + i)));
  // object masks for two of the images: a centred rectangle
  mkdirSync(join(dir, 'objects'));
  const obj = new Uint8Array(96 * 72);
  for (let y = 12; y < 60; y++) for (let x = 16; x < 80; x++) obj[y * 96 + x] = 255;
  const { encodePngGray } = await import('../src/core/png');
  for (const i of [1, 3]) writeFileSync(join(dir, 'objects', `plate_${i}.png`), encodePngGray(96, 72, obj));
  const r = await run(['jobs', '--normals', 'normals', '--objects', 'objects', '--prompts', 'a scratch,a dent,a stain', '--per-image', '3', '--seed', '9', '--size', '6-24']);
  expect(r.stderr).toMatch(/12 jobs/);
  expect(r.code).toBe(0);
  jobLines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  expect(jobLines.length).toBe(N_JOBS);
  // fewer steps keep the test quick; everything else comes from the job maker
  writeFileSync(join(dir, 'jobs.jsonl'), jobLines.map((j) => JSON.stringify({ ...j, steps: 3 }) + '\n').join(''));
  // the reference: one process, every job
  const single = await run(batchArgs('jobs.jsonl', 'single'));
  expect(single.stderr).toMatch(/12 jobs: 12 generated, 0 already done, 0 failed/);
  expect(single.code).toBe(0);
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('defect-studio jobs', () => {
  it('is deterministic for a seed and keeps every defect inside the object mask', async () => {
    const again = await run(['jobs', '--normals', 'normals', '--objects', 'objects', '--prompts', 'a scratch,a dent,a stain', '--per-image', '3', '--seed', '9', '--size', '6-24', '--trimaps', 'trimaps2']);
    expect(again.code).toBe(0);
    const lines = again.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => ({ ...l, trimap: '' }))).toEqual(jobLines.map((l) => ({ ...l, trimap: '' })));
    for (const [k, l] of lines.entries()) {
      const a = readFileSync(join(dir, String(l.trimap)));
      expect(a.equals(readFileSync(join(dir, String(jobLines[k].trimap))))).toBe(true);
      const t = decodePngFirstChannel(a);
      let outside = 0;
      let defect = 0;
      const masked = /plate_[13]/.test(String(l.image));
      for (let p = 0; p < t.data.length; p++) {
        const x = p % 96;
        const y = Math.floor(p / 96);
        const inObj = x >= 16 && x < 80 && y >= 12 && y < 60;
        if (t.data[p] === 255) defect++;
        if (masked && !inObj && t.data[p] !== 0) outside++;
      }
      expect(defect).toBeGreaterThan(0);
      expect(outside).toBe(0);
    }
    expect(new Set(lines.map((l) => l.prompt))).toEqual(new Set(['a scratch', 'a dent', 'a stain']));
    const other = await run(['jobs', '--normals', 'normals', '--prompts', 'a scratch', '--seed', '10', '--trimaps', 'trimaps3']);
    expect(other.stdout).not.toBe(again.stdout);
  }, 120_000);
});

describe('defect-studio batch', () => {
  it('writes the MVTec AD layout, results.jsonl and COCO RLE masks; a job image equals `generate`', async () => {
    const out = join(dir, 'single');
    const results = readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(results.map((r) => r.line)).toEqual(Array.from({ length: N_JOBS }, (_, i) => i + 1));
    expect(results.every((r) => r.status === 'ok')).toBe(true);
    const first = results[0];
    expect(first.id).toBe(jobLines[0].id);
    expect(first.image).toMatch(/^plate\/test\/(scratch|dent|stain)\/000\.png$/);
    expect(first.mask).toBe(first.image.replace('/test/', '/ground_truth/').replace('.png', '_mask.png'));
    expect(first.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(first.settings.steps).toBe(3);
    expect(first.seed).toBe(jobLines[0].seed);
    expect(first.sha256.image).toMatch(/^[0-9a-f]{64}$/);
    expect(existsSync(join(out, 'plate/train/good/000.png'))).toBe(true);
    expect(existsSync(join(out, 'plate/train/good/003.png'))).toBe(true);
    // COCO: one annotation per image whose RLE decodes to exactly the mask file
    const coco = JSON.parse(readFileSync(join(out, 'coco.json'), 'utf8'));
    expect(coco.images.length).toBe(N_JOBS);
    expect(coco.annotations.length).toBe(N_JOBS);
    expect(coco.categories.map((c: { name: string }) => c.name).sort()).toEqual(['dent', 'scratch', 'stain']);
    for (const [k, r] of results.entries()) {
      const m = decodePngFirstChannel(readFileSync(join(out, r.mask)));
      const rle = cocoRleToMask(coco.annotations[k].segmentation);
      expect(coco.images[k].file_name).toBe(r.image);
      expect(Array.from(rle)).toEqual(Array.from(m.data, (v) => (v ? 1 : 0)));
    }
    // the same job through `generate`: identical image and mask bytes
    const j = jobLines[4];
    const g = await run(['generate', '--model', PACK, '--image', String(j.image), '--trimap', String(j.trimap), '--prompt', String(j.prompt), '--seed', String(j.seed), '--steps', '3', '--out', 'gen']);
    expect(g.stderr).toBe('');
    expect(g.code).toBe(0);
    expect(readFileSync(join(dir, 'gen', 'image.png')).equals(readFileSync(join(out, results[4].image)))).toBe(true);
    expect(readFileSync(join(dir, 'gen', 'mask.png')).equals(readFileSync(join(out, results[4].mask)))).toBe(true);
  }, 120_000);

  it('two shards from Kubernetes and from Slurm environments equal one run byte for byte; merge rebuilds the results', async () => {
    const runs = await Promise.all([
      run(batchArgs('jobs.jsonl', 'k8s', '--shards', '2'), { env: { JOB_COMPLETION_INDEX: '0' } }),
      run(batchArgs('jobs.jsonl', 'k8s', '--shards', '2'), { env: { JOB_COMPLETION_INDEX: '1' } }),
      run(batchArgs('jobs.jsonl', 'slurm'), { env: { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '2', SLURM_ARRAY_TASK_MIN: '1' } }),
      run(batchArgs('jobs.jsonl', 'slurm'), { env: { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '2', SLURM_ARRAY_TASK_MIN: '1' } }),
    ]);
    for (const r of runs) {
      expect(r.stderr).toMatch(/shard [01]\/2, from (kubernetes|slurm)/);
      expect(r.code).toBe(0);
    }
    for (const name of ['k8s', 'slurm']) {
      const parts = [0, 1].map((i) => JSON.parse(readFileSync(join(dir, name, '.batch-parts', `part-${i}-of-2.json`), 'utf8')));
      const ids = parts.map((p) => p.results.map((r: { id: string }) => r.id));
      expect(ids[0].length).toBeGreaterThan(0);
      expect(ids[1].length).toBeGreaterThan(0);
      expect(ids[0].length + ids[1].length).toBe(N_JOBS);
      expect(ids[0].filter((id: string) => ids[1].includes(id))).toEqual([]);
      expectSameTree(join(dir, 'single'), join(dir, name));
    }
    // merge alone rebuilds results.jsonl and coco.json from the parts
    rmSync(join(dir, 'k8s', 'results.jsonl'));
    rmSync(join(dir, 'k8s', 'coco.json'));
    const m = await run(['merge', '--out', 'k8s']);
    expect(m.stderr).toMatch(/merged 2 shard parts: 12 jobs \(0 failed\)/);
    expect(m.code).toBe(0);
    expectSameTree(join(dir, 'single'), join(dir, 'k8s'));
  }, 300_000);

  it('after kill -9 in the middle a rerun redoes only the missing jobs, and no final file is half-written', async () => {
    const out = join(dir, 'killed');
    const child = spawn(process.execPath, [BIN, ...batchArgs('jobs.jsonl', 'killed', '--progress', 'json')], { cwd: dir, env: cleanEnv() });
    let seen = 0;
    let buf = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        seen = buf.split('\n').filter((l) => l.includes('"event":"job"')).length;
        if (seen >= 3 && !child.killed) child.kill('SIGKILL');
      });
      child.on('exit', () => resolve());
    });
    expect(seen).toBeGreaterThanOrEqual(3);
    expect(existsSync(join(out, 'results.jsonl'))).toBe(false);
    // every file under a final name is complete
    const files = tree(out);
    const records = [...files.keys()].filter((k) => k.includes('/records/'));
    for (const [k, v] of files) {
      if (k.endsWith('.png')) expect(() => decodePng(new Uint8Array(v)), k).not.toThrow();
      else expect(() => JSON.parse(v.toString()), k).not.toThrow();
    }
    const done = new Set(records.map((k) => JSON.parse(files.get(k)!.toString()).job.id));
    expect(done.size).toBeGreaterThanOrEqual(3);
    expect(done.size).toBeLessThan(N_JOBS);
    const again = await run(batchArgs('jobs.jsonl', 'killed', '--progress', 'json'));
    expect(again.code).toBe(0);
    const events = again.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(new Set(events.filter((e) => e.status === 'skipped').map((e) => e.id))).toEqual(done);
    expect(events.filter((e) => e.status === 'generated').length).toBe(N_JOBS - done.size);
    expect(again.stderr).toMatch(new RegExp(`${N_JOBS - done.size} generated, ${done.size} already done, 0 failed`));
    expectSameTree(join(dir, 'single'), out);
  }, 300_000);

  it('a job file with 3 bad lines: each reported with line and id, the others done, exit 1, counts in the summary', async () => {
    const good = jobLines.slice(0, 4).map((j) => JSON.stringify({ ...j, steps: 3 }));
    const lines = [
      good[0],
      '{"id": "broken", "image": ',
      good[1],
      JSON.stringify({ id: 'no-prompt', image: jobLines[0].image, trimap: jobLines[0].trimap }),
      good[2],
      good[3],
      JSON.stringify({ id: 'missing-image', image: 'normals/nope.png', trimap: jobLines[0].trimap, prompt: 'a scratch' }),
    ];
    writeFileSync(join(dir, 'bad.jsonl'), lines.join('\n') + '\n');
    const r = await run(batchArgs('bad.jsonl', 'bad'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/line 2: not valid JSON/);
    expect(r.stderr).toMatch(/line 4 \(id "no-prompt"\): missing "prompt"/);
    expect(r.stderr).toMatch(/line 7 \(id "missing-image"\): cannot read image .*nope\.png: no such file/);
    expect(r.stderr).toMatch(/7 jobs: 4 generated, 0 already done, 3 failed/);
    const results = readFileSync(join(dir, 'bad', 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(results.map((x) => [x.line, x.id, x.status])).toEqual([
      [1, jobLines[0].id, 'ok'],
      [2, null, 'failed'],
      [3, jobLines[1].id, 'ok'],
      [4, 'no-prompt', 'failed'],
      [5, jobLines[2].id, 'ok'],
      [6, jobLines[3].id, 'ok'],
      [7, 'missing-image', 'failed'],
    ]);
    // the good jobs are the same pictures as in the full run
    const single = readFileSync(join(dir, 'single', 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    for (const x of results.filter((y) => y.status === 'ok')) {
      const ref = single.find((s) => s.id === x.id);
      expect(x.sha256).toEqual(ref.sha256);
    }
  }, 120_000);
});
