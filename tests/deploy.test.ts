/**
 * deploy/ checked here without a cluster: the Kubernetes manifest's container args and the Slurm script are
 * run as each scheduler would run them (2 shards, its environment variables), on a tiny pack and a
 * temporary folder in place of the shared volume; the Dockerfile copies only paths that exist.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePngRGBA } from '../src/core/png';
import { encodeTrimapPng } from '../src/core/trimap/png';
import { REPO, makeImage, makeTrimap, packDir } from './helpers';

const DEPLOY = join(REPO, 'deploy');
const SCHEDULER_VARS = ['JOB_COMPLETION_INDEX', 'SLURM_ARRAY_TASK_ID', 'SLURM_ARRAY_TASK_COUNT', 'SLURM_ARRAY_TASK_MIN', 'SLURM_CPUS_PER_TASK'];

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const e = { ...process.env };
  for (const k of SCHEDULER_VARS) delete e[k];
  return { ...e, ...extra };
}

function exec(file: string, args: string[], extra: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: dir, env: env(extra), timeout: 240_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ds-deploy-'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'photo.png'), encodePngRGBA(makeImage(64, 48)));
  writeFileSync(join(dir, 'data', 'trimap.png'), encodeTrimapPng(makeTrimap(64, 48, 30, 20, 5, 4)));
  const jobs = Array.from({ length: 6 }, (_, i) => JSON.stringify({ id: `j${i}`, image: 'photo.png', trimap: 'trimap.png', prompt: 'a scratch', seed: i, steps: 2 }));
  writeFileSync(join(dir, 'data', 'jobs.jsonl'), jobs.join('\n') + '\n');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('deploy/', () => {
  it('Dockerfile copies only existing paths and runs the CLI; its context filter keeps them', () => {
    const docker = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
    expect(docker).toMatch(/^FROM node:\d+-bookworm/m);
    const copies = [...docker.matchAll(/^COPY (.+) \S+$/gm)].flatMap((m) => m[1].split(/\s+/));
    expect(copies).toContain('public/models/ds-surface-v1');
    for (const c of copies) expect(existsSync(join(REPO, c)), c).toBe(true);
    expect(docker).toMatch(/ENTRYPOINT \["node", "\/app\/bin\/defect-studio\.mjs"\]/);
    const ignore = readFileSync(join(DEPLOY, 'Dockerfile.dockerignore'), 'utf8');
    for (const c of copies) expect(ignore).toContain(`!${c}`);
  });

  it('the Indexed Job: completions = parallelism = --shards; its args run as 2 shards give every job once', async () => {
    const yaml = readFileSync(join(DEPLOY, 'k8s', 'batch-indexed-job.yaml'), 'utf8');
    expect(yaml).toMatch(/completionMode: Indexed/);
    const completions = Number(/completions: (\d+)/.exec(yaml)![1]);
    expect(Number(/parallelism: (\d+)/.exec(yaml)![1])).toBe(completions);
    const argsBlock = /^ {10}args:\n((?: {12}- .*\n)+)/m.exec(yaml)![1];
    const args = [...argsBlock.matchAll(/^ {12}- (\S+)/gm)].map((m) => m[1]);
    expect(args[0]).toBe('batch');
    expect(args).toContain(`--shards=${completions}`);
    expect(yaml).toMatch(/claimName: defect-studio-data/);
    // the same args with the volume at a temporary folder, the tiny pack, and 2 completions
    const local = args.map((a) =>
      a.startsWith('--model=') ? `--model=${packDir('tiny-sd')}` : a.startsWith('--shards=') ? '--shards=2' : a.replace('/data/', `${join(dir, 'data')}/`).replace('=/data', `=${join(dir, 'data')}`),
    ).map((a) => a.replace(/\s+#.*$/, ''));
    const out = join(dir, 'data', 'out');
    expect(local).toContain(`--out=${out}`);
    const runs = await Promise.all(['0', '1'].map((i) => exec(process.execPath, [join(REPO, 'bin', 'defect-studio.mjs'), ...local], { JOB_COMPLETION_INDEX: i })));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const results = readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(results.map((r) => r.id)).toEqual(['j0', 'j1', 'j2', 'j3', 'j4', 'j5']);
    expect(existsSync(join(out, 'coco.json'))).toBe(true);
  }, 300_000);

  it('the Slurm array script runs as 2 array tasks (ids 1..2) and gives every job once', async () => {
    const script = join(DEPLOY, 'slurm', 'batch-array.sh');
    const syntax = await exec('bash', ['-n', script], {});
    expect(syntax.code).toBe(0);
    const out = join(dir, 'slurm-out');
    const runs = await Promise.all(
      ['1', '2'].map((i) =>
        exec('bash', [script, join(dir, 'data', 'jobs.jsonl'), out], {
          SLURM_ARRAY_TASK_ID: i,
          SLURM_ARRAY_TASK_COUNT: '2',
          SLURM_ARRAY_TASK_MIN: '1',
          SLURM_CPUS_PER_TASK: '1',
          DS_MODEL: packDir('tiny-sd'),
        }),
      ),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const results = readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(results.map((r) => r.id)).toEqual(['j0', 'j1', 'j2', 'j3', 'j4', 'j5']);
    // --progress json: one line per finished job across both tasks
    const lines = runs.flatMap((r) => r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)));
    expect(lines.map((l) => l.id).sort()).toEqual(['j0', 'j1', 'j2', 'j3', 'j4', 'j5']);
    const missing = await exec('bash', [script, 'jobs.jsonl', 'out'], {});
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/SLURM_ARRAY_TASK_ID is not set/);
  }, 300_000);
});
