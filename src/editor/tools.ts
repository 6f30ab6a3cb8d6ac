/**
 * Tools as little state machines driven by pointer events in image coordinates. A tool never touches the
 * history or the listeners directly: it asks its host to begin / paint / commit an edit.
 */
import type { RGBAImage, Trimap, TrimapClass } from '../core/image';
import { paintMask } from '../core/trimap/refine';
import { magicWand, type Connectivity } from '../core/trimap/region';
import {
  drawCapsule,
  fillEllipse,
  fillPolygon,
  fillRect,
  floodFill,
  stampDisc,
  type Rect,
} from '../core/trimap/raster';

export type ToolId = 'brush' | 'eraser' | 'lasso' | 'rectangle' | 'ellipse' | 'line' | 'fill' | 'wand';
export const TOOL_IDS: readonly ToolId[] = ['brush', 'eraser', 'lasso', 'rectangle', 'ellipse', 'line', 'fill', 'wand'];

export interface ToolSettings {
  tool: ToolId;
  /** The class painted by brush, lasso, shapes, line and fill. */
  cls: TrimapClass;
  /** Brush / eraser diameter and line width, in image pixels. */
  size: number;
  /** The class the eraser returns pixels to (object by default). */
  baseClass: TrimapClass;
  /** Magic wand: largest R, G or B difference to the clicked pixel that still belongs to the region (0..255). */
  tolerance: number;
  /** Magic wand (and fill holes / remove specks): 4 or 8 neighbours. */
  connectivity: Connectivity;
  /** Magic wand: only the region connected to the click (true) or every similar pixel (false). */
  contiguous: boolean;
  /** Grow / shrink distance in pixels. */
  refineRadius: number;
  /** Remove specks: connected parts below this many pixels go. */
  speckSize: number;
}

export const DEFAULT_WAND = { tolerance: 32, connectivity: 8 as Connectivity, contiguous: true };
export const DEFAULT_REFINE = { refineRadius: 2, speckSize: 50 };

export interface EditorPointer {
  /** Image coordinates (continuous; pixel (i, j) spans [i, i+1) x [j, j+1)). */
  x: number;
  y: number;
  /** 0 primary, 1 middle, 2 secondary. */
  button?: number;
  shiftKey?: boolean;
  /** Consecutive click count (2 for a double-click). */
  detail?: number;
}

export type ShapePreview =
  | { kind: 'polygon'; points: number[]; closed: boolean }
  | { kind: 'rectangle'; ax: number; ay: number; bx: number; by: number }
  | { kind: 'ellipse'; ax: number; ay: number; bx: number; by: number }
  | { kind: 'line'; ax: number; ay: number; bx: number; by: number; width: number };

export interface ToolHost {
  readonly settings: ToolSettings;
  /** Screen pixels per image pixel (for click tolerances). */
  readonly zoom: number;
  trimap(): Trimap | null;
  image(): RGBAImage | null;
  /** Id of the newest undo step (undefined when none). */
  lastStepId(): number | undefined;
  /** Reverts the newest undo step if its id is `id` (dropping it, no redo); returns whether it did. */
  dropLastStep(id: number): boolean;
  beginEdit(label: string): void;
  /** Records `bound` (a conservative bound of what `op` writes) for undo, then runs `op`. */
  paint(bound: Rect, op: (t: Trimap) => Rect): void;
  commitEdit(): void;
  setShapePreview(p: ShapePreview | null): void;
}

export interface Tool {
  readonly id: ToolId;
  /** 'idle' when no gesture is in progress. */
  readonly state: string;
  down(e: EditorPointer): void;
  move(e: EditorPointer): void;
  up(e: EditorPointer): void;
  /** Enter: finish a pending gesture (e.g. close a polygon). */
  confirm(): void;
  /** Escape or a tool switch: abandon a pending shape (a brush stroke already painted is committed). */
  cancel(): void;
}

function boundsOf(ax: number, ay: number, bx: number, by: number, pad: number): Rect {
  const x = Math.floor(Math.min(ax, bx) - pad) - 1;
  const y = Math.floor(Math.min(ay, by) - pad) - 1;
  return { x, y, w: Math.ceil(Math.max(ax, bx) + pad) + 2 - x, h: Math.ceil(Math.max(ay, by) + pad) + 2 - y };
}

/** Brush and eraser: idle -> drawing (capsules between successive points) -> idle, one undo step per stroke. */
export class BrushTool implements Tool {
  state: 'idle' | 'drawing' = 'idle';
  private lx = 0;
  private ly = 0;
  constructor(
    private readonly host: ToolHost,
    readonly id: 'brush' | 'eraser',
  ) {}

  private value(): number {
    return this.id === 'eraser' ? this.host.settings.baseClass : this.host.settings.cls;
  }

  down(e: EditorPointer): void {
    if (!this.host.trimap()) return;
    this.host.beginEdit(this.id === 'eraser' ? 'Erase' : 'Brush stroke');
    this.state = 'drawing';
    const r = this.host.settings.size / 2;
    const v = this.value();
    this.host.paint(boundsOf(e.x, e.y, e.x, e.y, r), (t) => stampDisc(t, e.x, e.y, r, v));
    this.lx = e.x;
    this.ly = e.y;
  }

  move(e: EditorPointer): void {
    if (this.state !== 'drawing') return;
    const r = this.host.settings.size / 2;
    const v = this.value();
    const { lx, ly } = this;
    this.host.paint(boundsOf(lx, ly, e.x, e.y, r), (t) => drawCapsule(t, lx, ly, e.x, e.y, r, v));
    this.lx = e.x;
    this.ly = e.y;
  }

  up(e: EditorPointer): void {
    if (this.state !== 'drawing') return;
    this.move(e);
    this.state = 'idle';
    this.host.commitEdit();
  }

  confirm(): void {}

  cancel(): void {
    if (this.state === 'drawing') {
      this.state = 'idle';
      this.host.commitEdit();
    }
  }
}

/** Rectangle, ellipse and line: idle -> dragging (preview) -> fill on release. */
export class DragShapeTool implements Tool {
  state: 'idle' | 'dragging' = 'idle';
  private ax = 0;
  private ay = 0;
  private bx = 0;
  private by = 0;
  constructor(
    private readonly host: ToolHost,
    readonly id: 'rectangle' | 'ellipse' | 'line',
  ) {}

  private preview(): ShapePreview {
    const { ax, ay, bx, by } = this;
    if (this.id === 'line') return { kind: 'line', ax, ay, bx, by, width: this.host.settings.size };
    return { kind: this.id, ax, ay, bx, by };
  }

  down(e: EditorPointer): void {
    if (!this.host.trimap()) return;
    this.state = 'dragging';
    this.ax = this.bx = e.x;
    this.ay = this.by = e.y;
    this.host.setShapePreview(this.preview());
  }

  move(e: EditorPointer): void {
    if (this.state !== 'dragging') return;
    this.bx = e.x;
    this.by = e.y;
    if (e.shiftKey && this.id !== 'line') {
      // square / circle
      const d = Math.max(Math.abs(this.bx - this.ax), Math.abs(this.by - this.ay));
      this.bx = this.ax + Math.sign(this.bx - this.ax || 1) * d;
      this.by = this.ay + Math.sign(this.by - this.ay || 1) * d;
    }
    this.host.setShapePreview(this.preview());
  }

  up(e: EditorPointer): void {
    if (this.state !== 'dragging') return;
    this.move(e);
    this.state = 'idle';
    this.host.setShapePreview(null);
    const { ax, ay, bx, by } = this;
    const v = this.host.settings.cls;
    const labels = { rectangle: 'Rectangle', ellipse: 'Ellipse', line: 'Line' } as const;
    this.host.beginEdit(labels[this.id]);
    if (this.id === 'line') {
      const r = this.host.settings.size / 2;
      this.host.paint(boundsOf(ax, ay, bx, by, r), (t) => drawCapsule(t, ax, ay, bx, by, r, v));
    } else if (this.id === 'rectangle') {
      this.host.paint(boundsOf(ax, ay, bx, by, 0), (t) => fillRect(t, ax, ay, bx, by, v));
    } else {
      this.host.paint(boundsOf(ax, ay, bx, by, 0), (t) => fillEllipse(t, ax, ay, bx, by, v));
    }
    this.host.commitEdit();
  }

  confirm(): void {}

  cancel(): void {
    if (this.state === 'dragging') {
      this.state = 'idle';
      this.host.setShapePreview(null);
    }
  }
}

/**
 * Lasso / polygon: drag to draw a free-hand outline that is filled on release; or click (without dragging)
 * to place polygon vertices, closed by clicking near the first vertex, a double-click, or Enter.
 */
export class LassoTool implements Tool {
  readonly id = 'lasso' as const;
  state: 'idle' | 'dragging' | 'polygon' = 'idle';
  private points: number[] = [];
  private downX = 0;
  private downY = 0;
  private moved = false;
  private hover: [number, number] | null = null;
  /** Screen pixels: a drag shorter than this is a click; a click this close to the first vertex closes. */
  static readonly CLICK_TOLERANCE = 6;

  constructor(private readonly host: ToolHost) {}

  private tol(): number {
    return LassoTool.CLICK_TOLERANCE / this.host.zoom;
  }

  private showPreview(): void {
    const pts = this.hover ? [...this.points, ...this.hover] : this.points;
    this.host.setShapePreview({ kind: 'polygon', points: pts, closed: false });
  }

  down(e: EditorPointer): void {
    if (!this.host.trimap()) return;
    if (this.state === 'polygon') {
      const dx = e.x - this.points[0];
      const dy = e.y - this.points[1];
      if ((this.points.length >= 6 && Math.hypot(dx, dy) <= this.tol()) || (e.detail ?? 1) >= 2) {
        this.confirm();
        return;
      }
      this.points.push(e.x, e.y);
      this.showPreview();
      return;
    }
    this.state = 'dragging';
    this.points = [e.x, e.y];
    this.downX = e.x;
    this.downY = e.y;
    this.moved = false;
    this.showPreview();
  }

  move(e: EditorPointer): void {
    if (this.state === 'dragging') {
      if (!this.moved && Math.hypot(e.x - this.downX, e.y - this.downY) > this.tol()) this.moved = true;
      if (this.moved) {
        const n = this.points.length;
        // skip sub-pixel jitter
        if (Math.hypot(e.x - this.points[n - 2], e.y - this.points[n - 1]) >= 0.5) this.points.push(e.x, e.y);
        this.showPreview();
      }
    } else if (this.state === 'polygon') {
      this.hover = [e.x, e.y];
      this.showPreview();
    }
  }

  up(_e: EditorPointer): void {
    if (this.state !== 'dragging') return;
    if (this.moved) {
      this.fill();
    } else {
      this.state = 'polygon';
      this.hover = null;
      this.showPreview();
    }
  }

  private fill(): void {
    const pts = this.points;
    this.state = 'idle';
    this.points = [];
    this.hover = null;
    this.host.setShapePreview(null);
    if (pts.length < 6) return;
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (let i = 0; i < pts.length; i += 2) {
      x0 = Math.min(x0, pts[i]);
      x1 = Math.max(x1, pts[i]);
      y0 = Math.min(y0, pts[i + 1]);
      y1 = Math.max(y1, pts[i + 1]);
    }
    const v = this.host.settings.cls;
    this.host.beginEdit('Lasso fill');
    this.host.paint(boundsOf(x0, y0, x1, y1, 0), (t) => fillPolygon(t, pts, v, 'nonzero'));
    this.host.commitEdit();
  }

  confirm(): void {
    if (this.state === 'polygon') this.fill();
  }

  cancel(): void {
    this.state = 'idle';
    this.points = [];
    this.hover = null;
    this.host.setShapePreview(null);
  }
}

/** Flood fill of the clicked connected same-class region (4-connected). */
export class FillTool implements Tool {
  readonly id = 'fill' as const;
  readonly state = 'idle';
  constructor(private readonly host: ToolHost) {}
  down(e: EditorPointer): void {
    const t = this.host.trimap();
    if (!t) return;
    const v = this.host.settings.cls;
    this.host.beginEdit('Flood fill');
    // The filled region is unknown in advance: record the whole buffer (one O(image) copy, like the fill).
    this.host.paint({ x: 0, y: 0, w: t.width, h: t.height }, (tm) => floodFill(tm, e.x, e.y, v));
    this.host.commitEdit();
  }
  move(): void {}
  up(): void {}
  confirm(): void {}
  cancel(): void {}
}

/**
 * Magic wand: a click selects the region of similar colour around the pixel (see core/trimap/region) and
 * paints it with the class, one undo step. Until anything else happens, changing the wand's settings redoes
 * that click with the new settings in place of the old step (the live preview of the tolerance slider).
 */
export class WandTool implements Tool {
  readonly id = 'wand' as const;
  readonly state = 'idle';
  private last: { x: number; y: number; cls: TrimapClass; stepId: number | undefined; made: boolean } | null = null;
  constructor(private readonly host: ToolHost) {}

  down(e: EditorPointer): void {
    this.last = null;
    this.apply(e.x, e.y, this.host.settings.cls);
  }

  private apply(x: number, y: number, cls: TrimapClass): void {
    const img = this.host.image();
    if (!img || !this.host.trimap()) return;
    const { tolerance, connectivity, contiguous } = this.host.settings;
    const before = this.host.lastStepId();
    const m = magicWand(img, x, y, { tolerance, connectivity, contiguous });
    if (m.count > 0) {
      this.host.beginEdit('Magic wand');
      this.host.paint(m.rect, (t) => paintMask(t, m.data, m.rect, cls));
      this.host.commitEdit();
    }
    const after = this.host.lastStepId();
    this.last = m.count > 0 ? { x, y, cls, stepId: after, made: after !== before } : null;
  }

  /** Whether a click can still be retuned by a settings change. */
  get retunable(): boolean {
    return this.last !== null && this.host.lastStepId() === this.last.stepId;
  }

  /** Redoes the last click with the current settings, replacing its undo step. */
  retune(): void {
    const l = this.last;
    if (!l || this.host.lastStepId() !== l.stepId) {
      this.last = null;
      return;
    }
    if (l.made && l.stepId !== undefined && !this.host.dropLastStep(l.stepId)) {
      this.last = null;
      return;
    }
    this.apply(l.x, l.y, l.cls);
  }

  move(): void {}
  up(): void {}
  confirm(): void {}
  /** Escape, a tool switch, undo or any other edit: the last click can no longer be retuned. */
  cancel(): void {
    this.last = null;
  }
}
