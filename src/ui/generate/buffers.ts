// Pixel buffers of the generation UI, kept out of React state: the live preview canvas and the results.
import type { RGBAImage, Trimap } from '../../core/image';
import type { CropWindow } from '../../core/diffusion/types';

export interface ResultBuffers {
  image: RGBAImage; // full-size output
  mask: Uint8Array; // 0/255
  trimap: Trimap; // snapshot at generation time
  original: RGBAImage; // the input photo
  crop: CropWindow;
  adaptation?: import('../../core/diffusion/types').AdaptationReport;
}

export const resultBuffers = new Map<number, ResultBuffers>();

/** What the canvas overlay shows: a patch in image pixels, drawn from a canvas. */
export interface OverlayContent {
  kind: 'preview' | 'result';
  x: number;
  y: number;
  canvas: HTMLCanvasElement;
  resultId?: number;
}

type Listener = () => void;

class Overlay {
  content: OverlayContent | null = null;
  /** Every preview patch drawn since the page loaded (tests count one per step). */
  frames = 0;
  private previewCanvas: HTMLCanvasElement | null = null;
  private resultCanvases = new Map<number, { x: number; y: number; canvas: HTMLCanvasElement }>();
  private listeners = new Set<Listener>();

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  private emit() {
    for (const l of this.listeners) l();
  }

  /** Every full-decode preview drawn. */
  decodedFrames = 0;

  /** Draw a step preview (`draw` false: count the step but keep the decoded picture on screen). */
  showPreview(p: { x: number; y: number; width: number; height: number; data: ArrayBuffer }, draw = true, decoded = false) {
    if (decoded) this.decodedFrames++;
    else this.frames++;
    if (!draw) return;
    const c = (this.previewCanvas ??= document.createElement('canvas'));
    if (c.width !== p.width || c.height !== p.height) {
      c.width = p.width;
      c.height = p.height;
    }
    const ctx = c.getContext('2d')!;
    ctx.putImageData(new ImageData(new Uint8ClampedArray(p.data), p.width, p.height), 0, 0);
    this.content = { kind: 'preview', x: p.x, y: p.y, canvas: c };
    this.emit();
  }

  showResult(id: number | null) {
    if (id === null) return this.clear();
    const r = resultBuffers.get(id);
    if (!r) return this.clear();
    let entry = this.resultCanvases.get(id);
    if (!entry) {
      entry = patchOfResult(r);
      this.resultCanvases.set(id, entry);
    }
    this.content = { kind: 'result', x: entry.x, y: entry.y, canvas: entry.canvas, resultId: id };
    this.emit();
  }

  forget(id: number) {
    this.resultCanvases.delete(id);
    if (this.content?.resultId === id) this.clear();
  }

  clear() {
    this.content = null;
    this.emit();
  }
}

export const overlay = new Overlay();

/** The defect region of a result, transparent elsewhere (outside the defect the result IS the photo). */
function patchOfResult(r: ResultBuffers): { x: number; y: number; canvas: HTMLCanvasElement } {
  const { width: w, height: h } = r.image;
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      if (r.mask[y * w + x]) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        y1 = y;
      }
  const canvas = document.createElement('canvas');
  if (x1 < 0) {
    canvas.width = canvas.height = 1;
    return { x: 0, y: 0, canvas };
  }
  const pw = x1 - x0 + 1, ph = y1 - y0 + 1;
  canvas.width = pw;
  canvas.height = ph;
  const data = new Uint8ClampedArray(pw * ph * 4);
  for (let y = 0; y < ph; y++)
    for (let x = 0; x < pw; x++) {
      const si = (y + y0) * w + (x + x0);
      if (!r.mask[si]) continue;
      const o = (y * pw + x) * 4;
      data[o] = r.image.data[si * 4];
      data[o + 1] = r.image.data[si * 4 + 1];
      data[o + 2] = r.image.data[si * 4 + 2];
      data[o + 3] = 255;
    }
  canvas.getContext('2d')!.putImageData(new ImageData(data, pw, ph), 0, 0);
  return { x: x0, y: y0, canvas };
}

/** A small thumbnail (object URL) of the result's context crop. */
export async function thumbnailUrl(r: ResultBuffers, size = 96): Promise<string> {
  const { image, crop } = r;
  const src = document.createElement('canvas');
  src.width = image.width;
  src.height = image.height;
  src.getContext('2d')!.putImageData(new ImageData(image.data as Uint8ClampedArray<ArrayBuffer>, image.width, image.height), 0, 0);
  const t = document.createElement('canvas');
  t.width = t.height = size;
  const ctx = t.getContext('2d')!;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(src, crop.x, crop.y, crop.size, crop.size, 0, 0, size, size);
  const blob = await new Promise<Blob | null>((res) => t.toBlob(res, 'image/png'));
  return blob ? URL.createObjectURL(blob) : '';
}
