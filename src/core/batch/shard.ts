/**
 * Sharding of a job file across processes or machines without a coordinator: every process reads the whole
 * job file and takes the jobs whose stable hash falls in its shard. The shard comes from `--shard i/n`, or
 * from the environment a scheduler sets: a Kubernetes Indexed Job's JOB_COMPLETION_INDEX (with `--shards n`),
 * or a Slurm job array's SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT.
 */

import { DefectStudioError } from '../errors';
export interface Shard {
  /** 0-based shard index. */
  index: number;
  /** Number of shards (1 = everything). */
  count: number;
  /** Where the shard came from, for the log. */
  source: 'flag' | 'kubernetes' | 'slurm' | 'none';
}

export class ShardError extends DefectStudioError {
  constructor(message: string) {
    super('input', message);
    this.name = 'ShardError';
  }
}

/** FNV-1a over the UTF-8 bytes, then a murmur3-style finaliser so that `hash % n` is well spread. */
export function stableHash(key: string): number {
  const bytes = new TextEncoder().encode(key);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The shard a job belongs to; jobs without a usable id are placed by their line number. */
export function shardOf(key: string, count: number): number {
  return count <= 1 ? 0 : stableHash(key) % count;
}

/** The key a job line is sharded by: its id, or `line:N` when the line has no id. */
export function shardKey(id: string | null, line: number): string {
  return id ?? `line:${line}`;
}

function parseCount(v: string, what: string): number {
  if (!/^\d+$/.test(v.trim())) throw new ShardError(`${what} must be a positive integer, got "${v}"`);
  const n = Number(v);
  if (n < 1 || n > 100000) throw new ShardError(`${what} must be in 1..100000, got ${n}`);
  return n;
}

function parseIndex(v: string, count: number, what: string, base: number): number {
  if (!/^\d+$/.test(v.trim())) throw new ShardError(`${what} must be an integer, got "${v}"`);
  const i = Number(v) - base;
  if (i < 0 || i >= count) throw new ShardError(`${what} must be in ${base}..${count - 1 + base}, got ${v}`);
  return i;
}

/**
 * Which shard this process runs.
 * - `shard` ("i/n", 0-based i) wins;
 * - else JOB_COMPLETION_INDEX with `shards` (Kubernetes Indexed Job: completions = n, index 0..n-1);
 * - else SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT (array 0..n-1, or 1..n when SLURM_ARRAY_TASK_MIN
 *   is 1), `shards` overriding the count;
 * - else one shard.
 */
export function resolveShard(opts: { shard?: string; shards?: string }, env: Record<string, string | undefined>): Shard {
  if (opts.shard !== undefined) {
    const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(opts.shard);
    if (!m) throw new ShardError(`--shard must look like i/n (e.g. 0/4), got "${opts.shard}"`);
    const count = parseCount(m[2], '--shard n');
    return { index: parseIndex(m[1], count, '--shard i', 0), count, source: 'flag' };
  }
  const k8s = env.JOB_COMPLETION_INDEX;
  if (k8s !== undefined && k8s !== '') {
    if (opts.shards === undefined) {
      throw new ShardError('JOB_COMPLETION_INDEX is set (Kubernetes Indexed Job): pass --shards n (the completions count)');
    }
    const count = parseCount(opts.shards, '--shards');
    return { index: parseIndex(k8s, count, 'JOB_COMPLETION_INDEX', 0), count, source: 'kubernetes' };
  }
  const slurm = env.SLURM_ARRAY_TASK_ID;
  if (slurm !== undefined && slurm !== '') {
    const countText = opts.shards ?? env.SLURM_ARRAY_TASK_COUNT;
    if (countText === undefined || countText === '') {
      throw new ShardError('SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not: pass --shards n');
    }
    const count = parseCount(countText, opts.shards !== undefined ? '--shards' : 'SLURM_ARRAY_TASK_COUNT');
    const base = env.SLURM_ARRAY_TASK_MIN !== undefined && env.SLURM_ARRAY_TASK_MIN !== '' ? Number(env.SLURM_ARRAY_TASK_MIN) : 0;
    if (!Number.isInteger(base) || base < 0) throw new ShardError(`SLURM_ARRAY_TASK_MIN must be an integer, got "${env.SLURM_ARRAY_TASK_MIN}"`);
    return { index: parseIndex(slurm, count, 'SLURM_ARRAY_TASK_ID', base), count, source: 'slurm' };
  }
  if (opts.shards !== undefined) {
    throw new ShardError('--shards n needs JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID in the environment; use --shard i/n otherwise');
  }
  return { index: 0, count: 1, source: 'none' };
}
