/**
 * Closed-form decoder-adaptation step at 256x256 in real Chromium (Debian's /usr/bin/chromium through
 * Playwright), on onnxruntime-web's WASM backend, cross-origin isolated (threads), like the app's Worker.
 *
 *   node --import tsx bench/adaptation-browser.bench.ts        (alone; or through bench/run.ts)
 *
 * Bundles bench/adaptation-browser/entry.ts with esbuild and serves it, with ORT's wasm files, from memory.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runIfMain } from './standalone';
import { build } from 'esbuild';
import { chromium } from '@playwright/test';

const ROOT = resolve(import.meta.dirname, '..');

async function bundle(entry: string): Promise<Uint8Array> {
  const out = await build({
    entryPoints: [join(ROOT, 'bench', 'adaptation-browser', entry)],
    bundle: true,
    format: 'esm',
    write: false,
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
  });
  return out.outputFiles[0].contents;
}

export default async function bench(): Promise<Record<string, string | number>[]> {
  const js = await bundle('entry.ts');
  const jsGpu = await bundle('entry-webgpu.ts');
  const ortDir = join(ROOT, 'node_modules', 'onnxruntime-web', 'dist');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--enable-unsafe-webgpu'],
  });
  try {
    const page = await browser.newPage();
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
    await page.route('http://localhost:47123/**', async (route) => {
      const path = new URL(route.request().url()).pathname;
      if (path === '/') return route.fulfill({ headers, contentType: 'text/html', body: '<!doctype html><script type="module" src="/bench.js"></script>' });
      if (path === '/gpu') return route.fulfill({ headers, contentType: 'text/html', body: '<!doctype html><script type="module" src="/gpu.js"></script>' });
      if (path === '/bench.js') return route.fulfill({ headers, contentType: 'text/javascript', body: Buffer.from(js) });
      if (path === '/gpu.js') return route.fulfill({ headers, contentType: 'text/javascript', body: Buffer.from(jsGpu) });
      if (path.startsWith('/ort/')) {
        const file = path.slice(5);
        if (!/^ort-wasm[\w.-]*\.(mjs|wasm)$/.test(file)) return route.fulfill({ status: 404 });
        return route.fulfill({
          headers,
          contentType: file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript',
          body: readFileSync(join(ortDir, file)),
        });
      }
      return route.fulfill({ status: 404 });
    });
    page.on('console', (m) => {
      if (m.type() === 'error') console.error('[chromium]', m.text());
    });
    await page.goto('http://localhost:47123/');
    await page.waitForFunction(() => 'runAdaptBench' in globalThis, null, { timeout: 30_000 });
    const quick = process.env.ADAPT_BENCH_QUICK === '1';
    const rows = (await page.evaluate(
      (o) => (globalThis as unknown as { runAdaptBench: (x: unknown) => Promise<unknown> }).runAdaptBench(o),
      { channels: quick ? [16] : [16, 128], maxSamples: 16384, reps: 2 },
    )) as Record<string, string | number>[];
    await page.goto('http://localhost:47123/gpu');
    await page.waitForFunction(() => 'runWebgpuCheck' in globalThis, null, { timeout: 30_000 });
    try {
      const gpuRows = (await page.evaluate(
        (o) => (globalThis as unknown as { runWebgpuCheck: (x: unknown) => Promise<unknown> }).runWebgpuCheck(o),
        { n: 2048, k: 148 },
      )) as Record<string, string | number>[];
      rows.push(...gpuRows);
    } catch (e) {
      rows.push({ case: 'webgpu gram check', method: `failed: ${(e as Error).message.split('\n')[0]}` });
    }
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench', 'results', 'adaptation-browser.json'), JSON.stringify(rows, null, 1));
    return rows;
  } finally {
    await browser.close();
  }
}

runIfMain(import.meta.url, bench);
