/**
 * Prints the markdown tables of docs/adaptation.md from bench/results/adaptation.json (and, when present,
 * bench/results/adaptation-browser.json).
 *
 *   node --import tsx tools/adaptation/report.ts
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
type Row = Record<string, string | number>;

function table(rows: Row[], cols: string[]): string {
  const head = `| ${cols.join(' | ')} |\n|${cols.map(() => '---').join('|')}|\n`;
  return head + rows.map((r) => `| ${cols.map((c) => (r[c] ?? '')).join(' | ')} |`).join('\n') + '\n';
}

const res = JSON.parse(readFileSync(join(ROOT, 'bench', 'results', 'adaptation.json'), 'utf8')) as { rows: Row[] };
const quality = res.rows.filter((r) => String(r.case).startsWith('quality') && r.method !== 'ratio');
const ratio = res.rows.filter((r) => r.method === 'ratio');
const speed = res.rows.filter((r) => String(r.case).startsWith('speed'));
console.log(
  table(quality, ['case', 'method', 'samples', 'bg MSE before', 'bg MSE after', 'bg reduction %', 'seam MSE before', 'seam MSE after', 'seam reduction %', 'bg improved', 'seam improved', 'defect MSE vs x_gen', 'ms / image']),
);
if (ratio.length) console.log(table(ratio, ['case', 'samples', 'bg reduction ratio', 'seam reduction ratio', 'time ratio', 'speed-up']));
console.log(table(speed, ['case', 'method', 'samples', 'ms / image', 'CPU ms / image']));
const browser = join(ROOT, 'bench', 'results', 'adaptation-browser.json');
if (existsSync(browser)) {
  const b = JSON.parse(readFileSync(browser, 'utf8')) as Row[];
  console.log(table(b, ['case', 'method', 'samples', 'ms / image', 'max rel error', 'ms (SwiftShader)']));
}
