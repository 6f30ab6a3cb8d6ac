/**
 * Editor painting cost vs image size: brush strokes driven through the headless editor (pointer events ->
 * raster ops -> copy-on-write tiles -> history patch), on 1024x1024, 2048x2048 and 4096x4096 images.
 * A stroke's cost should follow the brush's dirty area, so the 4096/1024 ratio should stay near 1.
 *   npm run bench -- editor        or        node --import tsx bench/editor.bench.ts
 */
import { median, runIfMain } from './standalone';
import { Editor } from '../src/editor/Editor';
import { DEFECT, OBJECT } from '../src/core/image';

type Row = Record<string, string | number | boolean | null>;

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function benchSize(size: number, brush: number, strokes: number, movesPerStroke: number): Row {
  const ed = new Editor({ history: { byteCap: 1 << 30, maxSteps: 100_000 } });
  ed.loadImage({ width: size, height: size, data: new Uint8ClampedArray(size * size * 4) }, `${size}.png`);
  ed.setSize(brush);
  const rand = rng(size);
  const times: number[] = [];
  const moveTimes: number[] = [];
  const bytes: number[] = [];
  for (let s = 0; s < strokes + 5; s++) {
    ed.setClass(s % 2 === 0 ? DEFECT : OBJECT);
    // a wavy stroke of `movesPerStroke` pointer moves, ~4 px apart (a fast mouse at 60 Hz)
    let x = 100 + rand() * (size - 400);
    let y = 100 + rand() * (size - 400);
    const dir = rand() * Math.PI * 2;
    const b0 = ed.history.bytes;
    const t0 = performance.now();
    ed.pointerDown({ x, y });
    for (let i = 0; i < movesPerStroke; i++) {
      x += 4 * Math.cos(dir + Math.sin(i / 6));
      y += 4 * Math.sin(dir + Math.sin(i / 6));
      const tm = performance.now();
      ed.pointerMove({ x, y });
      if (s >= 5) moveTimes.push(performance.now() - tm);
    }
    ed.pointerUp({ x, y });
    const dt = performance.now() - t0;
    if (s >= 5) {
      // the first strokes warm up the JIT
      times.push(dt);
      bytes.push(ed.history.bytes - b0);
    }
  }
  const tu = performance.now();
  for (let i = 0; i < 10; i++) ed.undo();
  const undoMs = (performance.now() - tu) / 10;
  const tf = performance.now();
  ed.fillAll(DEFECT);
  const fillAllMs = performance.now() - tf;
  return {
    image: `${size}x${size}`,
    brush_px: brush,
    moves_per_stroke: movesPerStroke,
    stroke_ms_median: +median(times).toFixed(3),
    move_ms_median: +median(moveTimes).toFixed(4),
    history_bytes_per_stroke_median: median(bytes),
    undo_ms: +undoMs.toFixed(3),
    fill_all_ms: +fillAllMs.toFixed(1),
    // stored run-length encoded (raw would be 2 * width * height bytes)
    fill_all_history_bytes: ed.history.peekUndo() ? ed.history.peekUndo()!.patches.reduce((n, p) => n + p.before.length + p.after.length, 0) : 0,
  };
}

export default async function run(): Promise<Row[]> {
  const rows: Row[] = [];
  benchSize(512, 32, 40, 60); // JIT warm-up, not reported
  for (const brush of [8, 32, 128]) {
    for (const size of [1024, 2048, 4096]) rows.push(benchSize(size, brush, 40, 60));
  }
  for (const brush of [8, 32, 128]) {
    const a = rows.find((r) => r.image === '1024x1024' && r.brush_px === brush)!;
    const b = rows.find((r) => r.image === '4096x4096' && r.brush_px === brush)!;
    rows.push({
      image: 'ratio 4096/1024',
      brush_px: brush,
      stroke_ms_median: +((b.stroke_ms_median as number) / (a.stroke_ms_median as number)).toFixed(2),
      history_bytes_per_stroke_median: +((b.history_bytes_per_stroke_median as number) / (a.history_bytes_per_stroke_median as number)).toFixed(2),
    });
  }
  return rows;
}

runIfMain(import.meta.url, run);
