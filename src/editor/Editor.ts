/**
 * The headless editor: document (image + trimap), tools, history, viewport. No React, no DOM: the UI renders
 * what it reads here and forwards pointer events in image coordinates. Tests drive it the same way.
 */
import { DefectStudioError } from '../core/errors';
import { BACKGROUND, DEFECT, OBJECT, type RGBAImage, type Trimap, type TrimapClass } from '../core/image';
import { maskOverTrimap } from '../core/trimap/png';
import { proposeObject } from '../core/trimap/proposal';
import { refineClass, setClassRegion, type RefineOp } from '../core/trimap/refine';
import type { Connectivity } from '../core/trimap/region';
import { fillAll, intersectRect, isEmptyRect, swapValues, unionRect, EMPTY_RECT, type Rect } from '../core/trimap/raster';
import { History, PatchRecorder, type HistoryOptions, type HistoryStep } from './history';
import {
  BrushTool,
  DEFAULT_REFINE,
  DEFAULT_WAND,
  DragShapeTool,
  FillTool,
  LassoTool,
  type EditorPointer,
  type ShapePreview,
  type Tool,
  type ToolHost,
  type ToolId,
  type ToolSettings,
  WandTool,
} from './tools';
import { fitImage, panBy, zoomAt, type Viewport } from './viewport';

export type EditorChange =
  /** A new image (or none): everything must be redrawn. */
  | { type: 'document' }
  /** Trimap pixels changed inside `rect`. */
  | { type: 'trimap'; rect: Rect }
  | { type: 'view' }
  | { type: 'settings' }
  | { type: 'history' }
  /** Shape preview or cursor moved. */
  | { type: 'preview' };

export type EditorListener = (change: EditorChange) => void;

export class EditorError extends DefectStudioError {
  constructor(message: string) {
    super('input', message);
    this.name = 'EditorError';
  }
}

export const MIN_BRUSH = 1;
export const MAX_BRUSH = 1000;

export interface EditorOptions {
  history?: HistoryOptions;
}

export interface SessionState {
  image: RGBAImage;
  imageName: string;
  trimap: Trimap;
  undo: HistoryStep[];
  redo: HistoryStep[];
  /** Tool settings and view at save time (optional: older saves lack them). */
  settings?: ToolSettings;
  view?: { zoom: number; x: number; y: number };
}

export class Editor {
  private image: RGBAImage | null = null;
  private trimap: Trimap | null = null;
  private imageName = '';
  private readonly listeners = new Set<EditorListener>();
  readonly history: History;

  /** Increments whenever the image or the trimap changes. */
  revision = 0;
  /** Increments when a new image is loaded (or the document cleared). */
  imageRevision = 0;
  /** True while the view is the one a restored session brought (the UI then does not re-fit it). */
  viewFromSession = false;

  private settings: ToolSettings = { tool: 'brush', cls: DEFECT, size: 24, baseClass: OBJECT, ...DEFAULT_WAND, ...DEFAULT_REFINE };
  private viewport: Viewport = { zoom: 1, x: 0, y: 0, viewWidth: 800, viewHeight: 600 };
  private readonly tools: Record<ToolId, Tool>;
  private recorder: PatchRecorder | null = null;
  private editLabel = '';
  private editDirty: Rect = { ...EMPTY_RECT };
  private shapePreview: ShapePreview | null = null;
  private cursor: { x: number; y: number } | null = null;

  constructor(opts: EditorOptions = {}) {
    this.history = new History(opts.history);
    const editor = this;
    const host: ToolHost = {
      get settings() {
        return editor.settings;
      },
      get zoom() {
        return editor.viewport.zoom;
      },
      trimap: () => this.trimap,
      image: () => this.image,
      lastStepId: () => this.history.peekUndo()?.id,
      dropLastStep: (id) => this.dropLastStep(id),
      beginEdit: (label) => this.beginEdit(label),
      paint: (bound, op) => this.paint(bound, op),
      commitEdit: () => this.commitEdit(),
      setShapePreview: (p) => {
        this.shapePreview = p;
        this.emit({ type: 'preview' });
      },
    };
    this.tools = {
      brush: new BrushTool(host, 'brush'),
      eraser: new BrushTool(host, 'eraser'),
      lasso: new LassoTool(host),
      rectangle: new DragShapeTool(host, 'rectangle'),
      ellipse: new DragShapeTool(host, 'ellipse'),
      line: new DragShapeTool(host, 'line'),
      fill: new FillTool(host),
      wand: new WandTool(host),
    };
  }

  // ---- subscription -------------------------------------------------------------------------------------

  subscribe(listener: EditorListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private emit(change: EditorChange): void {
    for (const l of [...this.listeners]) l(change);
  }

  // ---- document -----------------------------------------------------------------------------------------

  getImage(): RGBAImage | null {
    return this.image;
  }
  getTrimap(): Trimap | null {
    return this.trimap;
  }
  getImageName(): string {
    return this.imageName;
  }
  hasDocument(): boolean {
    return this.image !== null;
  }

  /** Opens an image with a fresh all-object trimap (or the given one) and an empty history. */
  loadImage(image: RGBAImage, name: string, trimap?: Trimap): void {
    if (image.data.length !== image.width * image.height * 4) throw new EditorError('Image buffer size does not match its dimensions.');
    if (trimap && (trimap.width !== image.width || trimap.height !== image.height)) {
      throw new EditorError(`The trimap is ${trimap.width}x${trimap.height} but the image is ${image.width}x${image.height}.`);
    }
    this.abortGesture();
    this.image = image;
    this.imageName = name;
    this.trimap = trimap ?? { width: image.width, height: image.height, data: new Uint8Array(image.width * image.height).fill(OBJECT) };
    this.history.clear();
    this.revision++;
    this.imageRevision++;
    this.viewport = fitImage(this.viewport, image.width, image.height);
    this.viewFromSession = false;
    this.emit({ type: 'document' });
    this.emit({ type: 'history' });
    this.emit({ type: 'view' });
  }

  /**
   * Replaces the photo's pixels with a same-sized image (e.g. a generated result), keeping the trimap, the
   * history and the view. Throws EditorError, changing nothing, on a size mismatch.
   */
  replaceImage(image: RGBAImage, name = this.imageName): void {
    const cur = this.requireImage();
    if (image.width !== cur.width || image.height !== cur.height || image.data.length !== image.width * image.height * 4) {
      throw new EditorError(`The new image is ${image.width}x${image.height} but the document is ${cur.width}x${cur.height}.`);
    }
    this.image = image;
    this.imageName = name;
    this.revision++;
    this.imageRevision++;
    this.emit({ type: 'document' });
  }

  /** Restores a persisted session exactly (image, trimap, undo/redo stacks). */
  restoreSession(s: SessionState): void {
    this.loadImage(s.image, s.imageName, s.trimap);
    this.history.restore({ undo: s.undo, redo: s.redo });
    this.emit({ type: 'history' });
    if (s.settings) {
      const { tool, cls, size, baseClass, tolerance, connectivity, contiguous, refineRadius, speckSize } = s.settings;
      if (tool in this.tools) this.setTool(tool);
      this.setClass(cls);
      this.setBaseClass(baseClass);
      this.setSize(size);
      // older saves lack the wand and refine settings
      this.setWandOptions({ tolerance, connectivity, contiguous });
      this.setRefineOptions({ refineRadius, speckSize });
    }
    if (s.view && s.view.zoom > 0) {
      this.setViewport({ ...this.viewport, zoom: s.view.zoom, x: s.view.x, y: s.view.y });
      this.viewFromSession = true;
    }
  }

  /** Closes the document ("New"). */
  clearDocument(): void {
    this.abortGesture();
    this.image = null;
    this.trimap = null;
    this.imageName = '';
    this.history.clear();
    this.revision++;
    this.imageRevision++;
    this.emit({ type: 'document' });
    this.emit({ type: 'history' });
  }

  // ---- settings -----------------------------------------------------------------------------------------

  getSettings(): Readonly<ToolSettings> {
    return this.settings;
  }

  setTool(tool: ToolId): void {
    if (tool === this.settings.tool) return;
    this.tools[this.settings.tool].cancel();
    this.settings = { ...this.settings, tool };
    this.emit({ type: 'settings' });
  }

  setClass(cls: TrimapClass): void {
    if (cls !== BACKGROUND && cls !== OBJECT && cls !== DEFECT) return;
    this.settings = { ...this.settings, cls };
    this.emit({ type: 'settings' });
  }

  setBaseClass(cls: TrimapClass): void {
    this.settings = { ...this.settings, baseClass: cls };
    this.emit({ type: 'settings' });
  }

  setSize(size: number): void {
    const s = Math.round(Math.min(MAX_BRUSH, Math.max(MIN_BRUSH, size)));
    if (s === this.settings.size) return;
    this.settings = { ...this.settings, size: s };
    this.emit({ type: 'settings' });
    this.emit({ type: 'preview' });
  }

  /**
   * Magic wand settings. When the last wand click can still be redone (nothing else happened since), it is
   * redone with the new settings, replacing its undo step: the canvas previews the tolerance live.
   */
  setWandOptions(o: { tolerance?: number; connectivity?: Connectivity; contiguous?: boolean }): void {
    const next = { ...this.settings };
    if (typeof o.tolerance === 'number' && Number.isFinite(o.tolerance)) next.tolerance = Math.round(Math.min(255, Math.max(0, o.tolerance)));
    if (o.connectivity === 4 || o.connectivity === 8) next.connectivity = o.connectivity;
    if (typeof o.contiguous === 'boolean') next.contiguous = o.contiguous;
    const s = this.settings;
    if (next.tolerance === s.tolerance && next.connectivity === s.connectivity && next.contiguous === s.contiguous) return;
    this.settings = next;
    this.emit({ type: 'settings' });
    if (this.settings.tool === 'wand') (this.tools.wand as WandTool).retune();
  }

  /** Grow / shrink radius (1..200 px) and the speck size (1..1e6 px) of the refine commands. */
  setRefineOptions(o: { refineRadius?: number; speckSize?: number }): void {
    const next = { ...this.settings };
    if (typeof o.refineRadius === 'number' && Number.isFinite(o.refineRadius)) next.refineRadius = Math.round(Math.min(200, Math.max(1, o.refineRadius)));
    if (typeof o.speckSize === 'number' && Number.isFinite(o.speckSize)) next.speckSize = Math.round(Math.min(1e6, Math.max(1, o.speckSize)));
    if (next.refineRadius === this.settings.refineRadius && next.speckSize === this.settings.speckSize) return;
    this.settings = next;
    this.emit({ type: 'settings' });
  }

  /** `[` / `]`: about 15% per step, at least 1 px. */
  stepSize(direction: 1 | -1): void {
    const s = this.settings.size;
    const next = direction > 0 ? Math.max(s + 1, s * 1.15) : Math.min(s - 1, s / 1.15);
    this.setSize(next);
  }

  // ---- pointer input (image coordinates) ----------------------------------------------------------------

  private activeTool(): Tool {
    return this.tools[this.settings.tool];
  }

  pointerDown(e: EditorPointer): void {
    if ((e.button ?? 0) !== 0) return;
    this.cursor = { x: e.x, y: e.y };
    this.activeTool().down(e);
  }

  pointerMove(e: EditorPointer): void {
    this.cursor = { x: e.x, y: e.y };
    this.activeTool().move(e);
    this.emit({ type: 'preview' });
  }

  pointerUp(e: EditorPointer): void {
    this.activeTool().up(e);
  }

  pointerLeave(): void {
    this.cursor = null;
    this.emit({ type: 'preview' });
  }

  /** Enter: finish a pending gesture (close a polygon). */
  confirmGesture(): void {
    this.activeTool().confirm();
  }

  /** Escape: abandon a pending shape. */
  cancelGesture(): void {
    this.activeTool().cancel();
  }

  isGestureActive(): boolean {
    return this.activeTool().state !== 'idle';
  }

  getShapePreview(): ShapePreview | null {
    return this.shapePreview;
  }

  getCursor(): { x: number; y: number } | null {
    return this.cursor;
  }

  private abortGesture(): void {
    this.activeTool().cancel();
    this.commitEdit();
  }

  // ---- edits and history --------------------------------------------------------------------------------

  private beginEdit(label: string): void {
    if (!this.trimap) return;
    if (this.recorder) this.commitEdit();
    this.recorder = new PatchRecorder(this.trimap);
    this.editLabel = label;
    this.editDirty = { ...EMPTY_RECT };
  }

  private paint(bound: Rect, op: (t: Trimap) => Rect): void {
    const t = this.trimap;
    if (!t) return;
    if (!this.recorder) this.beginEdit('Edit');
    const clipped = intersectRect(bound, { x: 0, y: 0, w: t.width, h: t.height });
    this.recorder!.touch(clipped);
    const dirty = op(t);
    if (isEmptyRect(dirty)) return;
    this.editDirty = unionRect(this.editDirty, dirty);
    this.revision++;
    this.emit({ type: 'trimap', rect: dirty });
  }

  /** Reverts the newest undo step if it is `id`, without keeping it for redo (the wand's retune). */
  private dropLastStep(id: number): boolean {
    const t = this.trimap;
    if (!t || this.recorder || this.history.peekUndo()?.id !== id) return false;
    const r = this.history.undo(t);
    this.history.dropRedo();
    this.afterHistoryMove(r);
    return true;
  }

  private commitEdit(): void {
    const rec = this.recorder;
    if (!rec) return;
    this.recorder = null;
    const patch = rec.finish(this.editDirty);
    this.editDirty = { ...EMPTY_RECT };
    if (!patch) return;
    this.history.push(this.editLabel, [patch]);
    this.emit({ type: 'history' });
  }

  /** Runs a whole-image operation as one undo step. */
  private wholeImageEdit(label: string, op: (t: Trimap) => Rect): void {
    const t = this.trimap;
    if (!t) return;
    this.abortGesture();
    this.beginEdit(label);
    this.paint({ x: 0, y: 0, w: t.width, h: t.height }, op);
    this.commitEdit();
  }

  canUndo(): boolean {
    return this.history.canUndo();
  }
  canRedo(): boolean {
    return this.history.canRedo();
  }

  undo(): void {
    if (!this.trimap) return;
    this.abortGesture();
    const r = this.history.undo(this.trimap);
    this.afterHistoryMove(r);
  }

  redo(): void {
    if (!this.trimap) return;
    this.abortGesture();
    const r = this.history.redo(this.trimap);
    this.afterHistoryMove(r);
  }

  private afterHistoryMove(r: Rect): void {
    if (!isEmptyRect(r)) {
      this.revision++;
      this.emit({ type: 'trimap', rect: r });
    }
    this.emit({ type: 'history' });
  }

  /** Sets every pixel to a class (default: the current class). */
  fillAll(cls: TrimapClass = this.settings.cls): void {
    this.wholeImageEdit('Fill all', (t) => fillAll(t, cls));
  }

  /** Exchanges defect and object labels. */
  swapDefectObject(): void {
    this.wholeImageEdit('Swap defect/object', (t) => swapValues(t, DEFECT, OBJECT));
  }

  /**
   * Refines the region of the current class (see core/trimap/refine): grow / shrink by the refine radius,
   * fill holes, or remove specks below the speck size; one undo step. Returns whether any pixel changed.
   */
  refine(op: RefineOp): boolean {
    if (!this.trimap) return false;
    const { cls, refineRadius, speckSize, connectivity } = this.settings;
    const n = op === 'removeSpecks' ? speckSize : refineRadius;
    const labels: Record<RefineOp, string> = { grow: 'Grow region', shrink: 'Shrink region', fillHoles: 'Fill holes', removeSpecks: 'Remove specks' };
    const top = this.history.peekUndo()?.id;
    this.wholeImageEdit(labels[op], (t) => refineClass(t, cls, op, n, connectivity));
    return this.history.peekUndo()?.id !== top;
  }

  /**
   * "Object from background": the proposed object region (core/trimap/proposal) becomes the object region
   * (pixels outside it background; defects inside stay), one undo step. Returns the proposal's pixel count;
   * 0 (and nothing changed) when the photo has no part that stands out from its border.
   */
  objectFromBackground(): number {
    const img = this.image;
    if (!img || !this.trimap) return 0;
    const p = proposeObject(img);
    if (p.count === 0) return 0;
    this.wholeImageEdit('Object from background', (t) => setClassRegion(t, OBJECT, p.mask));
    return p.count;
  }

  /** Replaces the trimap (one undo step). Throws EditorError, changing nothing, on a size mismatch. */
  importTrimap(trimap: Trimap): void {
    const img = this.requireImage();
    if (trimap.width !== img.width || trimap.height !== img.height) {
      throw new EditorError(
        `The trimap is ${trimap.width}x${trimap.height} but the image is ${img.width}x${img.height}; nothing was changed.`,
      );
    }
    this.wholeImageEdit('Import trimap', (t) => {
      t.data.set(trimap.data);
      return { x: 0, y: 0, w: t.width, h: t.height };
    });
  }

  /** Paints a binary defect mask as defect over object (one undo step). Throws on a size mismatch. */
  importMask(mask: { width: number; height: number; data: Uint8Array }): void {
    const img = this.requireImage();
    if (mask.width !== img.width || mask.height !== img.height) {
      throw new EditorError(`The mask is ${mask.width}x${mask.height} but the image is ${img.width}x${img.height}; nothing was changed.`);
    }
    const next = maskOverTrimap(mask, this.trimap!);
    this.wholeImageEdit('Import mask', (t) => {
      t.data.set(next.data);
      return { x: 0, y: 0, w: t.width, h: t.height };
    });
  }

  private requireImage(): RGBAImage {
    if (!this.image || !this.trimap) throw new EditorError('Open an image first.');
    return this.image;
  }

  // ---- viewport -----------------------------------------------------------------------------------------

  getViewport(): Readonly<Viewport> {
    return this.viewport;
  }

  setViewport(vp: Viewport): void {
    this.viewport = { ...vp };
    this.emit({ type: 'view' });
  }

  /** The canvas was resized. Re-fits when nothing has been zoomed yet (`fit`), else keeps the view. */
  setViewSize(width: number, height: number, fit = false): void {
    this.viewport = { ...this.viewport, viewWidth: width, viewHeight: height };
    if (fit && this.image) this.viewport = fitImage(this.viewport, this.image.width, this.image.height);
    this.emit({ type: 'view' });
  }

  zoomAt(factor: number, sx: number, sy: number): void {
    this.setViewport(zoomAt(this.viewport, factor, sx, sy));
  }

  zoomCentered(factor: number): void {
    this.zoomAt(factor, this.viewport.viewWidth / 2, this.viewport.viewHeight / 2);
  }

  panBy(dx: number, dy: number): void {
    this.setViewport(panBy(this.viewport, dx, dy));
  }

  fitToView(): void {
    if (!this.image) return;
    this.setViewport(fitImage(this.viewport, this.image.width, this.image.height));
  }

  /** Zoom 1:1 around the view centre. */
  actualSize(): void {
    this.zoomCentered(1 / this.viewport.zoom);
  }
}
