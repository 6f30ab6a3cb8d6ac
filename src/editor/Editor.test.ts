import { describe, expect, it } from 'vitest';
import { Editor, EditorError, type EditorChange } from './Editor';
import { BACKGROUND, DEFECT, OBJECT, type RGBAImage } from '../core/image';
import { histogram } from '../core/trimap/raster';
import { generateSample } from './samples';

function image(w: number, h: number): RGBAImage {
  return { width: w, height: h, data: new Uint8ClampedArray(w * h * 4).fill(200) };
}
function counts(ed: Editor): [number, number, number] {
  const h = histogram(ed.getTrimap()!);
  return [h[0], h[1], h[2]];
}
function drag(ed: Editor, pts: [number, number][], opts: { detail?: number } = {}) {
  ed.pointerDown({ x: pts[0][0], y: pts[0][1], button: 0, ...opts });
  for (const p of pts.slice(1)) ed.pointerMove({ x: p[0], y: p[1] });
  const last = pts[pts.length - 1];
  ed.pointerUp({ x: last[0], y: last[1] });
}
const bytes = (ed: Editor) => ed.getTrimap()!.data.slice();
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe('Editor document', () => {
  it('a new image starts as all object with an empty history', () => {
    const ed = new Editor();
    ed.loadImage(image(40, 30), 'a.png');
    expect(counts(ed)).toEqual([0, 1200, 0]);
    expect(ed.canUndo()).toBe(false);
    expect(ed.getImageName()).toBe('a.png');
  });
  it('notifies subscribers and bumps revisions', () => {
    const ed = new Editor();
    const seen: EditorChange['type'][] = [];
    const off = ed.subscribe((c) => seen.push(c.type));
    ed.loadImage(image(20, 20), 'a');
    const r0 = ed.revision;
    ed.setClass(DEFECT);
    drag(ed, [[5, 5], [15, 5]]);
    expect(ed.revision).toBeGreaterThan(r0);
    expect(seen).toContain('document');
    expect(seen).toContain('trimap');
    expect(seen).toContain('history');
    off();
    const n = seen.length;
    ed.undo();
    expect(seen.length).toBe(n);
  });
});

describe('Editor tools', () => {
  it('brush paints the class along the stroke, one undo step per stroke; undo/redo restore bytes', () => {
    const ed = new Editor();
    ed.loadImage(image(64, 64), 'x');
    ed.setTool('brush');
    ed.setClass(DEFECT);
    ed.setSize(6);
    const s0 = bytes(ed);
    drag(ed, [[10.5, 10.5], [20.5, 10.5], [30.5, 10.5], [40.5, 10.5]]);
    const s1 = bytes(ed);
    expect(ed.history.undoCount).toBe(1);
    // a horizontal capsule, radius 3, length 30: rows 8..13 at least
    for (let x = 10; x <= 40; x++) expect(s1[10 * 64 + x]).toBe(DEFECT);
    expect(s1[20 * 64 + 20]).toBe(OBJECT);
    ed.setClass(BACKGROUND);
    drag(ed, [[32.5, 32.5], [32.5, 50.5]]);
    const s2 = bytes(ed);
    expect(ed.history.undoCount).toBe(2);
    expect(counts(ed)[0]).toBeGreaterThan(100);
    ed.undo();
    expect(same(bytes(ed), s1)).toBe(true);
    ed.undo();
    expect(same(bytes(ed), s0)).toBe(true);
    ed.redo();
    ed.redo();
    expect(same(bytes(ed), s2)).toBe(true);
  });

  it('eraser returns pixels to the base class (object by default)', () => {
    const ed = new Editor();
    ed.loadImage(image(32, 32), 'x');
    ed.setClass(DEFECT);
    ed.fillAll();
    expect(counts(ed)).toEqual([0, 0, 1024]);
    ed.setTool('eraser');
    ed.setSize(4);
    drag(ed, [[16, 16]]);
    const c = counts(ed);
    expect(c[1]).toBeGreaterThan(0);
    expect(c[1] + c[2]).toBe(1024);
    ed.setBaseClass(BACKGROUND);
    drag(ed, [[4, 4]]);
    expect(counts(ed)[0]).toBeGreaterThan(0);
  });

  it('rectangle, ellipse and line fill their shapes', () => {
    const ed = new Editor();
    ed.loadImage(image(100, 100), 'x');
    ed.setClass(DEFECT);
    ed.setTool('rectangle');
    drag(ed, [[10, 10], [30, 20], [30, 30]]);
    expect(counts(ed)[2]).toBe(400);
    ed.undo();
    ed.setTool('ellipse');
    drag(ed, [[0, 0], [100, 100]]);
    expect(Math.abs(counts(ed)[2] - Math.PI * 2500)).toBeLessThan(40);
    ed.undo();
    ed.setTool('line');
    ed.setSize(3);
    drag(ed, [[10, 50.5], [60, 50.5], [90, 50.5]]); // 3 px wide: rows 49, 50, 51
    const c = counts(ed)[2];
    expect(c).toBeGreaterThanOrEqual(80 * 3);
    expect(c).toBeLessThanOrEqual(80 * 3 + 10);
    expect(ed.history.undoCount).toBe(1);
    expect(ed.getShapePreview()).toBeNull();
  });

  it('lasso: a drag fills the outline; clicks build a polygon closed by clicking the first vertex', () => {
    const ed = new Editor();
    ed.loadImage(image(100, 100), 'x');
    ed.setViewport({ ...ed.getViewport(), zoom: 1 });
    ed.setClass(DEFECT);
    ed.setTool('lasso');
    drag(ed, [[10, 10], [50, 10], [50, 50], [10, 50]]);
    expect(counts(ed)[2]).toBe(1600);
    ed.undo();
    for (const p of [[60, 60], [90, 60], [90, 90]] as [number, number][]) drag(ed, [p]);
    expect(ed.getShapePreview()?.kind).toBe('polygon');
    expect(counts(ed)[2]).toBe(0);
    drag(ed, [[61, 61]]); // near the first vertex: closes
    expect(counts(ed)[2]).toBeGreaterThan(400);
    expect(counts(ed)[2]).toBeLessThan(500);
    expect(ed.getShapePreview()).toBeNull();
    expect(ed.history.undoCount).toBe(1);
    // Escape abandons a pending polygon
    drag(ed, [[5, 5]]);
    drag(ed, [[5, 40]]);
    ed.cancelGesture();
    drag(ed, [[40, 40]]);
    expect(ed.getShapePreview()).toEqual({ kind: 'polygon', points: [40, 40], closed: false });
  });

  it('flood fill changes a connected same-class region; fill-all and swap are single steps', () => {
    const ed = new Editor();
    ed.loadImage(image(50, 50), 'x');
    ed.setClass(BACKGROUND);
    ed.setTool('rectangle');
    drag(ed, [[0, 20], [50, 25]]); // a background band splits the image
    ed.setClass(DEFECT);
    ed.setTool('fill');
    drag(ed, [[5, 5]]);
    expect(counts(ed)).toEqual([250, 1250, 1000]);
    ed.swapDefectObject();
    expect(counts(ed)).toEqual([250, 1000, 1250]);
    ed.fillAll(OBJECT);
    expect(counts(ed)).toEqual([0, 2500, 0]);
    ed.undo();
    expect(counts(ed)).toEqual([250, 1000, 1250]);
    expect(ed.history.undoCount).toBe(3);
  });

  it('import trimap / mask: one step each; a size mismatch throws and changes nothing', () => {
    const ed = new Editor();
    ed.loadImage(image(4, 2), 'x');
    ed.importTrimap({ width: 4, height: 2, data: new Uint8Array([0, 1, 2, 2, 1, 1, 0, 0]) });
    expect(Array.from(ed.getTrimap()!.data)).toEqual([0, 1, 2, 2, 1, 1, 0, 0]);
    ed.importMask({ width: 4, height: 2, data: new Uint8Array([1, 1, 0, 0, 0, 0, 0, 1]) });
    expect(Array.from(ed.getTrimap()!.data)).toEqual([2, 2, 1, 1, 1, 1, 0, 2]);
    const before = bytes(ed);
    const undo = ed.history.undoCount;
    expect(() => ed.importTrimap({ width: 3, height: 2, data: new Uint8Array(6) })).toThrow(EditorError);
    expect(() => ed.importMask({ width: 4, height: 3, data: new Uint8Array(12) })).toThrow(/nothing was changed/);
    expect(same(bytes(ed), before)).toBe(true);
    expect(ed.history.undoCount).toBe(undo);
    ed.undo();
    expect(Array.from(ed.getTrimap()!.data)).toEqual([0, 1, 2, 2, 1, 1, 0, 0]);
  });

  it('undo mid-stroke commits the stroke first', () => {
    const ed = new Editor();
    ed.loadImage(image(30, 30), 'x');
    ed.setClass(DEFECT);
    ed.pointerDown({ x: 10, y: 10 });
    ed.pointerMove({ x: 20, y: 10 });
    ed.undo();
    expect(counts(ed)).toEqual([0, 900, 0]);
    expect(ed.canRedo()).toBe(true);
  });

  it('a stroke on a large image only records its dirty area', () => {
    const ed = new Editor();
    ed.loadImage(image(2048, 2048), 'big');
    ed.setClass(DEFECT);
    ed.setSize(20);
    drag(ed, [[100, 100], [140, 100]]);
    // patch ~ (40 + 20) x 20 px, before+after
    expect(ed.history.bytes).toBeLessThan(2 * 64 * 24);
    expect(ed.history.bytes).toBeGreaterThan(2 * 40 * 18);
  });
});

describe('Editor seam for the generation UI', () => {
  it('replaceImage keeps trimap and history; clearDocument empties; revisions move', () => {
    const ed = new Editor();
    ed.loadImage(image(8, 8), 'a.png');
    ed.setClass(DEFECT);
    drag(ed, [[2, 2]]);
    const rev = ed.revision;
    const imgRev = ed.imageRevision;
    const t = bytes(ed);
    const next = image(8, 8);
    next.data.fill(7);
    ed.replaceImage(next, 'a (generated).png');
    expect(ed.getImage()).toBe(next);
    expect(ed.getImageName()).toBe('a (generated).png');
    expect(same(bytes(ed), t)).toBe(true);
    expect(ed.canUndo()).toBe(true);
    expect(ed.revision).toBeGreaterThan(rev);
    expect(ed.imageRevision).toBeGreaterThan(imgRev);
    expect(() => ed.replaceImage(image(4, 4))).toThrow(EditorError);
    ed.clearDocument();
    expect(ed.getImage()).toBeNull();
    expect(ed.getTrimap()).toBeNull();
    expect(ed.canUndo()).toBe(false);
    expect(() => ed.importTrimap({ width: 1, height: 1, data: new Uint8Array(1) })).toThrow(/Open an image/);
  });
});

describe('Editor viewport', () => {
  it('zooming keeps the image point under the cursor fixed; fit centres the image', () => {
    const ed = new Editor();
    ed.setViewSize(800, 600);
    ed.loadImage(image(400, 200), 'x');
    const vp = ed.getViewport();
    expect(vp.zoom).toBeCloseTo(Math.min(768 / 400, 568 / 200));
    expect(vp.x).toBe(Math.round((800 - 400 * vp.zoom) / 2));
    const sx = 300;
    const sy = 250;
    const ix = (sx - vp.x) / vp.zoom;
    const iy = (sy - vp.y) / vp.zoom;
    ed.zoomAt(2, sx, sy);
    const v2 = ed.getViewport();
    expect(v2.zoom).toBeCloseTo(vp.zoom * 2);
    expect((sx - v2.x) / v2.zoom).toBeCloseTo(ix);
    expect((sy - v2.y) / v2.zoom).toBeCloseTo(iy);
    ed.panBy(10, -5);
    expect(ed.getViewport().x).toBeCloseTo(v2.x + 10);
    ed.fitToView();
    expect(ed.getViewport()).toEqual(vp);
  });
});

describe('samples', () => {
  it('are deterministic, opaque and not flat', () => {
    for (const id of ['brushed-metal', 'woven-fabric', 'wood', 'leather', 'tile'] as const) {
      const a = generateSample(id, 64);
      const b = generateSample(id, 64);
      expect(a.width).toBe(64);
      expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
      let min = 255;
      let max = 0;
      for (let i = 0; i < a.data.length; i += 4) {
        expect(a.data[i + 3]).toBe(255);
        min = Math.min(min, a.data[i]);
        max = Math.max(max, a.data[i]);
      }
      expect(max - min).toBeGreaterThan(20);
    }
  });
});

describe('Editor labeling assist', () => {
  /** 40x30: a dark 10x10 square at (5,5) and a brighter one (+20 in red) at (20,5), on light grey. */
  function scene(): RGBAImage {
    const w = 40;
    const h = 30;
    const data = new Uint8ClampedArray(w * h * 4);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const a = x >= 5 && x < 15 && y >= 5 && y < 15;
        const b = x >= 20 && x < 30 && y >= 5 && y < 15;
        data.set(a ? [40, 40, 40, 255] : b ? [60, 40, 40, 255] : [200, 200, 200, 255], (y * w + x) * 4);
      }
    return { width: w, height: h, data };
  }

  it('magic wand paints the region with the class, one undo step; the tolerance retunes it in place', () => {
    const ed = new Editor();
    ed.loadImage(scene(), 'scene');
    ed.setTool('wand');
    ed.setClass(DEFECT);
    ed.setWandOptions({ tolerance: 10, contiguous: false });
    ed.pointerDown({ x: 7.5, y: 7.5 });
    ed.pointerUp({ x: 7.5, y: 7.5 });
    expect(counts(ed)).toEqual([0, 1200 - 100, 100]);
    expect(ed.history.undoCount).toBe(1);
    // raising the tolerance takes in the second square: still one step
    ed.setWandOptions({ tolerance: 20 });
    expect(counts(ed)).toEqual([0, 1200 - 200, 200]);
    expect(ed.history.undoCount).toBe(1);
    expect(ed.history.redoCount).toBe(0);
    expect(ed.history.peekUndo()!.label).toBe('Magic wand');
    ed.setWandOptions({ tolerance: 5 });
    expect(counts(ed)).toEqual([0, 1100, 100]);
    ed.undo();
    expect(counts(ed)).toEqual([0, 1200, 0]);
    // after an undo the slider no longer touches the trimap
    ed.setWandOptions({ tolerance: 30 });
    expect(counts(ed)).toEqual([0, 1200, 0]);
    // 4-connected vs contiguous: a click on the background takes all of it
    ed.setClass(BACKGROUND);
    ed.setWandOptions({ contiguous: true, tolerance: 0 });
    ed.pointerDown({ x: 0, y: 0 });
    expect(counts(ed)).toEqual([1200 - 200, 200, 0]);
    expect(ed.history.undoCount).toBe(1);
    // another tool: retune is over
    ed.setTool('brush');
    ed.setTool('wand');
    ed.setWandOptions({ tolerance: 255 });
    expect(counts(ed)).toEqual([1000, 200, 0]);
  });

  it('refine commands act on the current class, each one undo step', () => {
    const ed = new Editor();
    ed.loadImage(image(30, 30), 'r');
    ed.setClass(DEFECT);
    ed.setTool('rectangle');
    drag(ed, [[10, 10], [20, 20]]);
    expect(counts(ed)[2]).toBe(100);
    ed.setRefineOptions({ refineRadius: 1 });
    expect(ed.refine('grow')).toBe(true);
    expect(counts(ed)[2]).toBe(100 + 4 * 10);
    expect(ed.refine('shrink')).toBe(true);
    expect(counts(ed)[2]).toBe(100);
    ed.setTool('brush');
    ed.setSize(1);
    ed.setClass(OBJECT);
    drag(ed, [[15.5, 15.5], [15.5, 15.5]]); // a one-pixel hole
    ed.setClass(DEFECT);
    expect(counts(ed)[2]).toBe(99);
    expect(ed.refine('fillHoles')).toBe(true);
    expect(counts(ed)[2]).toBe(100);
    drag(ed, [[2.5, 2.5], [2.5, 2.5]]); // a speck
    expect(counts(ed)[2]).toBe(101);
    ed.setRefineOptions({ speckSize: 5 });
    expect(ed.refine('removeSpecks')).toBe(true);
    expect(counts(ed)[2]).toBe(100);
    expect(ed.refine('removeSpecks')).toBe(false);
    expect(ed.history.peekUndo()!.label).toBe('Remove specks');
    const n = ed.history.undoCount;
    ed.undo();
    expect(counts(ed)[2]).toBe(101);
    expect(ed.history.undoCount).toBe(n - 1);
  });

  it('object from background sets the object region as one undo step; a flat photo changes nothing', () => {
    const ed = new Editor();
    const w = 48;
    const data = new Uint8ClampedArray(w * w * 4);
    for (let y = 0; y < w; y++)
      for (let x = 0; x < w; x++) data.set((x - 24) ** 2 + (y - 24) ** 2 < 144 ? [180, 120, 60, 255] : [30, 30, 35, 255], (y * w + x) * 4);
    ed.loadImage({ width: w, height: w, data }, 'part');
    const n = ed.objectFromBackground();
    expect(n).toBeGreaterThan(400);
    expect(counts(ed)).toEqual([w * w - n, n, 0]);
    expect(ed.getTrimap()!.data[0]).toBe(BACKGROUND);
    expect(ed.getTrimap()!.data[24 * w + 24]).toBe(OBJECT);
    expect(ed.history.undoCount).toBe(1);
    ed.undo();
    expect(counts(ed)).toEqual([0, w * w, 0]);
    const flat = new Editor();
    flat.loadImage(image(20, 20), 'flat');
    expect(flat.objectFromBackground()).toBe(0);
    expect(flat.canUndo()).toBe(false);
  });
});
