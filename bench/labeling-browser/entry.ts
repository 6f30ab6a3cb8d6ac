// Runs in Chromium: magic wand, its live retune, and the object proposal on a part photo at 1024^2 and 4096^2.
import { Editor } from '../../src/editor/Editor';
import { generateSample } from '../../src/editor/samples';
import { DEFECT } from '../../src/core/image';
import type { RGBAImage } from '../../src/core/image';
import { magicWand } from '../../src/core/trimap/region';
import { proposeObject } from '../../src/core/trimap/proposal';

const BASE = 1024;
const CX = 512;
const CY = 512;
const R = 300;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** A brushed-metal disc with radial shading and a soft shadow on a wood table, with a dark scratch. */
function partPhoto(): RGBAImage {
  const table = generateSample('wood', BASE);
  const metal = generateSample('brushed-metal', BASE);
  const out = new Uint8ClampedArray(BASE * BASE * 4);
  const ax = 400;
  const ay = 450;
  const bx = 600;
  const by = 560;
  for (let y = 0; y < BASE; y++)
    for (let x = 0; x < BASE; x++) {
      const i = (y * BASE + x) * 4;
      const d = Math.hypot(x + 0.5 - CX, y + 0.5 - CY);
      if (d <= R) {
        const shade = 1 - 0.25 * (d / R) ** 2;
        // distance to the scratch segment
        const t = Math.max(0, Math.min(1, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)));
        const sd = Math.hypot(x - (ax + t * (bx - ax)), y - (ay + t * (by - ay)));
        const k = sd < 3 ? 0.35 + 0.1 * (sd / 3) : 1;
        for (let c = 0; c < 3; c++) out[i + c] = metal.data[i + c] * shade * k;
      } else {
        const shadow = d < R + 24 ? 0.7 + 0.3 * ((d - R) / 24) : 1;
        for (let c = 0; c < 3; c++) out[i + c] = table.data[i + c] * shadow;
      }
      out[i + 3] = 255;
    }
  return { width: BASE, height: BASE, data: out };
}

/** Bilinear upscale by an integer factor (a "higher-resolution photo" of the same scene). */
function upscale(src: RGBAImage, f: number): RGBAImage {
  const w = src.width * f;
  const h = src.height * f;
  const out = new Uint8ClampedArray(w * h * 4);
  const sw = src.width;
  for (let y = 0; y < h; y++) {
    const fy = Math.min(src.height - 1, Math.max(0, (y + 0.5) / f - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(src.height - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < w; x++) {
      const fx = Math.min(sw - 1, Math.max(0, (x + 0.5) / f - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(sw - 1, x0 + 1);
      const wx = fx - x0;
      const o = (y * w + x) * 4;
      for (let c = 0; c < 3; c++) {
        const a = src.data[(y0 * sw + x0) * 4 + c] * (1 - wx) + src.data[(y0 * sw + x1) * 4 + c] * wx;
        const b = src.data[(y1 * sw + x0) * 4 + c] * (1 - wx) + src.data[(y1 * sw + x1) * 4 + c] * wx;
        out[o + c] = a * (1 - wy) + b * wy;
      }
      out[o + 3] = 255;
    }
  }
  return { width: w, height: h, data: out };
}

// 10 clicks (1024 coordinates): metal x4, table x3, scratch x2, shadow x1
const SEEDS: [number, number][] = [
  [450, 350], [620, 600], [300, 500], [512, 700],
  [100, 100], [900, 200], [150, 900],
  [450, 474], [560, 539],
  [512, 822],
];

async function runSize(img: RGBAImage, rows: Record<string, string | number>[]) {
  const f = img.width / BASE;
  const size = `${img.width}x${img.height}`;
  const pause = () => new Promise((r) => setTimeout(r, 0));
  // core region growing, contiguous
  for (const contiguous of [true, false]) {
    const times: number[] = [];
    const counts: number[] = [];
    for (const [x, y] of SEEDS) {
      const t0 = performance.now();
      const m = magicWand(img, x * f + 0.5, y * f + 0.5, { tolerance: 32, connectivity: 8, contiguous });
      times.push(performance.now() - t0);
      counts.push(m.count);
      await pause();
    }
    rows.push({ size, op: `wand core (${contiguous ? 'contiguous' : 'global'}), tol 32`, median_ms: median(times), min_ms: Math.min(...times), max_ms: Math.max(...times), median_region_px: median(counts) });
  }
  // the editor's click: region + paint + undo patch; then a tolerance change that redoes it
  const ed = new Editor();
  ed.loadImage(img, 'bench');
  ed.setTool('wand');
  ed.setClass(DEFECT);
  ed.setWandOptions({ tolerance: 32 });
  const click: number[] = [];
  const retune: number[] = [];
  const histBytes: number[] = [];
  for (const [x, y] of SEEDS) {
    const t0 = performance.now();
    ed.pointerDown({ x: x * f + 0.5, y: y * f + 0.5 });
    ed.pointerUp({ x: x * f + 0.5, y: y * f + 0.5 });
    click.push(performance.now() - t0);
    histBytes.push(ed.history.bytes);
    const t1 = performance.now();
    ed.setWandOptions({ tolerance: 40 });
    retune.push(performance.now() - t1);
    ed.setWandOptions({ tolerance: 32 });
    ed.undo();
    await pause();
  }
  rows.push({ size, op: 'wand click in the editor (region + paint + undo patch)', median_ms: median(click), min_ms: Math.min(...click), max_ms: Math.max(...click), median_history_bytes: median(histBytes) });
  rows.push({ size, op: 'tolerance 32 -> 40 redoes the click (slider)', median_ms: median(retune), min_ms: Math.min(...retune), max_ms: Math.max(...retune) });
  // object proposal
  const pt: number[] = [];
  let iou = 0;
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    const p = proposeObject(img);
    pt.push(performance.now() - t0);
    let inter = 0;
    let union = 0;
    for (let y = 0; y < img.height; y++)
      for (let x = 0; x < img.width; x++) {
        const want = Math.hypot((x + 0.5) / f - CX, (y + 0.5) / f - CY) <= R;
        const got = p.mask[y * img.width + x] === 1;
        if (want && got) inter++;
        if (want || got) union++;
      }
    iou = inter / union;
    await pause();
  }
  rows.push({ size, op: 'object from background (proposal)', median_ms: median(pt), min_ms: Math.min(...pt), max_ms: Math.max(...pt), iou: Number(iou.toFixed(4)) });
  const t0 = performance.now();
  ed.objectFromBackground();
  rows.push({ size, op: 'object from background in the editor (proposal + one undo step)', median_ms: performance.now() - t0 });
}

(globalThis as unknown as { runLabelingBench: () => Promise<unknown> }).runLabelingBench = async () => {
  const rows: Record<string, string | number>[] = [];
  const small = partPhoto();
  await runSize(small, rows);
  await runSize(upscale(small, 4), rows);
  rows.push({ size: 'env', op: navigator.userAgent.replace(/^.*(Chrome\/[\d.]+).*$/, '$1'), median_ms: navigator.hardwareConcurrency });
  return rows;
};
