/**
 * The seam blend's cost (numbers from one run; not a test).
 *   npm run bench -- seam
 * For a thin stroke (5 px, the case `seamSpareStrokes` is for) and a blob (an ellipse), at the built-in pack's
 * native resolution (256) and band width W = 2: the median time of seamBlend with the plain band and with the band
 * that spares thin strokes (ratio spare / plain, measured side by side in one run), and the same generation of the
 * built-in pack through generate() with each setting (paste part and whole generation, median of 3 after a warm-up),
 * so the blend's share of a generation is a ratio too. Writes bench/results/seam.json through bench/run.ts.
 */
import { join, resolve } from 'node:path';
import { median, runIfMain, type Row } from './standalone';
import { seamBlend } from '../src/core/diffusion/seam';
import { generate } from '../src/core/diffusion/pipeline';
import { loadPack } from '../src/core/models/pack';
import { FsPackSource } from '../src/core/models/pack-source.node.ts';
import { createNodeRuntime } from '../src/core/models/ort-node.node.ts';
import { DEFECT, OBJECT } from '../src/core/image';
import { makeImage, makeRequest, makeTrimap } from '../tests/helpers';

const ROOT = resolve(import.meta.dirname, '..');
const R = 256;
const W = 2;

/** A 5-px-wide diagonal stroke, or an ellipse, as an R x R defect mask. */
function mask(kind: 'stroke' | 'blob'): Uint8Array {
  const m = new Uint8Array(R * R);
  for (let y = 0; y < R; y++) {
    for (let x = 0; x < R; x++) {
      const inside =
        kind === 'stroke'
          ? Math.abs(y - 0.6 * x - 50) * 0.857 <= 2.5 && x > 30 && x < 220
          : ((x - 128) / 60) ** 2 + ((y - 120) / 40) ** 2 <= 1;
      m[y * R + x] = inside ? 1 : 0;
    }
  }
  return m;
}

function timeBlend(defect: Uint8Array, spareStrokes: boolean, reps: number): number {
  const x = new Float32Array(3 * R * R).map((_, i) => Math.sin(i * 0.37) * 0.5);
  const ref = new Float32Array(3 * R * R).map((_, i) => Math.cos(i * 0.11) * 0.5);
  seamBlend(x, ref, defect, R, W, { spareStrokes }); // warm-up
  const ts: number[] = [];
  for (let k = 0; k < reps; k++) {
    const t0 = performance.now();
    seamBlend(x, ref, defect, R, W, { spareStrokes });
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

export default async function bench(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const kind of ['stroke', 'blob'] as const) {
    const m = mask(kind);
    const plain = timeBlend(m, false, 9);
    const spare = timeBlend(m, true, 9);
    rows.push({ what: `seamBlend, ${kind}, ${R}px, W ${W}`, pixels: m.reduce((a, b) => a + b, 0), plainMs: plain, spareMs: spare, ratio: spare / plain });
  }
  const pack = await loadPack(new FsPackSource(join(ROOT, 'public', 'models', 'ds-surface-v1')), createNodeRuntime());
  const image = makeImage(320, 320);
  const trimap = makeTrimap(320, 320, 160, 160, 3, 70); // a thin vertical ellipse, trimmed below
  for (const t of trimap.data.keys()) if (trimap.data[t] === DEFECT && Math.abs((t % 320) - 160) > 2) trimap.data[t] = OBJECT; // 5 px wide
  const req = (spare: boolean) =>
    makeRequest({ image, trimap, prompt: 'a scratch', steps: 25, seed: 1, seamPx: W, seamSpareStrokes: spare });
  await generate(pack, req(false)); // warm-up
  const runs: Record<string, { paste: number; total: number }[]> = { plain: [], spare: [] };
  for (let k = 0; k < 3; k++) {
    for (const s of [false, true]) {
      const t = (await generate(pack, req(s))).timings;
      runs[s ? 'spare' : 'plain'].push({ paste: t.paste, total: t.total });
    }
  }
  const med = (s: 'plain' | 'spare', f: 'paste' | 'total') => median(runs[s].map((r) => r[f]));
  rows.push({
    what: 'built-in generate(), 25 steps, thin stroke',
    plainMs: med('plain', 'total'),
    spareMs: med('spare', 'total'),
    ratio: med('spare', 'total') / med('plain', 'total'),
    pastePlainMs: med('plain', 'paste'),
    pasteSpareMs: med('spare', 'paste'),
    pasteShareSpare: med('spare', 'paste') / med('spare', 'total'),
  });
  return rows;
}

runIfMain(import.meta.url, bench);
