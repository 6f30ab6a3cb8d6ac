/**
 * `npm run bench [-- NAME ...]`: discovers bench/*.bench.ts, runs each default export (an async function
 * returning rows), writes bench/results/<name>.json (unless the bench wrote that file itself) and prints a
 * table per bench. Names on the command line select benches by substring.
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { table, type Row } from './standalone';

const DIR = resolve(import.meta.dirname);
const RESULTS = join(DIR, 'results');

async function main() {
  const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const files = readdirSync(DIR)
    .filter((f) => f.endsWith('.bench.ts'))
    .sort()
    .filter((f) => !filters.length || filters.some((n) => f.includes(n)));
  mkdirSync(RESULTS, { recursive: true });
  let failed = 0;
  for (const file of files) {
    const name = file.replace(/\.bench\.ts$/, '');
    const out = join(RESULTS, `${name}.json`);
    const started = Date.now();
    process.stdout.write(`\n## ${name}\n`);
    try {
      const mod = (await import(pathToFileURL(join(DIR, file)).href)) as { default?: () => Promise<Row[]> };
      if (typeof mod.default !== 'function') throw new Error('no default export');
      const rows = await mod.default();
      const ownFile = existsSync(out) && statSync(out).mtimeMs >= started;
      if (!ownFile) writeFileSync(out, JSON.stringify({ bench: name, date: new Date().toISOString(), rows }, null, 2) + '\n');
      process.stdout.write(table(rows) + `\n(${((Date.now() - started) / 1000).toFixed(1)} s; ${ownFile ? 'JSON written by the bench' : 'JSON'}: ${out})\n`);
    } catch (e) {
      failed++;
      process.stdout.write(`FAILED: ${(e as Error).stack ?? e}\n`);
    }
  }
  if (!files.length) process.stdout.write('no benches matched\n');
  process.exitCode = failed ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
