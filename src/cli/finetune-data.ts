/**
 * The examples of `defect-studio finetune --data DIR`: found, checked and cropped before anything is written.
 *
 * Layouts:
 * - MVTec AD: DIR is a category (`test/<defect>/*.png`, `ground_truth/<defect>/<stem>_mask.png`,
 *   `train/good/*.png`) or a folder of categories. Each defect folder except `good` gives examples with the
 *   prompt "a <category> with a <defect>" (underscores are spaces: "a metal nut with a color").
 * - Flat: `x.png` + `x_mask.png` (+ optional `x.txt`, the prompt); else the prompt is "a <name>", the name
 *   being --name or the folder's name.
 * Every problem is one InputError line naming the file: an unreadable image or mask, a mask whose size differs
 * from its image, a defect folder without masks, an image without its mask, an empty mask, fewer than
 * MIN_EXAMPLES examples of a defect.
 *
 * Each example is then cropped exactly as the pipeline crops a photo for generation (src/core/diffusion/crop.ts:
 * the defect's box plus the context margin, square, resized to the pack's resolution; a resized pixel is
 * defect if any source pixel under it is), so the model learns from what it will see.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { InputError } from '../core/errors';
import { DEFECT, OBJECT, type Trimap } from '../core/image';
import { chooseCrop, cropToPlanar, cropTrimap, defectBounds } from '../core/diffusion/crop';
import { rasterToRGBA, readPngHeader } from '../core/png';
import { decodeMaskPng } from '../core/trimap/png';
import { decodeInputImage, decodeOr, readInput } from './generator';

export const MIN_EXAMPLES = 3;

export interface FinetuneExample {
  image: string;
  mask: string;
  defect: string;
  prompt: string;
}

export interface FinetuneData {
  layout: 'mvtec' | 'flat';
  root: string;
  examples: FinetuneExample[];
  /** Normal images found (MVTec train/good), counted for the model card. */
  normals: number;
}

export interface PreparedData {
  resolution: number;
  margin: number;
  /** N x R x R x 3, the crops of the examples. */
  images: Uint8Array;
  /** N x R x R, 1 = defect. */
  masks: Uint8Array;
  summary: {
    layout: string;
    root: string;
    examples: number;
    perDefect: Record<string, number>;
    imageSizes: Record<string, number>;
    normals: number;
    fileListSha256: string;
    resolution: number;
    margin: number;
  };
}

/** The tokenizer's words of a text (vocab.py's rule: lower-case, split on everything outside a-z). */
export function promptWords(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter((w) => w);
}

function pngs(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.toLowerCase().endsWith('.png') && !f.startsWith('.'))
    .sort();
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function spaced(name: string): string {
  return promptWords(name).join(' ');
}

function article(words: string): string {
  return /^[aeiou]/.test(words) ? 'an' : 'a';
}

function mvtecCategory(root: string, catDir: string, out: FinetuneExample[]): number {
  const rel = (p: string) => relative(root, p) || '.';
  const category = spaced(basename(catDir));
  const test = join(catDir, 'test');
  for (const defect of readdirSync(test).sort()) {
    const dDir = join(test, defect);
    if (defect === 'good' || defect.startsWith('.') || !isDir(dDir)) continue;
    const images = pngs(dDir);
    if (images.length === 0) continue;
    const gDir = join(catDir, 'ground_truth', defect);
    if (!isDir(gDir) || pngs(gDir).filter((f) => f.endsWith('_mask.png')).length === 0) {
      throw new InputError(`defect folder ${rel(dDir)} has no masks (expected ${rel(gDir)}/<name>_mask.png)`);
    }
    const words = spaced(defect);
    if (!words) throw new InputError(`defect folder ${rel(dDir)}: its name has no letters a-z to make a prompt word`);
    for (const f of images) {
      const mask = join(gDir, f.replace(/\.png$/i, '_mask.png'));
      if (!existsSync(mask)) throw new InputError(`image ${rel(join(dDir, f))} has no mask ${rel(mask)}`);
      out.push({ image: join(dDir, f), mask, defect: words, prompt: category ? `a ${category} with ${article(words)} ${words}` : `${article(words)} ${words}` });
    }
  }
  const good = join(catDir, 'train', 'good');
  return isDir(good) ? pngs(good).length : 0;
}

/** Find the examples of DIR (layouts above). Throws InputError for a missing folder or a missing mask. */
export function scanFinetuneData(dir: string, name?: string): FinetuneData {
  if (!isDir(dir)) throw new InputError(`--data ${dir}: not a folder`);
  const examples: FinetuneExample[] = [];
  const isCategory = (d: string) => isDir(join(d, 'test'));
  if (isCategory(dir) || readdirSync(dir).some((e) => !e.startsWith('.') && isCategory(join(dir, e)))) {
    let normals = 0;
    const cats = isCategory(dir) ? [dir] : readdirSync(dir).sort().filter((e) => !e.startsWith('.') && isCategory(join(dir, e))).map((e) => join(dir, e));
    for (const c of cats) normals += mvtecCategory(dir, c, examples);
    if (examples.length === 0) throw new InputError(`--data ${dir}: no defect images (test/<defect>/*.png) found`);
    return { layout: 'mvtec', root: dir, examples, normals };
  }
  const files = pngs(dir);
  const fileSet = new Set(files);
  const defectName = name ?? basename(dir);
  const words = spaced(defectName);
  if (!words) throw new InputError(`the defect name "${defectName}" has no letters a-z (give one with --name WORD)`);
  for (const f of files) {
    if (/_mask\.png$/i.test(f)) {
      if (!fileSet.has(f.replace(/_mask\.png$/i, '.png'))) throw new InputError(`mask ${f} has no image ${f.replace(/_mask\.png$/i, '.png')} in ${dir}`);
      continue;
    }
    const mask = f.replace(/\.png$/i, '_mask.png');
    if (!fileSet.has(mask)) throw new InputError(`image ${f} has no mask ${mask} in ${dir}`);
    examples.push({ image: join(dir, f), mask: join(dir, mask), defect: words, prompt: `${article(words)} ${words}` });
  }
  if (examples.length === 0) throw new InputError(`--data ${dir}: no examples (x.png + x_mask.png, or the MVTec AD layout)`);
  return { layout: 'flat', root: dir, examples, normals: 0 };
}

/** The prompts from x.txt files of a flat folder (read after the scan; empty files keep the default). */
async function promptFiles(data: FinetuneData): Promise<void> {
  if (data.layout !== 'flat') return;
  for (const ex of data.examples) {
    const txt = ex.image.replace(/\.png$/i, '.txt');
    if (!existsSync(txt)) continue;
    const t = new TextDecoder().decode(await readInput(txt, 'prompt file')).replace(/\s+/g, ' ').trim();
    if (t) {
      if (promptWords(t).length === 0) throw new InputError(`prompt file ${relative(data.root, txt)} has no words a-z`);
      ex.prompt = t;
    }
  }
}

/**
 * Read, check and crop every example (see the module comment). Throws one InputError for the first problem.
 */
export async function prepareFinetuneData(data: FinetuneData, resolution: number, margin: number): Promise<PreparedData> {
  await promptFiles(data);
  const perDefect: Record<string, number> = {};
  for (const ex of data.examples) perDefect[ex.defect] = (perDefect[ex.defect] ?? 0) + 1;
  for (const [d, n] of Object.entries(perDefect)) {
    if (n < MIN_EXAMPLES) throw new InputError(`only ${n} example${n === 1 ? '' : 's'} of "${d}" in ${data.root}: at least ${MIN_EXAMPLES} are needed`);
  }
  const R = resolution;
  const N = data.examples.length;
  const images = new Uint8Array(N * R * R * 3);
  const masks = new Uint8Array(N * R * R);
  const sizes: Record<string, number> = {};
  const listHash = createHash('sha256');
  const rel = (p: string) => relative(data.root, p);
  for (let n = 0; n < N; n++) {
    const ex = data.examples[n];
    const imageBytes = await readInput(ex.image, 'image');
    const maskBytes = await readInput(ex.mask, 'mask');
    const image = rasterToRGBA(decodeOr(() => decodeInputImage(imageBytes), 'image', rel(ex.image)));
    const mh = decodeOr(() => readPngHeader(maskBytes), 'mask', rel(ex.mask));
    if (mh.width !== image.width || mh.height !== image.height) {
      throw new InputError(`mask ${rel(ex.mask)} is ${mh.width}x${mh.height} but its image ${rel(ex.image)} is ${image.width}x${image.height}`);
    }
    const mask = decodeOr(() => decodeMaskPng(maskBytes), 'mask', rel(ex.mask));
    if (!mask.data.includes(1)) throw new InputError(`mask ${rel(ex.mask)} is empty (no defect pixel: none over 127)`);
    sizes[`${image.width}x${image.height}`] = (sizes[`${image.width}x${image.height}`] ?? 0) + 1;
    for (const [p, b] of [
      [ex.image, imageBytes],
      [ex.mask, maskBytes],
    ] as const) {
      listHash.update(`${rel(p)}\t${createHash('sha256').update(b).digest('hex')}\n`);
    }
    const trimap: Trimap = { width: image.width, height: image.height, data: new Uint8Array(mask.data.length) };
    for (let i = 0; i < mask.data.length; i++) trimap.data[i] = mask.data[i] ? DEFECT : OBJECT;
    const crop = chooseCrop(image.width, image.height, defectBounds(trimap)!, R, margin);
    const planar = cropToPlanar(image, crop, R);
    const classes = cropTrimap(trimap, crop, R);
    const plane = R * R;
    const o = n * plane;
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) {
        const v = Math.round((planar[c * plane + p] + 1) * 127.5);
        images[(o + p) * 3 + c] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
      masks[o + p] = classes[p] === DEFECT ? 1 : 0;
    }
  }
  return {
    resolution: R,
    margin,
    images,
    masks,
    summary: {
      layout: data.layout === 'mvtec' ? 'MVTec AD' : 'flat folder (x.png + x_mask.png)',
      root: data.root,
      examples: N,
      perDefect,
      imageSizes: sizes,
      normals: data.normals,
      fileListSha256: listHash.digest('hex'),
      resolution: R,
      margin,
    },
  };
}
