// Speed of the built-in pack in Chromium + onnxruntime-web WASM (256x256, 25 steps, guidance batch 2).
//   node bench/builtin-wasm.mjs [--threads 2] [--steps 25]    -> bench/results/builtin-wasm.json
// Serves the repo on a free 127.0.0.1 port with COOP/COEP (so WASM threads work) and drives Debian's Chromium.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from '@playwright/test';

const arg = (k, d) => { const i = process.argv.indexOf('--' + k); return i > 0 ? process.argv[i + 1] : d; };
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const types = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
const server = http.createServer((req, res) => {
  const p = path.join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname));
  if (!p.startsWith(root) || !fs.existsSync(p) || fs.statSync(p).isDirectory()) { res.writeHead(404); res.end(); return; }
  res.writeHead(200, { 'Content-Type': types[path.extname(p)] || 'application/octet-stream',
    'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' });
  fs.createReadStream(p).pipe(res);
});
await new Promise((r) => server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', r));
const port = server.address().port;
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage();
  const threads = arg('threads', '2'), steps = arg('steps', '25');
  const pack = arg('pack', '/public/models/ds-surface-v1');
  const results = [];
  for (let run = 0; run < 2; run++) {
    await page.goto(`http://127.0.0.1:${port}/bench/builtin-wasm.html?threads=${threads}&steps=${steps}&pack=${pack}`);
    await page.waitForFunction(() => document.title === 'done' || document.title === 'error', null, { timeout: 300000 });
    results.push(await page.evaluate(() => window.__result));
  }
  const out = { pack, steps: Number(steps), cpu: `${(await import('node:os')).cpus().length} cores`, runs: results };
  fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  fs.writeFileSync(path.join(root, 'bench', 'results', 'builtin-wasm.json'), JSON.stringify(out, null, 1));
  console.log(JSON.stringify(out, null, 1));
} finally {
  await browser.close();
  server.close();
}
