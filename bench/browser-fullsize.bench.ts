/**
 * Full-size SD-1.5 packs in Chromium with onnxruntime-web WASM (issue 15), on demand only. Uses Playwright:
 *   /usr/bin/python3 tools/make-fullsize-packs.py
 *   flock /tmp/e2e.lock nice -n 10 node --import tsx bench/browser-fullsize.bench.ts
 * Env: FULLSIZE_PACKS=DIR (default bench/fullsize-packs), FULLSIZE_ONLY=substring of pack ids,
 * FULLSIZE_RUNS (evaluations per pack, default 2), FULLSIZE_FORCE=substring: load those refused packs anyway.
 * Serves the pack folder from its own HTTP server on a free port (never 4173), COOP/COEP set, and logs every
 * request: a refused pack must have asked for defect-studio.json only. One fresh Chromium per pack; its
 * renderer's peak resident memory (VmHWM) is read from /proc after the download, the load and each run.
 * The app's thread choice on this 2-core machine is 1 WASM thread (src/worker/ortEnv.ts), so 1 here.
 * JSON: bench/results/browser-fullsize.json.
 */
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { build } from 'esbuild';
import { chromium } from '@playwright/test';
import { runIfMain, type Row } from './standalone';
import type { BrowserResult } from './fullsize-browser/entry';
import { estimateWasmMemory } from '../src/core/models/memory';

const ROOT = resolve(import.meta.dirname, '..');
const DIR = resolve(process.env.FULLSIZE_PACKS ?? join(ROOT, 'bench', 'fullsize-packs'));
const ORT = join(ROOT, 'node_modules', 'onnxruntime-web', 'dist');

function packIds(): string[] {
  if (!existsSync(DIR)) return [];
  const only = process.env.FULLSIZE_ONLY;
  return readdirSync(DIR)
    .filter((d) => d.startsWith('sd15-') && existsSync(join(DIR, d, 'defect-studio.json')))
    .filter((d) => !only || only.split(',').some((o) => d.includes(o)))
    .sort();
}

/** Peak and current resident memory of the Chromium renderers (processes with --type=renderer under `root`). */
function rendererMemory(rootPid: number): { peak: number; rss: number } {
  const children = new Map<number, number[]>();
  const renderers: number[] = [];
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(p)]);
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('--type=renderer')) renderers.push(Number(p));
    } catch {
      /* gone */
    }
  }
  const tree = new Set<number>();
  const walk = (pid: number) => {
    tree.add(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(rootPid);
  let peak = 0;
  let rss = 0;
  for (const pid of renderers.filter((r) => tree.has(r))) {
    try {
      const s = readFileSync(`/proc/${pid}/status`, 'utf8');
      peak = Math.max(peak, Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0) * 1024);
      rss = Math.max(rss, Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0) * 1024);
    } catch {
      /* gone */
    }
  }
  return { peak, rss };
}

const gb = (n: number | undefined) => (n === undefined ? '' : +(n / 1e9).toFixed(2));
const s = (ms: number | undefined) => (ms === undefined ? '' : +(ms / 1000).toFixed(1));

export default async function browserFullSize(): Promise<Row[]> {
  const ids = packIds();
  if (!ids.length) {
    process.stdout.write(`browser-fullsize: skipped, no packs in ${DIR} (tools/make-fullsize-packs.py builds them).\n`);
    return [];
  }
  const runs = Number(process.env.FULLSIZE_RUNS ?? 2);
  const force = process.env.FULLSIZE_FORCE;
  const js = (
    await build({ entryPoints: [join(ROOT, 'bench', 'fullsize-browser', 'entry.ts')], bundle: true, format: 'esm', write: false, platform: 'browser', target: 'es2022', logLevel: 'silent' })
  ).outputFiles[0].contents;
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cache-Control': 'no-store' };
    if (path === '/') return res.writeHead(200, { ...headers, 'Content-Type': 'text/html' }).end('<!doctype html><script type="module" src="/bench.js"></script>');
    if (path === '/bench.js') return res.writeHead(200, { ...headers, 'Content-Type': 'text/javascript' }).end(Buffer.from(js));
    const [root, rel] = path.startsWith('/ort/') ? [ORT, path.slice(5)] : path.startsWith('/packs/') ? [DIR, path.slice(7)] : [null, ''];
    const file = root ? resolve(root, rel) : '';
    if (!root || !file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) return res.writeHead(404, headers).end();
    if (root === DIR) requests.push(rel);
    const type = extname(file) === '.wasm' ? 'application/wasm' : extname(file) === '.mjs' ? 'text/javascript' : 'application/octet-stream';
    res.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': statSync(file).size });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const rows: Row[] = [];
  const raw: unknown[] = [];
  try {
    for (const id of ids) {
      const manifest = JSON.parse(readFileSync(join(DIR, id, 'defect-studio.json'), 'utf8'));
      const est = estimateWasmMemory(manifest);
      const forced = !!force && force.split(',').some((f) => id.includes(f)) && !est.fitsWasm;
      requests.length = 0;
      const browser = await chromium.launch({
        executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
        args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
      });
      const marks: Record<string, { peak: number; rss: number; atMs: number }> = {};
      try {
        const rootPid = process.pid; // Playwright starts Chromium as a child of this process
        const page = await browser.newPage();
        page.setDefaultTimeout(3_600_000);
        page.on('console', (m) => {
          if (m.type() === 'error') console.error('[chromium]', m.text());
        });
        const t0 = Date.now();
        await page.exposeFunction('__mark', (label: string) => {
          marks[label] = { ...rendererMemory(rootPid), atMs: Date.now() - t0 };
        });
        await page.goto(`http://127.0.0.1:${port}/`);
        await page.waitForFunction(() => 'runFullSize' in globalThis, null, { timeout: 60_000 });
        let result: BrowserResult;
        try {
          result = await page.evaluate(
            ([url, n, f]) => (globalThis as unknown as { runFullSize: (u: string, o: { runs: number; force: boolean }) => Promise<BrowserResult> }).runFullSize(url, { runs: n, force: f }),
            [`http://127.0.0.1:${port}/packs/${id}/`, runs, forced] as const,
          );
        } catch (e) {
          // A renderer killed by the system (out of memory) ends here.
          result = { unetMs: [], controlnetMs: [], threads: 1, error: `page crashed: ${(e as Error).message.split('\n')[0]}` };
        }
        const end = rendererMemory(rootPid);
        raw.push({ pack: id, forced, result, marks, requests: [...requests], rendererPeakEnd: end.peak });
        const peak = Math.max(end.peak, ...Object.values(marks).map((m) => m.peak));
        rows.push({
          pack: id,
          'wasm estimate GB': +(est.needBytes / 1e9).toFixed(1),
          verdict: result.refused ? 'refused before download' : result.error ? `failed (${result.phase ?? ''})` : 'loaded',
          'files requested': requests.length,
          'download s': s(result.downloadMs),
          'load s': s(result.loadMs),
          'renderer peak GB': gb(peak || undefined),
          'peak after load GB': gb(marks.loaded?.peak),
          'controlnet s (b1)': result.controlnetMs.length ? result.controlnetMs.map((x) => (x / 1000).toFixed(1)).join(' / ') : '',
          'unet s (b2)': result.unetMs.length ? result.unetMs.map((x) => (x / 1000).toFixed(1)).join(' / ') : '',
          message: (result.refused ?? result.error ?? '').slice(0, 160),
          ...(forced ? { forced: true } : {}),
        });
        process.stdout.write(`${id}: ${JSON.stringify(rows[rows.length - 1])}\n`);
      } finally {
        await browser.close();
      }
    }
  } finally {
    server.close();
  }
  const out = join(ROOT, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'browser-fullsize.json'), JSON.stringify(mergeResults(join(out, 'browser-fullsize.json'), rows, raw, (r) => `${r.pack}${r.forced ? ' forced' : ''}`, { runs }), null, 2) + '\n');
  return rows;
}

/**
 * Results of runs on some packs (FULLSIZE_ONLY) merged into the JSON of earlier runs: a row replaces the
 * earlier row of the same key; each row keeps its own date and machine state.
 */
export function mergeResults(file: string, rows: Row[], raw: unknown[], key: (r: Row) => string, extra: Record<string, unknown> = {}) {
  const date = new Date().toISOString();
  const machine = machineState();
  let old: { rows?: Row[]; raw?: unknown[] } = {};
  try {
    old = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    /* first run */
  }
  const keys = new Set(rows.map(key));
  const keep = (old.rows ?? []).map((r, i) => [r, (old.raw ?? [])[i]] as const).filter(([r]) => !keys.has(key(r)));
  const stamped = rows.map((r) => ({ ...r, date, machine: JSON.stringify(machine) }));
  return { bench: file.replace(/^.*\/|\.json$/g, ''), date, ...extra, rows: [...keep.map(([r]) => r), ...stamped], raw: [...keep.map(([, x]) => x), ...raw] };
}

/** The conditions: cores, load average, free memory (the machine is shared). */
export function machineState(): Record<string, string | number> {
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const mem = readFileSync('/proc/meminfo', 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(mem)?.[1] ?? 0) * 1024;
  return { cores: readdirSync('/sys/devices/system/cpu').filter((d) => /^cpu\d+$/.test(d)).length, loadavg: load, memTotalGB: +(kb('MemTotal') / 1e9).toFixed(1), memAvailableGB: +(kb('MemAvailable') / 1e9).toFixed(1) };
}

runIfMain(import.meta.url, browserFullSize);
