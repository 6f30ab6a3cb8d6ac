/**
 * `defect-studio jobs --normals DIR --prompts "a scratch,a dent" --per-image K --seed S > jobs.jsonl`:
 * a job file for `batch` with sampled defect trimaps (strokes, blobs, lines) inside each image's object
 * region, so a dataset needs no painting. Deterministic for a seed: the same folder and options give the
 * same job lines and the same trimap files.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { Rng } from '../core/diffusion/rng';
import { InputError } from '../core/diffusion/pipeline';
import { objectRegionFromGray } from '../core/batch/regions';
import { DEFECT_SHAPES, sampleDefectTrimap, type DefectShape } from '../core/batch/sampler';
import { stableHash } from '../core/batch/shard';
import { safeStem } from '../core/export';
import { decodePngFirstChannel, decodePngRGBA } from '../core/png';
import { encodeTrimapPng } from '../core/trimap/png';
import { parseFlags, UsageError } from './args';
import { writeFileAtomic } from './atomic';
import { decodeOr, readInput } from './generator';

export const JOBS_USAGE = `usage: defect-studio jobs --normals DIR --prompts "a scratch,a dent" [--per-image K] [--seed S]
  [--objects DIR] [--shapes stroke,blob,line] [--size MIN-MAX] [--trimaps DIR] [--relative-to DIR]
  [--category NAME] > jobs.jsonl`;

export interface JobsArgs {
  normals: string;
  prompts: string[];
  perImage: number;
  seed: number;
  objects?: string;
  shapes: DefectShape[];
  size?: [number, number];
  trimaps: string;
  relativeTo: string;
  category?: string;
}

export function parseJobsArgs(argv: string[]): JobsArgs {
  const { values: v } = parseFlags(argv, ['normals', 'prompts', 'per-image', 'seed', 'objects', 'shapes', 'size', 'trimaps', 'relative-to', 'category'], []);
  for (const req of ['normals', 'prompts']) if (!v.has(req)) throw new UsageError(`missing --${req}`);
  const prompts = v.get('prompts')!.split(',').map((p) => p.trim()).filter(Boolean);
  if (!prompts.length) throw new UsageError('--prompts needs at least one prompt (comma-separated)');
  const intIn = (name: string, def: number, min: number, max: number) => {
    const s = v.get(name);
    if (s === undefined) return def;
    if (!/^\d+$/.test(s) || Number(s) < min || Number(s) > max) throw new UsageError(`--${name} must be an integer in ${min}..${max}, got "${s}"`);
    return Number(s);
  };
  const shapes = (v.get('shapes') ?? DEFECT_SHAPES.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of shapes) if (!(DEFECT_SHAPES as readonly string[]).includes(s)) throw new UsageError(`--shapes: unknown shape "${s}" (use ${DEFECT_SHAPES.join(', ')})`);
  let size: [number, number] | undefined;
  if (v.has('size')) {
    const m = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?$/.exec(v.get('size')!.trim());
    const a = m ? Number(m[1]) : NaN;
    const b = m ? Number(m[2] ?? m[1]) : NaN;
    if (!(a >= 1 && b >= a)) throw new UsageError(`--size must be MIN-MAX pixels with 1 <= MIN <= MAX, got "${v.get('size')}"`);
    size = [a, b];
  }
  return {
    normals: v.get('normals')!,
    prompts,
    perImage: intIn('per-image', 1, 1, 100000),
    seed: intIn('seed', 0, 0, 0xffffffff),
    objects: v.get('objects'),
    shapes: shapes as DefectShape[],
    size,
    trimaps: v.get('trimaps') ?? 'trimaps',
    relativeTo: v.get('relative-to') ?? '.',
    category: v.get('category'),
  };
}

/** Default defect size: 6 % to 30 % of the image's shorter side. */
export function defaultSizeRange(width: number, height: number): [number, number] {
  const m = Math.min(width, height);
  return [Math.max(2, Math.round(m * 0.06)), Math.max(3, Math.round(m * 0.3))];
}

/** Make the job lines (and write the trimap files). Returns the lines in order. */
export async function makeJobs(args: JobsArgs): Promise<string[]> {
  let files: string[];
  try {
    files = (await readdir(args.normals)).filter((f) => /\.png$/i.test(f)).sort();
  } catch (e) {
    throw new InputError(`cannot read --normals folder ${args.normals}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!files.length) throw new InputError(`no PNG images in ${args.normals}`);
  const base = resolve(args.relativeTo);
  const rel = (p: string) => relative(base, resolve(p)).split('\\').join('/');
  const lines: string[] = [];
  let n = 0;
  for (const file of files) {
    const imagePath = join(args.normals, file);
    const imageBytes = await readInput(imagePath, 'image');
    const image = decodeOr(() => decodePngRGBA(imageBytes), 'image', imagePath);
    let object: Uint8Array | null = null;
    if (args.objects) {
      const op = join(args.objects, file);
      let bytes: Uint8Array | null = null;
      try {
        bytes = new Uint8Array(await readFile(op));
      } catch {
        bytes = null; // no object mask for this image: the whole image is the object
      }
      if (bytes) {
        const g = decodeOr(() => decodePngFirstChannel(bytes!), 'object mask', op);
        if (g.width !== image.width || g.height !== image.height) {
          throw new InputError(`object mask ${op} is ${g.width}x${g.height}, the image ${image.width}x${image.height}`);
        }
        object = objectRegionFromGray(g);
      }
    }
    const stem = safeStem(file);
    const size = args.size ?? defaultSizeRange(image.width, image.height);
    for (let k = 0; k < args.perImage; k++) {
      const rng = new Rng(stableHash(`${args.seed}/${file}/${k}`));
      const seed = rng.nextUint32();
      let sampled;
      try {
        sampled = sampleDefectTrimap(rng, image.width, image.height, object, { shapes: args.shapes, size });
      } catch (e) {
        throw new InputError(`${imagePath}: ${(e as Error).message}`);
      }
      const kk = String(k).padStart(Math.max(2, String(args.perImage - 1).length), '0');
      const trimapPath = join(args.trimaps, `${stem}_${kk}.png`);
      await writeFileAtomic(trimapPath, encodeTrimapPng(sampled.trimap));
      const job: Record<string, unknown> = {
        id: `${stem}-${kk}`,
        image: rel(imagePath),
        trimap: rel(trimapPath),
        prompt: args.prompts[n % args.prompts.length],
        seed,
      };
      if (args.category) job.category = args.category;
      lines.push(JSON.stringify(job));
      n++;
    }
  }
  return lines;
}

export async function jobsCommand(argv: string[]): Promise<number> {
  const args = parseJobsArgs(argv);
  const lines = await makeJobs(args);
  process.stdout.write(lines.map((l) => l + '\n').join(''));
  process.stderr.write(`defect-studio: ${lines.length} jobs; trimaps in ${args.trimaps}; paths relative to ${resolve(args.relativeTo)}\n`);
  return 0;
}
