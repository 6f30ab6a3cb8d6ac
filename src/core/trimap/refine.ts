/**
 * Refine operations on a trimap's class regions (grow, shrink, fill holes, remove specks) and writing a 0/1
 * mask into a trimap. Regions nest like the classes do (METHOD.md): the object region is object plus defect
 * pixels (a defect lies on the object), the defect region is the defect pixels, the background region the
 * background pixels.
 */
import { BACKGROUND, DEFECT, OBJECT, type Trimap, type TrimapClass } from '../image';
import { EMPTY_RECT, type Rect } from './raster';
import { fillHoles, growMask, removeSpecks, shrinkMask, type Connectivity } from './region';

/** The region of a class as a 0/1 mask (object: object or defect pixels). */
export function classRegion(t: Trimap, cls: TrimapClass): Uint8Array {
  const out = new Uint8Array(t.width * t.height);
  const d = t.data;
  if (cls === OBJECT) for (let i = 0; i < d.length; i++) out[i] = d[i] !== BACKGROUND ? 1 : 0;
  else for (let i = 0; i < d.length; i++) out[i] = d[i] === cls ? 1 : 0;
  return out;
}

/** The class a pixel gets when it leaves the region of `cls`: defect -> object, object -> background, background -> object. */
export function outsideClass(cls: TrimapClass): TrimapClass {
  return cls === DEFECT ? OBJECT : cls === OBJECT ? BACKGROUND : OBJECT;
}

/**
 * Makes `region` (0/1, same size) the region of `cls`: pixels entering it become `cls` (except that a
 * defect pixel entering the object region stays defect), pixels leaving it become outsideClass(cls).
 * Returns the bounding box of the changed pixels.
 */
export function setClassRegion(t: Trimap, cls: TrimapClass, region: Uint8Array): Rect {
  const { width, height, data } = t;
  const out = outsideClass(cls);
  let x0 = width;
  let x1 = -1;
  let y0 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let changed = false;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      const v = data[i];
      const was = cls === OBJECT ? v !== BACKGROUND : v === cls;
      const now = region[i] !== 0;
      if (was === now) continue;
      data[i] = now ? cls : out;
      changed = true;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
    }
    if (changed) {
      if (y0 < 0) y0 = y;
      y1 = y;
    }
  }
  if (y0 < 0) return { ...EMPTY_RECT };
  return { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

/** Sets every pixel of `mask` (0/1) inside `rect` to `value`; returns the bounding box of changed pixels. */
export function paintMask(t: Trimap, mask: Uint8Array, rect: Rect, value: number): Rect {
  const { width, data } = t;
  let x0 = Infinity;
  let x1 = -1;
  let y0 = -1;
  let y1 = -1;
  for (let y = rect.y; y < rect.y + rect.h; y++) {
    const row = y * width;
    let changed = false;
    for (let x = rect.x; x < rect.x + rect.w; x++) {
      const i = row + x;
      if (mask[i] === 0 || data[i] === value) continue;
      data[i] = value;
      changed = true;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
    }
    if (changed) {
      if (y0 < 0) y0 = y;
      y1 = y;
    }
  }
  if (y0 < 0) return { ...EMPTY_RECT };
  return { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

export type RefineOp = 'grow' | 'shrink' | 'fillHoles' | 'removeSpecks';

/**
 * Runs a refine operation on the region of `cls`, in place:
 * - grow / shrink by `n` pixels (exact Euclidean disc; the image border does not erode);
 * - fillHoles: enclosed gaps of the region join it (`n` unused);
 * - removeSpecks: connected parts smaller than `n` pixels leave it.
 * Returns the bounding box of the changed pixels.
 */
export function refineClass(t: Trimap, cls: TrimapClass, op: RefineOp, n: number, conn: Connectivity = 8): Rect {
  const region = { width: t.width, height: t.height, data: classRegion(t, cls) };
  let next: Uint8Array;
  if (op === 'grow') next = growMask(region, n);
  else if (op === 'shrink') next = shrinkMask(region, n);
  else if (op === 'fillHoles') next = fillHoles(region, conn);
  else next = removeSpecks(region, n, conn);
  return setClassRegion(t, cls, next);
}
