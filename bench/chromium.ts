/**
 * Shared by the in-page benches: bundles an entry file with esbuild, serves it from memory to Debian's
 * Chromium (through Playwright) and returns what the entry's global function resolves to.
 */
import { build } from 'esbuild';
import { chromium } from '@playwright/test';

export async function runInChromium<T>(entryPath: string, globalFn: string, opts: { args?: string[]; timeoutMs?: number } = {}): Promise<T> {
  const bundle = await build({
    entryPoints: [entryPath],
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
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', ...(opts.args ?? [])],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.setDefaultTimeout(opts.timeoutMs ?? 600_000);
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
    await page.waitForFunction((fn) => fn in globalThis, globalFn, { timeout: 30_000 });
    return (await page.evaluate((fn) => (globalThis as unknown as Record<string, () => Promise<unknown>>)[fn](), globalFn)) as T;
  } finally {
    await browser.close();
  }
}
