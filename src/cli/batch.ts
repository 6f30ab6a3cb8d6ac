/**
 * `defect-studio batch --jobs jobs.jsonl --model DIR --out DIR`: many generations with one pack load,
 * written in the MVTec AD layout of the browser's zip export, resumable and shardable.
 *
 * Output folder:
 *   <category>/test/<defect>/000.png, ground_truth/<defect>/000_mask.png, records/<defect>/000.json,
 *   train/good/000.png (names from MvtecNamer, decided by the job file alone, so shards never collide);
 *   .batch-parts/part-<i>-of-<n>.json   each shard's results, written when the shard finishes;
 *   results.jsonl (and coco.json)       rebuilt from all parts by the last shard to finish, or `merge`.
 * A job's record file is written last (after its image and mask): a rerun skips the job when the record
 * matches its id, settings hash and model sha256 and the files' sha256s match the record.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../core/diffusion/pipeline';
import { buildCoco, type CocoItem } from '../core/batch/coco';
import { canonicalJson, parseJobFile, type JobLineError, type JobSpec } from '../core/batch/jobs';
import { objectRegionFromGray, trimapFromMasks } from '../core/batch/regions';
import { resolveShard, shardKey, shardOf, ShardError, type Shard } from '../core/batch/shard';
import { categoryFromImageName, defectNameFromPrompt, MvtecNamer, recordToBytes, type ExportRecord, type MvtecNames } from '../core/export';
import type { Trimap } from '../core/image';
import { PackError } from '../core/models/errors';
import { sha256Hex } from '../core/models/manifest';
import { decodePngFirstChannel, encodePngGray, rasterToRGBA, type DecodedPng } from '../core/png';
import { decodeMaskPng, decodeTrimapPng } from '../core/trimap/png';
import { CLI_SETTING_KEYS, parseFlags, parseJobSettings, UsageError } from './args';
import type { SettingValues } from '../core/settings';
import { writeFileAtomic, writeFilesAtomic } from './atomic';
import { buildRequest, checkTrimap, decodeInputImage, decodeOr, encodeResultImage, generationRecord, openGenerator, readInput, runRequest, type Backend, type Generator } from './generator';
import { Progress, type ProgressMode } from './progress';

export const BATCH_USAGE = `usage: defect-studio batch --jobs FILE.jsonl --model DIR --out DIR [--workers K] [--backend native|wasm]
  [--shard i/n | --shards n (with JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID)] [--coco]
  [--threads N] [--progress bar|json|none] [--reproducible]
usage: defect-studio merge --out DIR [--shards n] [--coco]`;

export const PARTS_DIR = '.batch-parts';
const PART_FORMAT = 'defect-studio-batch-part@1';

export interface BatchArgs {
  jobs: string;
  model: string;
  out: string;
  workers: number;
  /** onnxruntime-node intra-op threads per process (default: one per core of the machine). */
  threads?: number;
  backend: Backend;
  shard?: string;
  shards?: string;
  coco: boolean;
  progress: ProgressMode | 'auto';
  /** Leave wall-clock fields (createdAt, timings) out of records and results: reruns give identical bytes. */
  reproducible: boolean;
}

export function parseBatchArgs(argv: string[]): BatchArgs {
  const { values: v, flags } = parseFlags(argv, ['jobs', 'model', 'out', 'workers', 'threads', 'backend', 'shard', 'shards', 'progress'], ['coco', 'reproducible']);
  for (const req of ['jobs', 'model', 'out']) if (!v.has(req)) throw new UsageError(`missing --${req}`);
  const workers = v.get('workers') ?? '1';
  if (!/^\d+$/.test(workers) || Number(workers) < 1 || Number(workers) > 64) throw new UsageError(`--workers must be an integer in 1..64, got "${workers}"`);
  const backend = v.get('backend') ?? 'native';
  if (backend !== 'native' && backend !== 'wasm') throw new UsageError(`--backend must be native or wasm, got "${backend}"`);
  const threads = v.get('threads');
  if (threads !== undefined && (!/^\d+$/.test(threads) || Number(threads) < 1 || Number(threads) > 256)) {
    throw new UsageError(`--threads must be an integer in 1..256, got "${threads}"`);
  }
  const progress = v.get('progress') ?? 'auto';
  if (!['bar', 'json', 'none', 'auto'].includes(progress)) throw new UsageError(`--progress must be bar, json or none, got "${progress}"`);
  return {
    jobs: v.get('jobs')!,
    model: v.get('model')!,
    out: v.get('out')!,
    workers: Number(workers),
    threads: threads === undefined ? undefined : Number(threads),
    backend,
    shard: v.get('shard'),
    shards: v.get('shards'),
    coco: flags.has('coco'),
    progress: progress as BatchArgs['progress'],
    reproducible: flags.has('reproducible'),
  };
}

/** One line of results.jsonl. */
export type ResultLine =
  | ({ id: string; line: number; status: 'ok' } & Record<string, unknown>)
  | { id: string | null; line: number; status: 'failed'; error: string };

/** Settings of a job line: the src/core/settings names and ranges (prompt included), checked when planning. */
type JobSettings = Partial<SettingValues> & { prompt: string };

/** Job-line keys that are settings: every CLI setting except the prompt (a job field, checked with them). */
const JOB_SETTING_KEYS = new Set<string>(CLI_SETTING_KEYS.filter((k) => k !== 'prompt'));

interface PlannedJob {
  job: JobSpec;
  settings: JobSettings;
  names: MvtecNames;
}

export interface BatchPlan {
  jobsPath: string;
  baseDir: string;
  jobsSha256: string;
  /** Every entry of the job file in order: a runnable job, or a failure found without reading images. */
  entries: ({ kind: 'job'; planned: PlannedJob } | { kind: 'failure'; failure: JobLineError })[];
}

/** Read and check a job file: parse every line, validate its settings, and assign MVTec names in order. */
export async function planBatch(jobsPath: string): Promise<BatchPlan> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(jobsPath));
  } catch (e) {
    throw new InputError(`cannot read job file ${jobsPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const text = new TextDecoder().decode(bytes);
  const baseDir = dirname(resolve(jobsPath));
  const namer = new MvtecNamer();
  const entries: BatchPlan['entries'] = [];
  for (const e of parseJobFile(text, JOB_SETTING_KEYS)) {
    if (!e.ok) {
      entries.push({ kind: 'failure', failure: e.failure });
      continue;
    }
    const job = e.job;
    let settings: JobSettings;
    try {
      settings = { ...parseJobSettings({ ...job.settings, prompt: job.prompt }), prompt: job.prompt };
    } catch (err) {
      entries.push({ kind: 'failure', failure: { line: job.line, id: job.id, error: (err as Error).message } });
      continue;
    }
    const category = job.category ?? categoryFromImageName(basename(job.image));
    const defect = job.defect ?? defectNameFromPrompt(job.prompt);
    let names: MvtecNames;
    try {
      names = namer.add(category, defect, resolve(baseDir, job.image));
    } catch (err) {
      entries.push({ kind: 'failure', failure: { line: job.line, id: job.id, error: (err as Error).message } });
      continue;
    }
    entries.push({ kind: 'job', planned: { job, settings, names } });
  }
  return { jobsPath, baseDir, jobsSha256: await sha256Hex(bytes), entries };
}

function entryKey(e: BatchPlan['entries'][number]): string {
  return e.kind === 'job' ? shardKey(e.planned.job.id, e.planned.job.line) : shardKey(e.failure.id, e.failure.line);
}

export function shardEntries(plan: BatchPlan, shard: Shard): BatchPlan['entries'] {
  return plan.entries.filter((e) => shardOf(entryKey(e), shard.count) === shard.index);
}

async function manifestSha256(model: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(join(model, 'defect-studio.json'), 'utf8');
  } catch {
    throw new PackError(`not a model pack: ${model}`, { file: 'defect-studio.json', found: 'no such file' });
  }
  // the same bytes loadPack hashes (the manifest as decoded text, re-encoded)
  return sha256Hex(new TextEncoder().encode(text));
}

interface JobInputs {
  bytes: Record<string, Uint8Array>;
  paths: Record<string, string>;
}

async function readJobInputs(job: JobSpec, baseDir: string): Promise<JobInputs> {
  const paths: Record<string, string> = { image: resolve(baseDir, job.image) };
  if (job.trimap) paths.trimap = resolve(baseDir, job.trimap);
  if (job.mask) paths.mask = resolve(baseDir, job.mask);
  if (job.objectMask) paths.objectMask = resolve(baseDir, job.objectMask);
  const bytes: Record<string, Uint8Array> = {};
  for (const [k, p] of Object.entries(paths)) bytes[k] = await readInput(p, k === 'objectMask' ? 'object mask' : k);
  return { bytes, paths };
}

/** The photo (and its own-depth raster, for writing the result like `generate`) and the trimap of a job. */
function decodeJobInputs(inp: JobInputs): { image: ReturnType<typeof rasterToRGBA>; source: DecodedPng; trimap: Trimap } {
  const { bytes, paths } = inp;
  const source = decodeOr(() => decodeInputImage(bytes.image), 'image', paths.image);
  const image = rasterToRGBA(source);
  let trimap: Trimap;
  let trimapPath: string;
  if (bytes.trimap) {
    trimap = decodeOr(() => decodeTrimapPng(bytes.trimap), 'trimap', paths.trimap);
    trimapPath = paths.trimap;
  } else {
    const mask = decodeOr(() => decodeMaskPng(bytes.mask), 'mask', paths.mask);
    if (mask.width !== image.width || mask.height !== image.height) {
      throw new InputError(`mask size ${mask.width}x${mask.height} does not match the image size ${image.width}x${image.height}`);
    }
    let object: Uint8Array | undefined;
    if (bytes.objectMask) {
      const g = decodeOr(() => decodePngFirstChannel(bytes.objectMask), 'object mask', paths.objectMask);
      if (g.width !== image.width || g.height !== image.height) {
        throw new InputError(`object mask size ${g.width}x${g.height} does not match the image size ${image.width}x${image.height}`);
      }
      object = objectRegionFromGray(g);
    }
    trimap = trimapFromMasks(mask, object);
    trimapPath = paths.mask;
  }
  checkTrimap(image, trimap, trimapPath);
  return { image, source, trimap };
}

/** sha256 over everything that decides a job's pixels besides the model: inputs' bytes, prompt, settings, backend. */
async function settingsHash(p: PlannedJob, inp: JobInputs, backend: Backend): Promise<string> {
  const inputs: Record<string, string> = {};
  for (const [k, b] of Object.entries(inp.bytes)) inputs[k] = await sha256Hex(b);
  const doc = { v: 2, settings: p.settings, backend, inputs };
  return sha256Hex(new TextEncoder().encode(canonicalJson(doc)));
}

/** The results.jsonl line of a finished job, from its record (so a resumed job gives the same line). */
export function resultFromRecord(rec: ExportRecord, line: number): ResultLine {
  return {
    id: rec.job!.id,
    line,
    status: 'ok',
    image: rec.files.image,
    mask: rec.files.mask,
    sha256: rec.sha256,
    prompt: rec.prompt,
    negativePrompt: rec.negativePrompt,
    seed: rec.seed,
    settings: { ...rec.settings, backend: rec.backend },
    settingsHash: rec.job!.settingsHash,
    model: rec.model,
    crop: rec.crop,
    defectPixels: rec.defectPixels,
    ...(rec.adaptation ? { adaptation: rec.adaptation } : {}),
    ...(rec.timings ? { timings: rec.timings } : {}),
  };
}

/** The job's record when its outputs are complete and match; else null (the job must run). */
async function finishedRecord(out: string, p: PlannedJob, hash: string, modelSha: string): Promise<ExportRecord | null> {
  let rec: ExportRecord;
  try {
    rec = JSON.parse(await readFile(join(out, p.names.record), 'utf8')) as ExportRecord;
  } catch {
    return null;
  }
  if (rec.job?.id !== p.job.id || rec.job.settingsHash !== hash || rec.model?.sha256 !== modelSha || !rec.sha256) return null;
  if (rec.files?.image !== p.names.image || rec.files?.mask !== p.names.mask) return null;
  for (const k of ['image', 'mask'] as const) {
    try {
      if ((await sha256Hex(new Uint8Array(await readFile(join(out, p.names[k]))))) !== rec.sha256[k]) return null;
    } catch {
      return null;
    }
  }
  return rec;
}

/** Generate one job and write its files (good original, image, mask, then the record as commit marker). */
async function runJob(gen: Generator, out: string, p: PlannedJob, inp: JobInputs, hash: string, reproducible: boolean, signal: AbortSignal): Promise<ExportRecord> {
  const t0 = performance.now();
  const { image, source, trimap } = decodeJobInputs(inp);
  const request = buildRequest(gen, image, trimap, p.settings, (k) => `"${k}"`);
  const result = await runRequest(gen, request, signal);
  // the same bytes as `generate`'s image.png and mask.png
  const imagePng = encodeResultImage(source, result);
  const maskPng = encodePngGray(image.width, image.height, result.mask);
  const files: [string, Uint8Array][] = [];
  // the defect-free original, as given (any shard or job of the same photo may write it: same bytes)
  if (!existsSync(join(out, p.names.good))) files.push([join(out, p.names.good), inp.bytes.image]);
  files.push([join(out, p.names.image), imagePng], [join(out, p.names.mask), maskPng]);
  const sha256 = { image: await sha256Hex(imagePng), mask: await sha256Hex(maskPng) };
  const record = generationRecord(gen, request, result, {
    sourceName: basename(p.job.image),
    files: { image: p.names.image, mask: p.names.mask },
    timings: { ...result.timings, job: performance.now() - t0 }, // read, generate, encode (not the write)
    sha256,
    job: { id: p.job.id, settingsHash: hash },
    ...(reproducible ? { createdAt: null } : {}),
  });
  if (reproducible) {
    delete record.timings;
    if (record.adaptation) delete record.adaptation.ms;
  }
  if (signal.aborted) throw signal.reason ?? new DOMException('aborted', 'AbortError');
  files.push([join(out, p.names.record), recordToBytes(record)]);
  await writeFilesAtomic(files);
  return record;
}

export interface BatchSummary {
  shard: Shard;
  total: number;
  generated: number;
  skipped: number;
  failed: number;
  failures: JobLineError[];
  merged: boolean;
  /** Seconds spent generating, and the pack load. */
  seconds: number;
  loadSeconds: number;
}

interface PartFile {
  format: typeof PART_FORMAT;
  jobsSha256: string;
  modelSha256: string;
  shard: number;
  shards: number;
  coco: boolean;
  results: ResultLine[];
}

function partName(i: number, n: number): string {
  return `part-${i}-of-${n}.json`;
}

/** Run this process's shard of a job file. Never throws for a job's failure: those are in the summary. */
export async function runBatch(
  args: BatchArgs,
  env: Record<string, string | undefined>,
  signal: AbortSignal,
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number } } = process,
): Promise<BatchSummary> {
  let shard: Shard;
  try {
    shard = resolveShard({ shard: args.shard, shards: args.shards }, env);
  } catch (e) {
    if (e instanceof ShardError) throw new UsageError(e.message);
    throw e;
  }
  const plan = await planBatch(args.jobs);
  const modelSha = await manifestSha256(args.model);
  const out = resolve(args.out);
  const mine = shardEntries(plan, shard);
  const mode: ProgressMode = args.progress === 'auto' ? (io.stderr.isTTY ? 'bar' : 'none') : args.progress;
  const progress = new Progress(mine.length, mode, `${shard.index}/${shard.count}`, io);
  const results = new Map<number, ResultLine>(); // by line
  const failures: JobLineError[] = [];
  const fail = (f: JobLineError) => {
    failures.push(f);
    results.set(f.line, { id: f.id, line: f.line, status: 'failed', error: f.error });
    progress.job({ id: f.id, line: f.line, status: 'failed', error: f.error });
  };

  // 1. Parse failures, inputs, and what is already done (no pack needed for any of it).
  const todo: { p: PlannedJob; hash: string }[] = [];
  for (const e of mine) {
    if (signal.aborted) break;
    if (e.kind === 'failure') {
      fail(e.failure);
      continue;
    }
    const p = e.planned;
    try {
      const inp = await readJobInputs(p.job, plan.baseDir);
      decodeJobInputs(inp); // bad inputs fail here, before the pack loads
      const hash = await settingsHash(p, inp, args.backend);
      const done = await finishedRecord(out, p, hash, modelSha);
      if (done) {
        results.set(p.job.line, resultFromRecord(done, p.job.line));
        progress.job({ id: p.job.id, line: p.job.line, status: 'skipped', image: p.names.image });
      } else {
        todo.push({ p, hash });
      }
    } catch (err) {
      fail({ line: p.job.line, id: p.job.id, error: oneLine(err) });
    }
  }

  // 2. Generate the rest with one pack, `workers` jobs at a time.
  let loadSeconds = 0;
  const t0 = performance.now();
  if (todo.length && !signal.aborted) {
    const gen = await openGenerator(args.model, args.backend, todo.some((t) => t.p.settings.adaptation !== false), { threads: args.threads });
    loadSeconds = gen.loadMs / 1000;
    try {
      if (gen.pack.sha256 !== modelSha) throw new PackError('the model pack changed while the batch started', { file: 'defect-studio.json' });
      let workers = args.workers;
      if (workers > 1 && args.backend === 'wasm') {
        io.stderr.write('defect-studio: --workers > 1 needs --backend native (a WASM session runs one call at a time); using 1\n');
        workers = 1;
      }
      let next = 0;
      const loop = async () => {
        while (next < todo.length && !signal.aborted) {
          const { p, hash } = todo[next++];
          const tj = performance.now();
          try {
            const inp = await readJobInputs(p.job, plan.baseDir);
            const rec = await runJob(gen, out, p, inp, hash, args.reproducible, signal);
            results.set(p.job.line, resultFromRecord(rec, p.job.line));
            progress.job({ id: p.job.id, line: p.job.line, status: 'generated', ms: performance.now() - tj, image: p.names.image });
          } catch (err) {
            if ((err as Error)?.name === 'AbortError' || signal.aborted) return;
            fail({ line: p.job.line, id: p.job.id, error: oneLine(err) });
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(workers, todo.length) }, loop));
    } finally {
      await gen.release();
    }
  }
  progress.draw(true);
  const seconds = (performance.now() - t0) / 1000;
  const c = progress.counts();
  const summary: BatchSummary = {
    shard,
    total: mine.length,
    generated: c.generated,
    skipped: c.skipped,
    failed: c.failed,
    failures: failures.sort((a, b) => a.line - b.line),
    merged: false,
    seconds,
    loadSeconds,
  };
  if (signal.aborted) return summary;

  // 3. This shard's part, then the merged results when every shard has finished.
  const part: PartFile = {
    format: PART_FORMAT,
    jobsSha256: plan.jobsSha256,
    modelSha256: modelSha,
    shard: shard.index,
    shards: shard.count,
    coco: args.coco,
    results: [...results.values()].sort((a, b) => a.line - b.line),
  };
  await writeFileAtomic(join(out, PARTS_DIR, partName(shard.index, shard.count)), JSON.stringify(part) + '\n');
  const merged = await mergeParts(out, { shards: shard.count, coco: args.coco, jobsSha256: plan.jobsSha256, modelSha256: modelSha });
  summary.merged = merged.ok;
  return summary;
}

function oneLine(e: unknown): string {
  const err = e as Error;
  const kind = err instanceof PackError ? 'model pack: ' : '';
  return kind + String(err?.message ?? e).replace(/\s*\n\s*/g, ' ').trim();
}

export type MergeResult = { ok: true; shards: number; results: number; failed: number; coco: boolean } | { ok: false; reason: string };

/**
 * Rebuild results.jsonl (and coco.json) from the shard parts in `out`. With `shards` (and the job file and
 * model hashes) it merges exactly that set; without, the one complete set of parts present.
 */
export async function mergeParts(
  outDir: string,
  opts: { shards?: number; coco?: boolean; jobsSha256?: string; modelSha256?: string } = {},
): Promise<MergeResult> {
  const out = resolve(outDir);
  const dir = join(out, PARTS_DIR);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return { ok: false, reason: `no shard parts in ${dir} (run defect-studio batch first)` };
  }
  const byCount = new Map<number, Map<number, string>>();
  for (const name of names) {
    const m = /^part-(\d+)-of-(\d+)\.json$/.exec(name);
    if (!m) continue;
    const [i, n] = [Number(m[1]), Number(m[2])];
    if (!byCount.has(n)) byCount.set(n, new Map());
    byCount.get(n)!.set(i, name);
  }
  let n = opts.shards;
  if (n === undefined) {
    const complete = [...byCount.entries()].filter(([k, m]) => m.size === k).map(([k]) => k);
    if (complete.length === 0) {
      const desc = [...byCount.entries()].map(([k, m]) => `${m.size} of ${k}`).join(', ');
      return { ok: false, reason: `no complete set of shard parts in ${dir} (found ${desc || 'none'})` };
    }
    if (complete.length > 1) return { ok: false, reason: `complete part sets for ${complete.join(' and ')} shards in ${dir}: pass --shards n` };
    n = complete[0];
  }
  const set = byCount.get(n) ?? new Map<number, string>();
  const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !set.has(i));
  if (missing.length) return { ok: false, reason: `waiting for shard part${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${n}`).join(', ')}` };
  const parts: PartFile[] = [];
  for (let i = 0; i < n; i++) {
    let part: PartFile;
    try {
      part = JSON.parse(await readFile(join(dir, set.get(i)!), 'utf8')) as PartFile;
    } catch (e) {
      return { ok: false, reason: `shard part ${i}/${n} is unreadable: ${(e as Error).message}` };
    }
    if (part.format !== PART_FORMAT || part.shard !== i || part.shards !== n) return { ok: false, reason: `shard part ${i}/${n} is not a batch part` };
    parts.push(part);
  }
  const jobsSha = opts.jobsSha256 ?? parts[0].jobsSha256;
  const modelSha = opts.modelSha256 ?? parts[0].modelSha256;
  for (const part of parts) {
    if (part.jobsSha256 !== jobsSha) return { ok: false, reason: `shard part ${part.shard}/${n} is from another job file (still running, or stale)` };
    if (part.modelSha256 !== modelSha) return { ok: false, reason: `shard part ${part.shard}/${n} used another model pack` };
  }
  const all = parts.flatMap((p) => p.results).sort((a, b) => a.line - b.line);
  await writeFileAtomic(join(out, 'results.jsonl'), all.map((r) => JSON.stringify(r) + '\n').join(''));
  const coco = opts.coco ?? parts.every((p) => p.coco);
  if (coco) {
    const items: CocoItem[] = [];
    for (const r of all) {
      if (r.status !== 'ok') continue;
      const maskPath = String(r.mask);
      const mask = decodePngFirstChannel(new Uint8Array(await readFile(join(out, maskPath))));
      const [category, , defect] = maskPath.split('/');
      items.push({ fileName: String(r.image), width: mask.width, height: mask.height, category, defect, mask: mask.data, extra: { job_id: r.id } });
    }
    const model = all.find((r) => r.status === 'ok')?.model as Record<string, unknown> | undefined;
    const dataset = buildCoco(items, { description: 'DefectStudio batch', jobs_sha256: jobsSha, model: model ?? { sha256: modelSha } });
    await writeFileAtomic(join(out, 'coco.json'), JSON.stringify(dataset) + '\n');
  }
  return { ok: true, shards: n, results: all.length, failed: all.filter((r) => r.status === 'failed').length, coco };
}

/** `defect-studio batch ...`: exit 0 when every job of the shard succeeded, 1 when any failed. */
export async function batchCommand(argv: string[], signal: AbortSignal): Promise<number> {
  const args = parseBatchArgs(argv);
  const s = await runBatch(args, process.env, signal);
  const err = process.stderr;
  for (const f of s.failures) err.write(`defect-studio: line ${f.line}${f.id !== null ? ` (id "${f.id}")` : ''}: ${f.error}\n`);
  if (signal.aborted) {
    err.write(`defect-studio: interrupted after ${s.generated} generated; finished jobs are kept, rerun to resume\n`);
    return 130;
  }
  const rate = s.seconds > 0 && s.generated ? ` in ${s.seconds.toFixed(1)} s (${(s.generated / s.seconds).toFixed(2)} images/s, pack load ${s.loadSeconds.toFixed(1)} s)` : '';
  const shardText = s.shard.count > 1 ? ` (shard ${s.shard.index}/${s.shard.count}, from ${s.shard.source === 'flag' ? '--shard' : s.shard.source})` : '';
  err.write(
    `defect-studio: ${s.total} jobs${shardText}: ${s.generated} generated, ${s.skipped} already done, ${s.failed} failed${rate}; ` +
      (s.merged ? `wrote ${join(args.out, 'results.jsonl')}${args.coco ? ' and coco.json' : ''}\n` : 'results.jsonl is written when every shard has finished (or by defect-studio merge)\n'),
  );
  return s.failed ? 1 : 0;
}

export async function mergeCommand(argv: string[]): Promise<number> {
  const { values, flags } = parseFlags(argv, ['out', 'shards'], ['coco']);
  if (!values.has('out')) throw new UsageError('missing --out');
  const sh = values.get('shards');
  if (sh !== undefined && (!/^\d+$/.test(sh) || Number(sh) < 1)) throw new UsageError(`--shards must be a positive integer, got "${sh}"`);
  const r = await mergeParts(values.get('out')!, { shards: sh === undefined ? undefined : Number(sh), coco: flags.has('coco') ? true : undefined });
  if (!r.ok) {
    process.stderr.write(`defect-studio: merge: ${r.reason}\n`);
    return 1;
  }
  process.stderr.write(`defect-studio: merged ${r.shards} shard part${r.shards > 1 ? 's' : ''}: ${r.results} jobs (${r.failed} failed) in ${join(values.get('out')!, 'results.jsonl')}${r.coco ? ' and coco.json' : ''}\n`);
  return r.failed ? 1 : 0;
}
