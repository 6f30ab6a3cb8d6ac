/**
 * Painting in real Chromium (Debian's /usr/bin/chromium via Playwright): per pointer move, the editor's
 * raster op + history bookkeeping + the overlay canvas's dirty-rect update, and separately the Konva layer
 * redraw the app does once per animation frame; 1024^2 vs 4096^2 images.
 *   node --import tsx bench/editor-browser.bench.ts      (alone; or through bench/run.ts)
 */
import { join, resolve } from 'node:path';
import { runIfMain } from './standalone';
import { build } from 'esbuild';
import { chromium } from '@playwright/test';

const ROOT = resolve(import.meta.dirname, '..');

export default async function bench(): Promise<Record<string, string | number>[]> {
  const bundle = await build({
    entryPoints: [join(ROOT, 'bench', 'editor-browser', 'entry.ts')],
    bundle: true,
    format: 'esm',
    write: false,
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
  });
  const js = bundle.outputFiles[0].contents;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', ...(process.env.EDITOR_BENCH_ARGS ?? '').split(' ').filter(Boolean)],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.route('http://localhost:47124/**', async (route) => {
      const path = new URL(route.request().url()).pathname;
      if (path === '/') return route.fulfill({ contentType: 'text/html', body: '<!doctype html><body style="margin:0"><script type="module" src="/bench.js"></script>' });
      if (path === '/bench.js') return route.fulfill({ contentType: 'text/javascript', body: Buffer.from(js) });
      return route.fulfill({ status: 404 });
    });
    page.on('console', (m) => {
      if (m.type() === 'error') console.error('[chromium]', m.text());
    });
    await page.goto('http://localhost:47124/');
    await page.waitForFunction(() => 'runEditorBench' in globalThis, null, { timeout: 30_000 });
    return (await page.evaluate(() => (globalThis as unknown as { runEditorBench: () => Promise<unknown> }).runEditorBench())) as Record<
      string,
      string | number
    >[];
  } finally {
    await browser.close();
  }
}

runIfMain(import.meta.url, bench);
