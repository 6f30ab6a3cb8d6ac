/**
 * Painting in real Chromium (Debian's /usr/bin/chromium via Playwright): per pointer move, the editor's
 * raster op + history bookkeeping + the overlay canvas's dirty-rect update, and separately the Konva layer
 * redraw the app does once per animation frame; 1024^2 vs 4096^2 images.
 *   node --import tsx bench/editor-browser.bench.ts      (alone; or through bench/run.ts)
 */
import { join, resolve } from 'node:path';
import { runIfMain } from './standalone';
import { runInChromium } from './chromium';

const ROOT = resolve(import.meta.dirname, '..');

export default function bench(): Promise<Record<string, string | number>[]> {
  return runInChromium(join(ROOT, 'bench', 'editor-browser', 'entry.ts'), 'runEditorBench', {
    args: (process.env.EDITOR_BENCH_ARGS ?? '').split(' ').filter(Boolean),
  });
}

runIfMain(import.meta.url, bench);
