/**
 * Labeling assist in real Chromium (Debian's /usr/bin/chromium via Playwright), at 1024^2 and 4096^2:
 * magic wand clicks (median of 10 seeds: the core region growing alone, and the whole editor click with
 * painting and the undo patch), a tolerance change that redoes the click (the live slider), and the
 * object-from-background proposal with its overlap (IoU) with the true object.
 * The photo: a procedural part on a backdrop (src/editor/samples.ts textures, made at 1024^2 and scaled
 * up bilinearly for 4096^2), with a scratch-like defect.
 *   node --import tsx bench/labeling-browser.bench.ts      (alone; or through bench/run.ts)
 */
import { join, resolve } from 'node:path';
import { runIfMain } from './standalone';
import { runInChromium } from './chromium';

const ROOT = resolve(import.meta.dirname, '..');

export default function bench(): Promise<Record<string, string | number>[]> {
  return runInChromium(join(ROOT, 'bench', 'labeling-browser', 'entry.ts'), 'runLabelingBench');
}

runIfMain(import.meta.url, bench);
