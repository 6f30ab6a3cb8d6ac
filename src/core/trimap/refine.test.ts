import { describe, expect, it } from 'vitest';
import { BACKGROUND, DEFECT, OBJECT, type Trimap } from '../image';
import { classRegion, outsideClass, paintMask, refineClass, setClassRegion } from './refine';

const CH: Record<string, number> = { '.': BACKGROUND, o: OBJECT, '#': DEFECT };
function tri(rows: string[]): Trimap {
  const width = rows[0].length;
  const data = new Uint8Array(width * rows.length);
  rows.forEach((r, y) => [...r].forEach((c, x) => (data[y * width + x] = CH[c])));
  return { width, height: rows.length, data };
}
function show(t: Trimap): string[] {
  const inv = ['.', 'o', '#'];
  const out: string[] = [];
  for (let y = 0; y < t.height; y++) out.push([...t.data.subarray(y * t.width, (y + 1) * t.width)].map((v) => inv[v]).join(''));
  return out;
}

describe('refine on trimap classes', () => {
  it('regions nest: the object region includes the defect', () => {
    const t = tri(['.o#', '#o.']);
    expect([...classRegion(t, OBJECT)]).toEqual([0, 1, 1, 1, 1, 0]);
    expect([...classRegion(t, DEFECT)]).toEqual([0, 0, 1, 1, 0, 0]);
    expect([...classRegion(t, BACKGROUND)]).toEqual([1, 0, 0, 0, 0, 1]);
    expect([outsideClass(DEFECT), outsideClass(OBJECT), outsideClass(BACKGROUND)]).toEqual([OBJECT, BACKGROUND, OBJECT]);
  });

  it('setClassRegion writes entering and leaving pixels only and returns their bounds', () => {
    const t = tri(['oooo', 'o##o', 'oooo']);
    const r = setClassRegion(t, DEFECT, Uint8Array.from([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]));
    expect(show(t)).toEqual(['oooo', 'o#oo', 'oo#o']);
    expect(r).toEqual({ x: 2, y: 1, w: 1, h: 2 });
    // an object region that shrinks leaves background, and a defect inside it stays defect
    const u = tri(['oooo', 'o#oo', 'oooo']);
    setClassRegion(u, OBJECT, Uint8Array.from([0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0]));
    expect(show(u)).toEqual(['.oo.', '.#o.', '....']);
  });

  it('grow / shrink the defect by N pixels (Euclidean), over any class', () => {
    const t = tri(['.......', '.ooooo.', '.ooooo.', '.oo#oo.', '.ooooo.', '.ooooo.', '.......']);
    const r = refineClass(t, DEFECT, 'grow', 2);
    expect(show(t)).toEqual(['.......', '.oo#oo.', '.o###o.', '.#####.', '.o###o.', '.oo#oo.', '.......']);
    expect(r).toEqual({ x: 1, y: 1, w: 5, h: 5 });
    // the radius-2 disc shrunk by 1 is the radius-1 disc
    refineClass(t, DEFECT, 'shrink', 1);
    expect(show(t)).toEqual(['.......', '.ooooo.', '.oo#oo.', '.o###o.', '.oo#oo.', '.ooooo.', '.......']);
    // shrinking the object region turns its rim into background
    refineClass(t, OBJECT, 'shrink', 1);
    expect(show(t)).toEqual(['.......', '.......', '..o#o..', '..###..', '..o#o..', '.......', '.......']);
  });

  it('fills holes of the defect and removes specks below N pixels, each returning its dirty box', () => {
    const t = tri(['oooooo', 'o###oo', 'o#o#oo', 'o###oo', 'oooo#o']);
    expect(refineClass(t, DEFECT, 'fillHoles', 0)).toEqual({ x: 2, y: 2, w: 1, h: 1 });
    expect(show(t)).toEqual(['oooooo', 'o###oo', 'o###oo', 'o###oo', 'oooo#o']);
    // the lone pixel touches the block diagonally: 8-connected it is part of it
    expect(refineClass(t, DEFECT, 'removeSpecks', 5, 8)).toEqual({ x: 0, y: 0, w: 0, h: 0 });
    expect(refineClass(t, DEFECT, 'removeSpecks', 5, 4)).toEqual({ x: 4, y: 4, w: 1, h: 1 });
    expect(show(t)).toEqual(['oooooo', 'o###oo', 'o###oo', 'o###oo', 'oooooo']);
    // a defect inside the object region is not a hole of the object
    const u = tri(['......', '.oooo.', '.o##o.', '.oooo.', '......']);
    expect(refineClass(u, OBJECT, 'fillHoles', 0)).toEqual({ x: 0, y: 0, w: 0, h: 0 });
  });

  it('paintMask sets the class under a mask inside a rectangle', () => {
    const t = tri(['ooo', 'ooo']);
    const r = paintMask(t, Uint8Array.from([1, 1, 0, 0, 1, 0]), { x: 1, y: 0, w: 2, h: 2 }, DEFECT);
    expect(show(t)).toEqual(['o#o', 'o#o']);
    expect(r).toEqual({ x: 1, y: 0, w: 1, h: 2 });
  });
});
