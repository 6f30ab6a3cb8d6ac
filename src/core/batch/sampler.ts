/**
 * Random defect trimaps for dataset generation, so that a dataset needs no painting: strokes (curved
 * brush paths), blobs (irregular filled shapes) and lines (thin straight scratches) whose size is drawn
 * from a range, placed inside the object region. Deterministic: the same Rng state gives the same trimap.
 * Drawn with the editor's raster operations (same pixel-centre convention as a painted trimap).
 */
import { BACKGROUND, DEFECT, OBJECT, type Trimap } from '../image';
import type { Rng } from '../diffusion/rng';
import { drawCapsule, fillPolygon, isEmptyRect, unionRect, EMPTY_RECT, type LabelBuffer, type Rect } from '../trimap/raster';

export const DEFECT_SHAPES = ['stroke', 'blob', 'line'] as const;
export type DefectShape = (typeof DEFECT_SHAPES)[number];

export interface SamplerOptions {
  /** Shapes to draw from (uniformly). */
  shapes: readonly DefectShape[];
  /** Extent of a defect in pixels (stroke / line length, blob diameter), drawn uniformly from [min, max]. */
  size: [number, number];
}

export interface SampledDefect {
  trimap: Trimap;
  shape: DefectShape;
  /** The drawn extent in pixels. */
  size: number;
  /** Defect pixels (inside the object region). */
  pixels: number;
}

const uniform = (rng: Rng, a: number, b: number) => a + (b - a) * rng.uniform();

function drawShape(buf: LabelBuffer, rng: Rng, shape: DefectShape, cx: number, cy: number, size: number): Rect {
  let dirty: Rect = { ...EMPTY_RECT };
  if (shape === 'line') {
    const a = uniform(rng, 0, Math.PI);
    const r = uniform(rng, 0.5, Math.max(0.75, 1 + size / 80));
    const dx = (Math.cos(a) * size) / 2;
    const dy = (Math.sin(a) * size) / 2;
    return drawCapsule(buf, cx - dx, cy - dy, cx + dx, cy + dy, r, 1);
  }
  if (shape === 'stroke') {
    const n = 4 + Math.floor(rng.uniform() * 4); // 4..7 points
    const seg = size / (n - 1);
    const r = uniform(rng, 1, Math.max(1.5, size / 12));
    let a = uniform(rng, 0, 2 * Math.PI);
    // centre the path on (cx, cy): walk, then shift by the mean
    const pts: number[] = [0, 0];
    for (let k = 1; k < n; k++) {
      a += rng.normal() * 0.6;
      pts.push(pts[2 * k - 2] + Math.cos(a) * seg, pts[2 * k - 1] + Math.sin(a) * seg);
    }
    let mx = 0;
    let my = 0;
    for (let k = 0; k < n; k++) {
      mx += pts[2 * k] / n;
      my += pts[2 * k + 1] / n;
    }
    for (let k = 0; k + 1 < n; k++) {
      const rr = r * uniform(rng, 0.7, 1.2);
      dirty = unionRect(
        dirty,
        drawCapsule(buf, cx + pts[2 * k] - mx, cy + pts[2 * k + 1] - my, cx + pts[2 * k + 2] - mx, cy + pts[2 * k + 3] - my, rr, 1),
      );
    }
    return dirty;
  }
  // blob: a star-shaped polygon with smoothly varying radius, elongated and rotated
  const n = 16;
  const R = size / 2;
  const aspect = uniform(rng, 0.45, 1);
  const rot = uniform(rng, 0, Math.PI);
  const harmonics = [1, 2, 3].map((h) => ({ h, amp: uniform(rng, 0, 0.25 / h), phase: uniform(rng, 0, 2 * Math.PI) }));
  const ring: number[] = [];
  for (let k = 0; k < n; k++) {
    const t = (2 * Math.PI * k) / n;
    let rad = 0.75;
    for (const { h, amp, phase } of harmonics) rad += amp * Math.sin(h * t + phase);
    const x = Math.cos(t) * rad * R;
    const y = Math.sin(t) * rad * R * aspect;
    ring.push(cx + x * Math.cos(rot) - y * Math.sin(rot), cy + x * Math.sin(rot) + y * Math.cos(rot));
  }
  dirty = fillPolygon(buf, ring, 1);
  // tiny blobs may miss every pixel centre: the centre pixel always belongs to the blob
  return unionRect(dirty, drawCapsule(buf, cx, cy, cx, cy, 0, 1));
}

/**
 * Sample one defect inside the object region (`object[i]` non-zero; null = the whole image) and return the
 * trimap: background outside the object, defect where the shape overlaps the object, object elsewhere.
 * A placement that keeps less than half of its pixels inside the object is redrawn (up to 24 times; then
 * the best one is kept). Throws when the object region is empty.
 */
export function sampleDefectTrimap(rng: Rng, width: number, height: number, object: Uint8Array | null, opts: SamplerOptions): SampledDefect {
  if (!(width > 0 && height > 0)) throw new Error('the image has no pixels');
  if (object && object.length !== width * height) throw new Error(`object mask has ${object.length} pixels, expected ${width * height}`);
  if (!opts.shapes.length) throw new Error('no defect shapes to draw from');
  const [smin, smax] = opts.size;
  if (!(smin >= 1 && smax >= smin)) throw new Error(`defect size range must be 1 <= min <= max, got ${smin}..${smax}`);
  const inside: number[] = [];
  if (object) for (let i = 0; i < object.length; i++) if (object[i]) inside.push(i);
  const nInside = object ? inside.length : width * height;
  if (!nInside) throw new Error('the object region is empty');

  const buf: LabelBuffer = { width, height, data: new Uint8Array(width * height) };
  let best: { drawn: Uint8Array; kept: number; shape: DefectShape; size: number } | null = null;
  for (let attempt = 0; attempt < 24; attempt++) {
    const shape = opts.shapes[Math.floor(rng.uniform() * opts.shapes.length)];
    const size = uniform(rng, smin, smax);
    const p = object ? inside[Math.floor(rng.uniform() * nInside)] : Math.floor(rng.uniform() * nInside);
    const cx = (p % width) + 0.5;
    const cy = Math.floor(p / width) + 0.5;
    buf.data.fill(0);
    const dirty = drawShape(buf, rng, shape, cx, cy, size);
    if (isEmptyRect(dirty)) continue;
    let drawn = 0;
    let kept = 0;
    for (let y = dirty.y; y < dirty.y + dirty.h; y++) {
      for (let x = dirty.x; x < dirty.x + dirty.w; x++) {
        const i = y * width + x;
        if (!buf.data[i]) continue;
        drawn++;
        if (!object || object[i]) kept++;
        else buf.data[i] = 0;
      }
    }
    if (!best || kept > best.kept) best = { drawn: buf.data.slice(), kept, shape, size };
    if (kept > 0 && kept * 2 >= drawn) break;
  }
  if (!best || !best.kept) throw new Error('could not place a defect inside the object region');
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = best.drawn[i] ? DEFECT : !object || object[i] ? OBJECT : BACKGROUND;
  return { trimap: { width, height, data }, shape: best.shape, size: best.size, pixels: best.kept };
}
