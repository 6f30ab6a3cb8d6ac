/**
 * `defect-studio finetune --base PACK --data DIR --out PACK2`: few-shot fine-tuning of a pack of the built-in
 * architecture on a user's examples (issue 13). This side checks everything before anything is written (the
 * base pack's architecture from its manifest, --out, every example: src/cli/finetune-data.ts), finds Debian's
 * PyTorch, writes the cropped examples into a hidden work folder beside --out (`.<name>.ds-finetune/`, which
 * also holds the checkpoint a rerun resumes from), runs tools/train/finetune.py (the project's own model,
 * training and export code) and shows its progress, then swaps the exported pack into --out in one rename.
 * Ctrl-C / SIGTERM stop the trainer after its current step; it keeps its checkpoint, and with
 * --export-on-stop exports it as the pack.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefectStudioError, InputError } from '../core/errors';
import { PackError } from '../core/models/errors';
import { MANIFEST_FILE, parseManifest } from '../core/models/manifest';
import type { PackManifest } from '../core/models/manifest-types';
import { contextMarginFor } from '../core/settings';
import { FINETUNE_USAGE, parseFinetuneArgs, type FinetuneArgs } from './args';
import { writeFileAtomic } from './atomic';
import { prepareFinetuneData, promptWords, scanFinetuneData, type PreparedData } from './finetune-data';
import { fmtDuration } from './progress';

export { FINETUNE_USAGE };

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TRAINER = join(ROOT, 'tools', 'train', 'finetune.py');
/** The Python that has Debian's torch (DS_PYTHON overrides it, e.g. for a virtual environment). */
export function pythonPath(): string {
  return process.env.DS_PYTHON || '/usr/bin/python3';
}
export const INSTALL_HINT = 'apt-get install -y python3-torch python3-onnx';

/** The concat layout of the built-in model (tools/train/models.py). */
const OWN_CHANNELS = ['defect_mask', 'object_mask', 'masked_image_latent'];

/** The base pack's manifest, if the pack is of the built-in architecture; else one PackError line. */
export function checkBasePack(base: string): PackManifest {
  const mp = join(base, MANIFEST_FILE);
  if (!existsSync(mp)) throw new PackError(`--base ${base} is not a model pack`, { file: MANIFEST_FILE, found: 'no such file' });
  const m = parseManifest(readFileSync(mp, 'utf8'));
  const problems: string[] = [];
  if (m.conditioning !== 'concat' || JSON.stringify(m.concatChannels) !== JSON.stringify(OWN_CHANNELS)) {
    problems.push(`conditioning ${m.conditioning}${m.concatChannels ? ` [${m.concatChannels.join(', ')}]` : ''}`);
  }
  if (m.tokenizer !== 'word-level') problems.push(`tokenizer ${m.tokenizer}`);
  if (m.latentChannels !== 4 || m.vaeScaleFactor !== 4) problems.push(`${m.latentChannels} latent channels at VAE factor ${m.vaeScaleFactor}`);
  if (problems.length) {
    throw new PackError(
      `--base ${base} (${m.id}) is not of DefectStudio's own architecture, which finetune needs (the built-in ds-surface model: concat [${OWN_CHANNELS.join(', ')}], word-level tokenizer, 4 latent channels at 4x)`,
      { found: problems.join(', ') },
    );
  }
  return m;
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

/** --out must be new, empty, or a pack this command wrote (it is then replaced); never an input. */
export function checkFinetuneOut(out: string, base: string, data: string): string {
  const path = real(out);
  for (const [what, p] of [
    ['--base', base],
    ['--data', data],
  ] as const) {
    const rp = real(p);
    if (isInside(path, rp) || isInside(rp, path)) throw new InputError(`--out ${out} overlaps ${what} ${p}; choose another folder`);
  }
  if (existsSync(path)) {
    if (!statSync(path).isDirectory()) throw new InputError(`--out ${out} is a file, not a folder`);
    const names = readdirSync(path);
    if (names.length && !names.includes('finetune.json')) {
      throw new InputError(`--out ${out} holds other files (${names.slice(0, 3).join(', ')}); give a new or empty folder, or a pack made by finetune`);
    }
  }
  return path;
}

/** Is Debian's torch (and onnx) importable? Throws one line saying how to install them. */
export function checkTorch(): void {
  const py = pythonPath();
  const r = spawnSync(py, ['-c', 'import torch, onnx'], { encoding: 'utf8', timeout: 180_000 });
  if (r.status !== 0) {
    const why = r.error ? (r.error as NodeJS.ErrnoException).code ?? r.error.message : (r.stderr || '').trim().split('\n').pop() ?? `exit ${r.status}`;
    throw new DefectStudioError('runtime', `finetune needs PyTorch and ONNX for ${py} (${why}); install them: ${INSTALL_HINT}`);
  }
}

interface TrainerEvent {
  event: string;
  step?: number;
  steps?: number;
  loss?: number;
  seconds?: number;
  minutes?: number;
  exported?: boolean;
  interrupted?: boolean;
  stats?: Record<string, unknown>;
  message?: string;
  code?: string;
  newWords?: string[];
}

/** A one-line bar with step, loss and ETA (stderr), one JSON line per event (stdout), or nothing. */
class TrainBar {
  private last = 0;
  private step0 = -1;
  private losses: number[] = [];
  private lines = 0;
  constructor(
    private readonly mode: FinetuneArgs['progress'],
    private readonly out: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number } },
  ) {}

  event(e: TrainerEvent): void {
    if (this.mode === 'json') {
      this.out.stdout.write(JSON.stringify(e) + '\n');
      return;
    }
    if (this.mode !== 'bar') return;
    if (e.event === 'start') {
      this.step0 = e.step ?? 0;
      const words = e.newWords?.length ? `; new words: ${e.newWords.join(', ')}` : '';
      this.out.stderr.write(`training on ${(e as { examples?: number }).examples ?? '?'} examples${words}${this.step0 ? `; resuming at step ${this.step0}` : ''}\n`);
    }
    if (e.event === 'exporting') this.out.stderr.write(`${this.out.stderr.isTTY ? '\n' : ''}exporting the pack (step ${e.step})\n`);
    if (e.event !== 'step' || e.step === undefined || e.steps === undefined) return;
    if (e.loss !== undefined) this.losses.push(e.loss);
    if (this.losses.length > 20) this.losses.shift();
    const tty = !!this.out.stderr.isTTY;
    const now = performance.now();
    const frac = e.step / e.steps;
    const final = e.step >= e.steps;
    // On a terminal: redraw at most 5 times a second; in a log: a line every 5 % of the steps.
    if (tty ? !final && now - this.last < 200 : !final && Math.floor(frac * 20) <= this.lines) return;
    if (!tty) this.lines = Math.floor(frac * 20);
    this.last = now;
    const done = e.step - Math.max(this.step0, 0);
    const sPer = done > 0 && e.seconds ? e.seconds / done : 0;
    let eta = sPer ? (e.steps - e.step) * sPer : null;
    if (eta !== null && e.minutes && e.seconds !== undefined) eta = Math.min(eta, Math.max(0, e.minutes * 60 - e.seconds));
    const loss = this.losses.reduce((a, b) => a + b, 0) / Math.max(this.losses.length, 1);
    const width = 24;
    const filled = Math.round(width * Math.min(frac, 1));
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] step ${e.step}/${e.steps}  loss ${loss.toFixed(4)}  ${sPer.toFixed(2)} s/step  ETA ${eta === null ? '--' : fmtDuration(eta)}`;
    if (tty) {
      const cols = (this.out.stderr.columns ?? 0) >= 20 ? this.out.stderr.columns! : 120;
      this.out.stderr.write(`\r${line.slice(0, cols - 1)}\x1b[K${final ? '\n' : ''}`);
    } else this.out.stderr.write(line + '\n');
  }

  end(): void {
    if (this.mode === 'bar' && this.out.stderr.isTTY) this.out.stderr.write('\n');
  }
}

export interface FinetuneResult {
  /** 0 done, 130 interrupted (the caller maps SIGTERM to 143). */
  code: number;
  exported: boolean;
  steps: number;
  message: string;
}

/** Swap a fresh pack folder into `out` (a previous pack there is renamed aside, then removed). */
async function swapIn(fresh: string, out: string): Promise<void> {
  const parent = dirname(out);
  if (existsSync(out)) {
    const old = join(parent, `.${basename(out)}.ds-old-${randomBytes(6).toString('hex')}`);
    await rename(out, old);
    await rename(fresh, out);
    await rm(old, { recursive: true, force: true });
  } else await rename(fresh, out);
}

export async function runFinetune(
  args: FinetuneArgs,
  signal?: AbortSignal,
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number } } = process,
): Promise<FinetuneResult> {
  // Everything is checked before anything is written.
  const manifest = checkBasePack(args.base);
  const out = checkFinetuneOut(args.out, args.base, args.data);
  const data = scanFinetuneData(args.data, args.name);
  const prepared = await prepareFinetuneData(data, manifest.resolution, contextMarginFor(manifest.resolution));
  checkTorch();
  if (signal?.aborted) return { code: 130, exported: false, steps: 0, message: 'interrupted, nothing written' };

  const vocab = JSON.parse(readFileSync(join(args.base, 'tokenizer', 'tokenizer.json'), 'utf8')).vocab as Record<string, number>;
  const newWords = [...new Set(data.examples.flatMap((e) => promptWords(e.prompt)))].filter((w) => !(w in vocab)).sort();
  const presets = [...new Set(data.examples.map((e) => `${/^[aeiou]/.test(e.defect) ? 'an' : 'a'} ${e.defect}`))];
  const baseSha = createHash('sha256').update(readFileSync(join(args.base, MANIFEST_FILE))).digest('hex');
  const key = createHash('sha256')
    .update(JSON.stringify({ files: prepared.summary.fileListSha256, baseSha, prompts: data.examples.map((e) => e.prompt), batch: args.batch, seed: args.seed }))
    .digest('hex');

  const parent = dirname(out);
  await mkdir(parent, { recursive: true });
  const work = join(parent, `.${basename(out)}.ds-finetune`);
  const fresh = join(parent, `.${basename(out)}.ds-new-${randomBytes(6).toString('hex')}`);
  const workIsNew = !existsSync(join(work, 'ckpt.pt'));
  await mkdir(join(work, 'data'), { recursive: true });
  await writeExamples(work, data.examples, prepared, newWords, presets);

  const id = args.id ?? (basename(out).replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+/, '') || 'finetuned');
  const defects = Object.keys(prepared.summary.perDefect).join(', ');
  const pyArgs = [
    TRAINER,
    '--base', args.base, // as given (the trainer runs in this process's folder): the model card shows it
    '--work', work,
    '--export-to', fresh,
    '--key', key,
    '--id', id,
    '--name-text', `${id}: ${defects} (fine-tuned from ${manifest.id})`,
    '--steps', String(args.steps),
    '--minutes', String(args.minutes),
    '--batch', String(args.batch),
    '--seed', String(args.seed),
    ...(args.exportOnStop ? ['--export-on-stop'] : []),
  ];
  const bar = new TrainBar(args.progress, io);
  const child = spawn(pythonPath(), pyArgs, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DS_THREADS: String(args.threads), OMP_NUM_THREADS: String(args.threads), PYTHONUNBUFFERED: '1' },
  });
  let interrupted = false;
  const onAbort = () => {
    interrupted = true;
    if (child.exitCode === null) child.kill('SIGINT');
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();
  let done: TrainerEvent | null = null;
  let error: TrainerEvent | null = null;
  let lastStep = 0;
  const stderrTail: string[] = [];
  let buf = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line.startsWith('{')) continue; // the exporters' own prints
      let e: TrainerEvent;
      try {
        e = JSON.parse(line);
      } catch {
        continue;
      }
      if (e.event === 'done') done = e;
      else if (e.event === 'error') error = e;
      if (e.step !== undefined) lastStep = e.step;
      bar.event(e);
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    for (const l of chunk.split('\n')) if (l.trim()) stderrTail.push(l.trim());
    while (stderrTail.length > 20) stderrTail.shift();
  });
  const exit: { code: number | null; sig: NodeJS.Signals | null } = await new Promise((res) => {
    child.on('error', (e) => {
      stderrTail.push(e.message);
      res({ code: -1, sig: null });
    });
    child.on('close', (code, sig) => res({ code, sig }));
  });
  signal?.removeEventListener('abort', onAbort);
  bar.end();

  const finished = done as TrainerEvent | null;
  const failed = error as TrainerEvent | null;
  if (failed || !finished || exit.code !== 0) {
    await rm(fresh, { recursive: true, force: true });
    // Nothing to resume from (no checkpoint of this or an earlier run): leave nothing behind.
    if (workIsNew && !existsSync(join(work, 'ckpt.pt'))) await rm(work, { recursive: true, force: true });
    if (failed) {
      throw failed.code === 'pack' ? new PackError(failed.message ?? 'base pack refused') : new DefectStudioError('runtime', failed.message ?? 'trainer failed');
    }
    if (interrupted) return { code: 130, exported: false, steps: lastStep, message: `interrupted at step ${lastStep}; nothing exported` };
    const why = stderrTail.filter((l) => !/Warning|warn\(|^\s*_C\./.test(l)).pop() ?? `exit ${exit.code ?? exit.sig}`;
    throw new DefectStudioError('runtime', `the trainer (tools/train/finetune.py) failed at step ${lastStep}: ${why}`);
  }
  const stats = (finished.stats ?? {}) as { stopped?: boolean; steps?: number };
  if (finished.exported) await swapIn(fresh, out);
  else await rm(fresh, { recursive: true, force: true });
  if (!stats.stopped) await rm(work, { recursive: true, force: true }); // complete: nothing left to resume
  const steps = finished.step ?? lastStep;
  const what = `${steps} of ${args.steps} steps on ${prepared.summary.examples} examples (${defects})${newWords.length ? `; new words: ${newWords.join(', ')}` : ''}`;
  if (finished.interrupted || interrupted) {
    return {
      code: 130,
      exported: !!finished.exported,
      steps,
      message: finished.exported
        ? `interrupted: exported the checkpoint of ${what} to ${args.out}; rerun the same command to continue`
        : `interrupted at step ${steps}: checkpoint kept, nothing exported (add --export-on-stop to export it); rerun the same command to continue`,
    };
  }
  return {
    code: 0,
    exported: true,
    steps,
    message: stats.stopped
      ? `wrote ${args.out}: ${what} (the --minutes limit came first; rerun the same command to continue)`
      : `wrote ${args.out}: ${what}`,
  };
}

async function writeExamples(work: string, examples: { image: string; mask: string; defect: string; prompt: string }[], p: PreparedData, newWords: string[], presets: string[]): Promise<void> {
  const d = join(work, 'data');
  await writeFileAtomic(join(d, 'images.u8'), p.images);
  await writeFileAtomic(join(d, 'masks.u8'), p.masks);
  const meta = {
    examples: examples.map((e) => ({ prompt: e.prompt, defect: e.defect, source: relative(p.summary.root, e.image) })),
    summary: { ...p.summary, root: basename(resolve(p.summary.root)) },
    newWords,
    presets,
  };
  await writeFileAtomic(join(d, 'examples.json'), JSON.stringify(meta, null, 1));
}

export async function finetuneCommand(argv: string[], signal?: AbortSignal): Promise<number> {
  const args = parseFinetuneArgs(argv);
  const r = await runFinetune(args, signal);
  (r.code === 0 ? process.stdout : process.stderr).write(`${r.code === 0 ? '' : 'defect-studio: '}${r.message}\n`);
  return r.code;
}
