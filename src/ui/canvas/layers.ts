/**
 * The pixels behind the canvas view, kept outside React state:
 * - the photo, as tiles plus a half-resolution pyramid (drawn once per image);
 * - the trimap overlay, as tiles of one RGBA pixel per label, rewritten only where a change's dirty
 *   rectangle touches them.
 *
 * Why tiles: a browser re-uploads (or copies on write) a whole source canvas after it was drawn and then
 * modified; measured in Chromium (bench/editor-browser.bench.ts), a small putImageData into a 4096^2 canvas
 * that is drawn every frame cost hundreds of ms, into a 256^2 tile about 1 ms. With tiles, a frame's cost
 * follows the brush's dirty area and the number of visible tiles, not the image size.
 */
import type { RGBAImage, Trimap, TrimapClass } from '../../core/image';
import { halvePriority, intersectRect, isEmptyRect, type Rect } from '../../core/trimap/raster';

export const TILE = 256;

interface Tile {
  x: number;
  y: number;
  w: number;
  h: number;
  canvas: HTMLCanvasElement;
  ctx: CanvasRenderingContext2D;
}

function makeTiles(width: number, height: number, size: number): Tile[] {
  const tiles: Tile[] = [];
  for (let y = 0; y < height; y += size) {
    for (let x = 0; x < width; x += size) {
      const w = Math.min(size, width - x);
      const h = Math.min(size, height - y);
      const canvas = document.createElement('canvas');
      canvas.width = w;
      canvas.height = h;
      const ctx = canvas.getContext('2d');
      if (!ctx) throw new Error('This browser has no 2D canvas.');
      tiles.push({ x, y, w, h, canvas, ctx });
    }
  }
  return tiles;
}

/** The image-space rectangle visible through a viewport (for culling tiles). */
export function visibleImageRect(vp: { zoom: number; x: number; y: number; viewWidth: number; viewHeight: number }): Rect {
  const x = Math.floor(-vp.x / vp.zoom) - 1;
  const y = Math.floor(-vp.y / vp.zoom) - 1;
  return { x, y, w: Math.ceil(vp.viewWidth / vp.zoom) + 3, h: Math.ceil(vp.viewHeight / vp.zoom) + 3 };
}

function drawTiles(ctx: CanvasRenderingContext2D, tiles: Tile[], visible: Rect, scale = 1): void {
  for (const t of tiles) {
    const tx = t.x * scale;
    const ty = t.y * scale;
    const tw = t.w * scale;
    const th = t.h * scale;
    if (tx + tw <= visible.x || ty + th <= visible.y || tx >= visible.x + visible.w || ty >= visible.y + visible.h) continue;
    ctx.drawImage(t.canvas, tx, ty, tw, th);
  }
}

/** 2x2 box-filtered half-resolution copy of an RGBA buffer (odd edges repeat the last row / column). */
function halveRGBA(src: Uint8ClampedArray, w: number, h: number): { data: Uint8ClampedArray; w: number; h: number } {
  const hw = Math.ceil(w / 2);
  const hh = Math.ceil(h / 2);
  const out = new Uint8ClampedArray(hw * hh * 4);
  for (let y = 0; y < hh; y++) {
    const r0 = 2 * y * w * 4;
    const r1 = Math.min(h - 1, 2 * y + 1) * w * 4;
    for (let x = 0; x < hw; x++) {
      const c0 = 2 * x * 4;
      const c1 = Math.min(w - 1, 2 * x + 1) * 4;
      const o = (y * hw + x) * 4;
      for (let k = 0; k < 4; k++) out[o + k] = (src[r0 + c0 + k] + src[r0 + c1 + k] + src[r1 + c0 + k] + src[r1 + c1 + k] + 2) >> 2;
    }
  }
  return { data: out, w: hw, h: hh };
}

/** The photo: full-resolution tiles and half-resolution levels for zoomed-out views (no full-size canvas). */
export class PhotoLayer {
  readonly width: number;
  readonly height: number;
  private readonly levels: { scale: number; tiles: Tile[] }[] = [];

  constructor(image: RGBAImage) {
    this.width = image.width;
    this.height = image.height;
    let data = image.data;
    let w = image.width;
    let h = image.height;
    let scale = 1;
    for (;;) {
      const tiles = makeTiles(w, h, TILE);
      for (const t of tiles) {
        const img = t.ctx.createImageData(t.w, t.h);
        for (let y = 0; y < t.h; y++) {
          const s = ((t.y + y) * w + t.x) * 4;
          img.data.set(data.subarray(s, s + t.w * 4), y * t.w * 4);
        }
        t.ctx.putImageData(img, 0, 0);
      }
      this.levels.push({ scale, tiles });
      if (w <= 1024 && h <= 1024) break;
      const half = halveRGBA(data, w, h);
      data = half.data;
      w = half.w;
      h = half.h;
      scale *= 2;
    }
  }

  /** Draws into an image-space context (the group's transform applies); picks the level for the zoom. */
  draw(ctx: CanvasRenderingContext2D, zoom: number, visible: Rect): void {
    let level = this.levels[0];
    for (const l of this.levels) if (zoom * l.scale <= 1.0001) level = l;
    drawTiles(ctx, level.tiles, visible, level.scale);
  }
}

export interface OverlayStyle {
  colors: Record<TrimapClass, [number, number, number]>;
  weights: Record<TrimapClass, number>;
  visible: Record<TrimapClass, boolean>;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function packRGBA(r: number, g: number, b: number, a: number): number {
  return LITTLE_ENDIAN ? ((a << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | a) >>> 0;
}

/** Class priority when a zoomed-out level merges 2x2 labels: defect > background > object. */
const PRIORITY = new Uint8Array([1, 0, 2]); // by class id
const BY_PRIORITY = new Uint8Array([1, 0, 2]); // class id by priority

interface OverlayLevel {
  scale: number;
  width: number;
  height: number;
  /** Class ids at this level (level 0 reads the trimap itself). */
  labels: Uint8Array | null;
  tiles: Tile[];
  cols: number;
}

export class TrimapOverlay {
  private readonly levels: OverlayLevel[] = [];
  private lut = new Uint32Array(256);

  constructor(
    readonly width: number,
    readonly height: number,
    style: OverlayStyle,
  ) {
    let w = width;
    let h = height;
    let scale = 1;
    for (;;) {
      this.levels.push({ scale, width: w, height: h, labels: scale === 1 ? null : new Uint8Array(w * h), tiles: makeTiles(w, h, TILE), cols: Math.ceil(w / TILE) });
      if (w <= 1024 && h <= 1024) break;
      w = Math.ceil(w / 2);
      h = Math.ceil(h / 2);
      scale *= 2;
    }
    this.setStyle(style);
  }

  setStyle(style: OverlayStyle): void {
    const lut = new Uint32Array(256);
    for (const c of [0, 1, 2] as TrimapClass[]) {
      const [r, g, b] = style.colors[c];
      const a = style.visible[c] ? Math.round(255 * style.weights[c]) : 0;
      lut[c] = packRGBA(r, g, b, a);
    }
    this.lut = lut;
  }

  /**
   * Rewrites the overlay inside `rect` from the trimap: the full-resolution tiles it touches, then the
   * same region (halved each time) of every zoomed-out level. Cost: about 4/3 of the rect's area.
   */
  update(trimap: Trimap, rect: Rect = { x: 0, y: 0, w: trimap.width, h: trimap.height }): void {
    let r = intersectRect(rect, { x: 0, y: 0, w: this.width, h: this.height });
    if (isEmptyRect(r)) return;
    let prevLabels = trimap.data;
    let prevW = trimap.width;
    for (const level of this.levels) {
      if (level.labels) {
        // this level's rect, and its labels from the previous level's 2x2 blocks
        const x0 = Math.floor(r.x / 2);
        const y0 = Math.floor(r.y / 2);
        const x1 = Math.ceil((r.x + r.w) / 2);
        const y1 = Math.ceil((r.y + r.h) / 2);
        r = { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
        halvePriority(
          { width: prevW, height: prevLabels.length / prevW, data: prevLabels },
          { width: level.width, height: level.height, data: level.labels },
          r,
          PRIORITY,
          BY_PRIORITY,
        );
      }
      const labels = level.labels ?? trimap.data;
      this.writeLevel(level, labels, r);
      prevLabels = labels;
      prevW = level.width;
    }
  }

  private writeLevel(level: OverlayLevel, labels: Uint8Array, r: Rect): void {
    const tx0 = Math.floor(r.x / TILE);
    const ty0 = Math.floor(r.y / TILE);
    const tx1 = Math.floor((r.x + r.w - 1) / TILE);
    const ty1 = Math.floor((r.y + r.h - 1) / TILE);
    for (let ty = ty0; ty <= ty1; ty++) {
      for (let tx = tx0; tx <= tx1; tx++) {
        const t = level.tiles[ty * level.cols + tx];
        const part = intersectRect(r, t);
        if (!isEmptyRect(part)) this.writeTile(t, labels, level.width, part);
      }
    }
  }

  private writeTile(t: Tile, labels: Uint8Array, stride: number, r: Rect): void {
    const img = t.ctx.createImageData(r.w, r.h);
    const px = new Uint32Array(img.data.buffer);
    const lut = this.lut;
    for (let y = 0; y < r.h; y++) {
      const s = (r.y + y) * stride + r.x;
      const d = y * r.w;
      for (let x = 0; x < r.w; x++) px[d + x] = lut[labels[s + x]];
    }
    t.ctx.putImageData(img, r.x - t.x, r.y - t.y);
  }

  /** Draws the visible tiles of the level that suits the zoom into an image-space context. */
  draw(ctx: CanvasRenderingContext2D, zoom: number, visible: Rect): void {
    let level = this.levels[0];
    for (const l of this.levels) if (zoom * l.scale <= 1.0001) level = l;
    drawTiles(ctx, level.tiles, visible, level.scale);
  }
}
