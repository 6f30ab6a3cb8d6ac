import { describe, expect, it } from 'vitest';
import { History, PatchRecorder, rleDecode, rleEncode, stepBytes } from './history';
import { drawCapsule, fillRect, floodFill, type LabelBuffer } from '../core/trimap/raster';

function buf(w: number, h: number, v = 1): LabelBuffer {
  return { width: w, height: h, data: new Uint8Array(w * h).fill(v) };
}
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

function stroke(b: LabelBuffer, h: History, x0: number, x1: number, y: number, v: number) {
  const rec = new PatchRecorder(b, 16);
  rec.touch({ x: Math.min(x0, x1) - 4, y: y - 4, w: Math.abs(x1 - x0) + 9, h: 9 });
  const r = drawCapsule(b, x0, y, x1, y, 3, v);
  const p = rec.finish(r);
  if (p) h.push('stroke', [p]);
  return p;
}

describe('PatchRecorder', () => {
  it('captures exact before/after bytes over the changed bounds only', () => {
    const b = buf(100, 80);
    const rec = new PatchRecorder(b, 16);
    rec.touch({ x: 10, y: 10, w: 30, h: 30 });
    const before = b.data.slice();
    const r = fillRect(b, 12, 14, 30, 20, 2);
    const p = rec.finish(r)!;
    expect(p.rect).toEqual({ x: 12, y: 14, w: 18, h: 6 });
    expect(p.before.every((v) => v === 1)).toBe(true);
    expect(p.after.every((v) => v === 2)).toBe(true);
    // re-applying the before patch gives the original buffer
    for (let y = 0; y < p.rect.h; y++) b.data.set(p.before.subarray(y * p.rect.w, (y + 1) * p.rect.w), (p.rect.y + y) * 100 + p.rect.x);
    expect(same(b.data, before)).toBe(true);
  });
  it('returns null when nothing changed', () => {
    const b = buf(10, 10, 2);
    const rec = new PatchRecorder(b);
    rec.touch({ x: 0, y: 0, w: 10, h: 10 });
    expect(rec.finish(fillRect(b, 0, 0, 5, 5, 2))).toBeNull();
  });
});

describe('History', () => {
  it('undo and redo restore exact bytes through many steps', () => {
    const b = buf(128, 128);
    const h = new History();
    const states = [b.data.slice()]; // states[k]: the buffer after k recorded steps
    for (let i = 0; i < 30; i++) {
      if (stroke(b, h, (i * 13) % 100, ((i * 29) % 100) + 5, (i * 17) % 128, i % 3)) states.push(b.data.slice());
    }
    // a flood fill recorded over the whole buffer
    const rec = new PatchRecorder(b, 16);
    rec.touch({ x: 0, y: 0, w: 128, h: 128 });
    const p = rec.finish(floodFill(b, 0, 0, b.data[0] === 2 ? 0 : 2));
    expect(p).not.toBeNull();
    h.push('fill', [p!]);
    states.push(b.data.slice());
    expect(h.undoCount).toBe(states.length - 1);
    expect(states.length).toBeGreaterThan(20);
    for (let k = states.length - 2; k >= 0; k--) {
      h.undo(b);
      expect(same(b.data, states[k])).toBe(true);
    }
    expect(h.canUndo()).toBe(false);
    expect(h.undo(b)).toEqual({ x: 0, y: 0, w: 0, h: 0 });
    for (let k = 1; k < states.length; k++) {
      h.redo(b);
      expect(same(b.data, states[k])).toBe(true);
    }
    expect(same(b.data, states[states.length - 1])).toBe(true);
  });

  it('keeps at least 200 steps by default and drops the oldest beyond the byte cap', () => {
    const b = buf(256, 256);
    const big = new History();
    for (let i = 0; i < 250; i++) stroke(b, big, 10, 200, i % 256, i % 2 === 0 ? 2 : 1);
    expect(big.undoCount).toBe(250);

    const b2 = buf(256, 256);
    const capped = new History({ byteCap: 20_000 });
    const ids: number[] = [];
    for (let i = 0; i < 40; i++) {
      const before = b2.data.slice();
      stroke(b2, capped, 10, 200, (i * 5) % 256, i % 2 === 0 ? 2 : 0);
      if (!same(before, b2.data)) ids.push(i);
    }
    expect(capped.bytes).toBeLessThanOrEqual(20_000);
    const snap = capped.snapshot();
    const total = snap.undo.reduce((s, st) => s + stepBytes(st), 0);
    expect(total).toBe(capped.bytes);
    expect(capped.undoCount).toBeLessThan(ids.length);
    expect(capped.undoCount).toBeGreaterThan(0);
    // the newest steps survive: ids are increasing and end at the last pushed id
    const stepIds = snap.undo.map((s) => s.id);
    expect([...stepIds].sort((a, c) => a - c)).toEqual(stepIds);
    expect(stepIds[stepIds.length - 1]).toBe(snap.nextId - 1);
  });

  it('a new step clears the redo stack; restore() rebuilds byte accounting', () => {
    const b = buf(64, 64);
    const h = new History();
    stroke(b, h, 5, 50, 10, 2);
    stroke(b, h, 5, 50, 30, 2);
    h.undo(b);
    expect(h.redoCount).toBe(1);
    stroke(b, h, 5, 50, 50, 0);
    expect(h.redoCount).toBe(0);
    const s = h.snapshot();
    const h2 = new History();
    h2.restore(s);
    expect(h2.bytes).toBe(h.bytes);
    expect(h2.undoCount).toBe(2);
  });
});

describe('RLE patches', () => {
  it('round-trips arbitrary bytes, including runs longer than 127 and 16383', () => {
    const a = new Uint8Array(100_000);
    a.fill(2, 10, 20_000);
    a.fill(1, 20_000, 20_001);
    for (let i = 50_000; i < 50_300; i++) a[i] = i % 3;
    const e = rleEncode(a);
    expect(e.length).toBeLessThan(1000);
    expect(Buffer.from(rleDecode(e, a.length)).equals(Buffer.from(a))).toBe(true);
    expect(() => rleDecode(e, a.length + 1)).toThrow(/corrupt/);
  });
  it('a whole-image step is stored compressed and still undoes exactly', () => {
    const b = buf(512, 512);
    fillRect(b, 0, 0, 100, 100, 2);
    const before = b.data.slice();
    const h = new History();
    const rec = new PatchRecorder(b);
    rec.touch({ x: 0, y: 0, w: 512, h: 512 });
    b.data.fill(0);
    const p = rec.finish({ x: 0, y: 0, w: 512, h: 512 })!;
    h.push('fill all', [p]);
    expect(h.bytes).toBeLessThan(2000);
    h.undo(b);
    expect(same(b.data, before)).toBe(true);
    h.redo(b);
    expect(b.data.every((v) => v === 0)).toBe(true);
  });
});
