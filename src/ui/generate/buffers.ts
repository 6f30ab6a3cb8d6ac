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
    const entry = this.resultCanvases.get(id);
    if (!entry) return this.clear();
    this.content = { kind: 'result', x: entry.x, y: entry.y, canvas: entry.canvas, resultId: id };
    this.emit();
  }

  /** Keep a result's defect patch (RGBA, alpha 255 inside the defect) for display. */
  addResultPatch(id: number, p: { x: number; y: number; width: number; height: number; data: ArrayBuffer }) {
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, p.width);
    canvas.height = Math.max(1, p.height);
    if (p.width && p.height) canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(p.data), p.width, p.height), 0, 0);
    this.resultCanvases.set(id, { x: p.x, y: p.y, canvas });
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

/** Thumbnails (RGBA made by the Worker), drawn into small canvases by the gallery. */
export const thumbnails = new Map<number, { width: number; height: number; data: Uint8ClampedArray }>();
