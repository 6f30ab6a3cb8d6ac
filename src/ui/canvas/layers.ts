/**
 * The canvases behind the Konva images: the photo (drawn once per image) and the trimap overlay (one RGBA
 * pixel per label, updated only inside each change's dirty rectangle). Kept outside React state.
 */
import type { RGBAImage, Trimap, TrimapClass } from '../../core/image';
import { intersectRect, isEmptyRect, type Rect } from '../../core/trimap/raster';

export function photoCanvas(image: RGBAImage): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = image.width;
  c.height = image.height;
  const ctx = c.getContext('2d');
  if (ctx) ctx.putImageData(new ImageData(image.data as Uint8ClampedArray<ArrayBuffer>, image.width, image.height), 0, 0);
  return c;
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

export class TrimapOverlay {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private lut = new Uint32Array(256);

  constructor(
    readonly width: number,
    readonly height: number,
    style: OverlayStyle,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.width = width;
    this.canvas.height = height;
    const ctx = this.canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas');
    this.ctx = ctx;
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

  /** Redraws the overlay inside `rect` from the trimap (cost: rect area). */
  update(trimap: Trimap, rect: Rect = { x: 0, y: 0, w: trimap.width, h: trimap.height }): void {
    const r = intersectRect(rect, { x: 0, y: 0, w: this.width, h: this.height });
    if (isEmptyRect(r)) return;
    const img = this.ctx.createImageData(r.w, r.h);
    const px = new Uint32Array(img.data.buffer);
    const lut = this.lut;
    const src = trimap.data;
    for (let y = 0; y < r.h; y++) {
      const s = (r.y + y) * trimap.width + r.x;
      const d = y * r.w;
      for (let x = 0; x < r.w; x++) px[d + x] = lut[src[s + x]];
    }
    this.ctx.putImageData(img, r.x, r.y);
  }
}
