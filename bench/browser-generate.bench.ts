/**
 * Generation in the browser, measured in real Chromium against the production build (`vite preview`):
 * model load (cold and from the pack store), time to the first step preview after "Generate", per-step
 * time, and main-thread responsiveness during a run (PerformanceObserver 'longtask': tasks over 50 ms),
 * while a brush stroke is painted mid-run. WASM backend (Auto on this machine: SwiftShader is not a GPU).
 *   nice -n 10 npx vite build && node --import tsx bench/browser-generate.bench.ts
 * Env: GEN_BENCH_STEPS (built-in pack, default 20), GEN_BENCH_TINY_STEPS (test packs, default 150), GEN_BENCH_PACKS (comma list of test-pack ids and/or "builtin").
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { median, runIfMain } from './standalone';
import { chromium, type Page } from '@playwright/test';

const ROOT = resolve(import.meta.dirname, '..');
const PORT = 4175;
const BASE = `http://127.0.0.1:${PORT}`;

type Row = Record<string, string | number | boolean>;

async function waitForServer(url: string, ms: number) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no server at ${url}`);
}

async function paintStroke(page: Page, from: [number, number], to: [number, number]) {
  const box = (await page.getByTestId('canvas').boundingBox())!;
  const vp = await page.evaluate(() => window.__defectStudio!.editor.getViewport());
  const s = ([x, y]: [number, number]) => [box.x + vp.x + x * vp.zoom, box.y + vp.y + y * vp.zoom];
  const [ax, ay] = s(from);
  const [bx, by] = s(to);
  await page.mouse.move(ax, ay);
  await page.mouse.down();
  for (let i = 1; i <= 12; i++) await page.mouse.move(ax + ((bx - ax) * i) / 12, ay + ((by - ay) * i) / 12);
  await page.mouse.up();
}

async function measure(page: Page, packUrl: string, label: string, steps: number): Promise<Row> {
  const t0 = Date.now();
  await page.goto(`${BASE}/?model=${packUrl}`);
  await page.getByTestId('model-status').filter({ hasText: 'ready' }).waitFor({ timeout: 300_000 });
  const cold = await page.evaluate(() => ({ ms: Date.now() }));
  const loadColdMs = cold.ms - t0;
  const t1 = Date.now();
  await page.reload();
  await page.getByTestId('model-status').filter({ hasText: 'ready' }).waitFor({ timeout: 300_000 });
  const loadCachedMs = Date.now() - t1;
  const fromCache = (await page.getByTestId('model-status').textContent())?.includes('cache') ?? false;
  const backend = (await page.getByTestId('backend-in-use').textContent()) ?? '';

  await page.getByRole('button', { name: 'Brushed metal' }).click();
  await paintStroke(page, [200, 220], [320, 280]);
  await page.getByLabel('Steps', { exact: true }).fill(String(steps));
  // Long tasks on the main thread from here on.
  await page.evaluate(() => {
    const w = window as unknown as { __longTasks: number[]; __longTaskAt: number[] };
    w.__longTasks = [];
    w.__longTaskAt = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        w.__longTasks.push(e.duration);
        w.__longTaskAt.push(e.startTime);
      }
    }).observe({ type: 'longtask', buffered: false });
  });
  // Baseline on this machine: the same kind of stroke with no generation running.
  await page.waitForTimeout(300);
  await page.evaluate(() => ((window as unknown as { __longTasks: number[] }).__longTasks.length = 0));
  await paintStroke(page, [60, 60], [140, 90]);
  await page.waitForTimeout(300);
  const baseline = await page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks.splice(0));
  (await page.evaluate(() => ((window as unknown as { __longTaskAt: number[] }).__longTaskAt.length = 0)));
  const before = await page.evaluate(() => {
    const t = window.__defectStudio!.editor.getTrimap()!;
    return t.data.reduce((n, v) => n + (v === 2 ? 1 : 0), 0);
  });
  const clickWall = Date.now();
  await page.getByRole('button', { name: 'Generate' }).click();
  // Paint while the model runs: the editor must keep working.
  await page.waitForFunction(() => window.__defectStudio!.generation.timings.firstPreviewAt > 0, null, { timeout: 300_000 });
  const runningAtStart = await page.getByRole('button', { name: 'Stop' }).isEnabled();
  const paintStart = Date.now();
  await paintStroke(page, [100, 380], [180, 420]);
  const strokeMs = Date.now() - paintStart;
  const after = await page.evaluate(() => {
    const t = window.__defectStudio!.editor.getTrimap()!;
    return t.data.reduce((n, v) => n + (v === 2 ? 1 : 0), 0);
  });
  const stillRunningAfterStroke = await page.getByRole('button', { name: 'Stop' }).isEnabled();
  await page.getByRole('button', { name: 'Export', exact: true }).waitFor({ timeout: 600_000 });
  await page.waitForTimeout(300);
  const r = await page.evaluate(() => {
    const t = window.__defectStudio!.generation.timings;
    return {
      firstPreviewMs: t.firstPreviewAt - t.clickAt,
      stepTimes: t.stepTimes,
      totalMs: t.doneAt - t.clickAt,
      longTasks: (window as unknown as { __longTasks: number[] }).__longTasks,
      frames: window.__defectStudio!.generation.overlay.frames,
      detail: (window as unknown as { __longTaskAt: number[] }).__longTaskAt.map((at, i) => `${Math.round(at - t.clickAt)}:${Math.round((window as unknown as { __longTasks: number[] }).__longTasks[i])}`).join(' '),
      doneRel: t.doneAt - t.clickAt,
      handler: performance.getEntriesByName('ds:step').map((e) => e.duration),
      result: performance.getEntriesByName('ds:result').map((e) => e.duration),
    };
  });
  return {
    pack: label,
    backend,
    steps,
    loadColdMs: loadColdMs,
    loadCachedMs,
    cachedLoad: fromCache,
    firstPreviewMs: Math.round(r.firstPreviewMs),
    stepMsMedian: Math.round(median(r.stepTimes.slice(1))),
    totalMs: Math.round(r.totalMs),
    previewFrames: r.frames,
    longTasksOver50ms: r.longTasks.length,
    maxLongTaskMs: r.longTasks.length ? Math.round(Math.max(...r.longTasks)) : 0,
    stepHandlerMsMedian: +median(r.handler).toFixed(2),
    stepHandlerMsMax: +Math.max(...r.handler).toFixed(2),
    resultHandlerMs: +(r.result.at(-1) ?? NaN).toFixed(2),
    paintedDuringRun: after > before && runningAtStart,
    runLastedPastStroke: stillRunningAfterStroke,
    baselineStrokeLongTasks: baseline.length,
    baselineStrokeMaxMs: baseline.length ? Math.round(Math.max(...baseline)) : 0,
    strokeMs,
    ...(process.env.GEN_BENCH_DEBUG ? { longTaskAtMs: r.detail, strokeRel: paintStart - clickWall } : {}),
  };
}

export default async function bench(): Promise<Row[]> {
  const dist = join(ROOT, 'dist', 'index.html');
  if (!existsSync(dist)) throw new Error('build first: nice -n 10 npx vite build');
  const steps = Number(process.env.GEN_BENCH_STEPS ?? 20);
  const tinySteps = Number(process.env.GEN_BENCH_TINY_STEPS ?? 150);
  const builtin = readFileSync(join(ROOT, 'src/ui/generate/appController.ts'), 'utf8').match(/\?\? '([^']+)'/)?.[1] ?? '';
  const wanted = (process.env.GEN_BENCH_PACKS ?? 'tiny-builtin,builtin').split(',');
  const packs: { url: string; label: string; steps: number }[] = [];
  for (const p of wanted) {
    if (p === 'builtin') {
      if (builtin && existsSync(join(ROOT, 'dist/models', builtin, 'defect-studio.json'))) packs.push({ url: `/models/${builtin}/`, label: builtin, steps });
    } else packs.push({ url: `/test-packs/${p}/`, label: p, steps: tinySteps });
  }
  // Vite itself (not through npx), so that kill() stops the server and leaves nothing behind.
  const server = spawn(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'preview', '--port', String(PORT), '--strictPort', '--host', '127.0.0.1'], {
    cwd: ROOT,
    stdio: 'ignore',
  });
  const rows: Row[] = [];
  try {
    await waitForServer(BASE, 30_000);
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--enable-unsafe-webgpu'],
    });
    try {
      for (const pack of packs) {
        const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
        const page = await context.newPage();
        await page.route(
          (u) => u.pathname.startsWith('/test-packs/'),
          (route) => {
            const rel = decodeURIComponent(new URL(route.request().url()).pathname.replace('/test-packs/', ''));
            const f = join(ROOT, 'tests/fixtures/packs', rel);
            if (!existsSync(f) || statSync(f).isDirectory()) return route.fulfill({ status: 404 });
            return route.fulfill({ status: 200, body: readFileSync(f) });
          },
        );
        rows.push(await measure(page, pack.url, pack.label, pack.steps));
        await context.close();
      }
    } finally {
      await browser.close();
    }
  } finally {
    server.kill();
  }
  return rows;
}

runIfMain(import.meta.url, bench);
