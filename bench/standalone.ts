/** Shared by the benches: the results table, and running one bench file alone. */
import { pathToFileURL } from 'node:url';

export type Row = Record<string, string | number | boolean | null>;

/** The median of timings (the upper middle one of an even count; NaN for none). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
}

function fmt(v: unknown): string {
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    return a >= 100 ? v.toFixed(1) : a >= 1 ? v.toFixed(3) : v.toPrecision(3);
  }
  return v === undefined || v === null ? '' : String(v);
}

export function table(rows: Row[]): string {
  if (!rows.length) return '(no rows)';
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cells = rows.map((r) => cols.map((c) => fmt(r[c])));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i])).join('  ');
  return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** `node --import tsx bench/NAME.bench.ts` runs that bench alone and prints its rows as a table. */
export function runIfMain(metaUrl: string, bench: () => Promise<Row[]>): void {
  if (metaUrl !== pathToFileURL(process.argv[1] ?? '').href) return;
  bench().then(
    (rows) => console.log(table(rows)),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
