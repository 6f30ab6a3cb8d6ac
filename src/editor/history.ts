/**
 * Undo history of a label buffer: one step per stroke or operation, stored as dirty-rectangle before/after
 * patches. A byte cap (and a step cap) drops the oldest steps.
 */
import { EMPTY_RECT, isEmptyRect, readRect, writeRect, type LabelBuffer, type Rect } from '../core/trimap/raster';

export interface Patch {
  rect: Rect;
  before: Uint8Array;
  after: Uint8Array;
  /** 'rle': before/after are run-length encoded (see rleEncode); absent: raw w*h bytes. */
  encoding?: 'rle';
}

/**
 * Run-length encoding for label patches: [value, run length as LEB128 varint]*. Labels come in long runs,
 * so whole-image steps (fill all, import) shrink by orders of magnitude.
 */
export function rleEncode(a: Uint8Array): Uint8Array;
export function rleEncode(a: Uint8Array, limit: number): Uint8Array | null;
export function rleEncode(a: Uint8Array, limit = Infinity): Uint8Array | null {
  // A run costs 1 value byte + at most 6 varint bytes and covers at least one input byte: 2 bytes per input
  // byte at worst for short runs, so 2n (+ slack) always fits; with a limit, limit + one run.
  const cap = Math.min(2 * a.length + 16, Number.isFinite(limit) ? Math.floor(limit) + 16 : Infinity);
  const out = new Uint8Array(cap);
  let o = 0;
  let i = 0;
  while (i < a.length) {
    if (o > limit) return null; // not worth it
    const v = a[i];
    let j = i + 1;
    while (j < a.length && a[j] === v) j++;
    let n = j - i;
    out[o++] = v;
    while (n >= 0x80) {
      out[o++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    out[o++] = n;
    i = j;
  }
  if (o > limit) return null;
  return out.slice(0, o);
}

export function rleDecode(b: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let o = 0;
  let i = 0;
  while (i < b.length) {
    const v = b[i++];
    let n = 0;
    let shift = 0;
    for (;;) {
      const c = b[i++];
      n += (c & 0x7f) * 2 ** shift;
      if (c < 0x80) break;
      shift += 7;
    }
    out.fill(v, o, o + n);
    o += n;
  }
  if (o !== length) throw new Error(`corrupt RLE patch: ${o} of ${length} bytes`);
  return out;
}

/** Patches at least this large are run-length encoded when that at least halves them. */
const RLE_MIN_BYTES = 4096;

function compact(p: Patch): Patch {
  if (p.encoding || p.before.length < RLE_MIN_BYTES) return p;
  const b = rleEncode(p.before, p.before.length / 2);
  if (!b) return p;
  const a = rleEncode(p.after, p.after.length / 2);
  if (!a) return p;
  return { rect: p.rect, before: b, after: a, encoding: 'rle' };
}

function patchBytes(p: Patch, side: 'before' | 'after'): Uint8Array {
  return p.encoding === 'rle' ? rleDecode(p[side], p.rect.w * p.rect.h) : p[side];
}

export interface HistoryStep {
  id: number;
  label: string;
  patches: Patch[];
}

export function stepBytes(step: HistoryStep): number {
  let n = 0;
  for (const p of step.patches) n += p.before.byteLength + p.after.byteLength;
  return n;
}

export interface HistoryOptions {
  /** Total bytes of all stored patches (undo + redo); the oldest undo steps are dropped beyond it. */
  byteCap?: number;
  /** Maximum number of undo steps. */
  maxSteps?: number;
}

export const DEFAULT_HISTORY_BYTE_CAP = 256 * 1024 * 1024;
export const DEFAULT_HISTORY_MAX_STEPS = 1000;

export class History {
  readonly byteCap: number;
  readonly maxSteps: number;
  private undoStack: HistoryStep[] = [];
  private redoStack: HistoryStep[] = [];
  private totalBytes = 0;
  private nextId = 1;

  constructor(opts: HistoryOptions = {}) {
    this.byteCap = opts.byteCap ?? DEFAULT_HISTORY_BYTE_CAP;
    this.maxSteps = opts.maxSteps ?? DEFAULT_HISTORY_MAX_STEPS;
  }

  get bytes(): number {
    return this.totalBytes;
  }
  get undoCount(): number {
    return this.undoStack.length;
  }
  get redoCount(): number {
    return this.redoStack.length;
  }
  canUndo(): boolean {
    return this.undoStack.length > 0;
  }
  canRedo(): boolean {
    return this.redoStack.length > 0;
  }
  /** Label of the step that undo would revert. */
  peekUndo(): HistoryStep | undefined {
    return this.undoStack[this.undoStack.length - 1];
  }

  /** Records a new step (clearing the redo stack), then enforces the caps. Returns the step. */
  push(label: string, patches: Patch[]): HistoryStep {
    for (const s of this.redoStack) this.totalBytes -= stepBytes(s);
    this.redoStack = [];
    const step: HistoryStep = { id: this.nextId++, label, patches: patches.map(compact) };
    this.undoStack.push(step);
    this.totalBytes += stepBytes(step);
    this.enforceCaps();
    return step;
  }

  private enforceCaps(): void {
    // Always keep the newest step, even when it alone is over the cap.
    while (this.undoStack.length > 1 && (this.totalBytes > this.byteCap || this.undoStack.length > this.maxSteps)) {
      const old = this.undoStack.shift()!;
      this.totalBytes -= stepBytes(old);
    }
  }

  /** Reverts the newest step on `buf`; returns the rectangle that changed (EMPTY_RECT when nothing to undo). */
  undo(buf: LabelBuffer): Rect {
    const step = this.undoStack.pop();
    if (!step) return { ...EMPTY_RECT };
    for (let i = step.patches.length - 1; i >= 0; i--) writeRect(buf, step.patches[i].rect, patchBytes(step.patches[i], 'before'));
    this.redoStack.push(step);
    return boundsOf(step);
  }

  redo(buf: LabelBuffer): Rect {
    const step = this.redoStack.pop();
    if (!step) return { ...EMPTY_RECT };
    for (const p of step.patches) writeRect(buf, p.rect, patchBytes(p, 'after'));
    this.undoStack.push(step);
    return boundsOf(step);
  }

  /** Forgets the redo steps. */
  dropRedo(): void {
    for (const s of this.redoStack) this.totalBytes -= stepBytes(s);
    this.redoStack = [];
  }

  clear(): void {
    this.undoStack = [];
    this.redoStack = [];
    this.totalBytes = 0;
  }

  /** Both stacks, oldest first (for persistence). */
  snapshot(): { undo: HistoryStep[]; redo: HistoryStep[]; nextId: number } {
    return { undo: [...this.undoStack], redo: [...this.redoStack], nextId: this.nextId };
  }

  restore(s: { undo: HistoryStep[]; redo: HistoryStep[]; nextId?: number }): void {
    this.undoStack = [...s.undo];
    this.redoStack = [...s.redo];
    this.totalBytes = 0;
    let maxId = 0;
    for (const st of [...this.undoStack, ...this.redoStack]) {
      this.totalBytes += stepBytes(st);
      maxId = Math.max(maxId, st.id);
    }
    this.nextId = Math.max(s.nextId ?? 0, maxId + 1);
    this.enforceCaps();
  }
}

function boundsOf(step: HistoryStep): Rect {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const p of step.patches) {
    if (isEmptyRect(p.rect)) continue;
    x0 = Math.min(x0, p.rect.x);
    y0 = Math.min(y0, p.rect.y);
    x1 = Math.max(x1, p.rect.x + p.rect.w);
    y1 = Math.max(y1, p.rect.y + p.rect.h);
  }
  if (x1 <= x0) return { ...EMPTY_RECT };
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/**
 * Records the "before" state of a buffer during one stroke, copy-on-write by tiles: call `touch(rect)` with a
 * (conservative) bound BEFORE writing into it; `finish(dirty)` builds the stroke's before/after patch over the
 * dirty rectangle. Cost follows the touched area, not the buffer size.
 */
export class PatchRecorder {
  private readonly saved = new Map<number, Uint8Array>();
  private readonly cols: number;
  private readonly rows: number;

  constructor(
    private readonly buf: LabelBuffer,
    private readonly tile = 64,
  ) {
    this.cols = Math.ceil(buf.width / tile);
    this.rows = Math.ceil(buf.height / tile);
  }

  touch(r: Rect): void {
    if (isEmptyRect(r)) return;
    const t = this.tile;
    const tx0 = Math.max(0, Math.floor(r.x / t));
    const ty0 = Math.max(0, Math.floor(r.y / t));
    const tx1 = Math.min(this.cols - 1, Math.floor((r.x + r.w - 1) / t));
    const ty1 = Math.min(this.rows - 1, Math.floor((r.y + r.h - 1) / t));
    for (let ty = ty0; ty <= ty1; ty++) {
      for (let tx = tx0; tx <= tx1; tx++) {
        const key = ty * this.cols + tx;
        if (this.saved.has(key)) continue;
        this.saved.set(key, readRect(this.buf, this.tileRect(tx, ty)));
      }
    }
  }

  private tileRect(tx: number, ty: number): Rect {
    const t = this.tile;
    const x = tx * t;
    const y = ty * t;
    return { x, y, w: Math.min(t, this.buf.width - x), h: Math.min(t, this.buf.height - y) };
  }

  /** Builds the patch over `dirty` (null when nothing actually changed). Shrinks it to the changed bounds. */
  finish(dirty: Rect): Patch | null {
    if (isEmptyRect(dirty)) return null;
    const { width } = this.buf;
    const t = this.tile;
    // Before-image of the dirty rect: saved tiles where touched, the (unchanged) buffer elsewhere.
    const before = readRect(this.buf, dirty);
    for (let y = dirty.y; y < dirty.y + dirty.h; y++) {
      const ty = Math.floor(y / t);
      for (let tx = Math.floor(dirty.x / t); tx * t < dirty.x + dirty.w; tx++) {
        const saved = this.saved.get(ty * this.cols + tx);
        if (!saved) continue;
        const tr = this.tileRect(tx, ty);
        const xa = Math.max(dirty.x, tr.x);
        const xb = Math.min(dirty.x + dirty.w, tr.x + tr.w);
        const src = (y - tr.y) * tr.w + (xa - tr.x);
        before.set(saved.subarray(src, src + (xb - xa)), (y - dirty.y) * dirty.w + (xa - dirty.x));
      }
    }
    // Shrink to the bounds of pixels that really changed.
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -1;
    let y1 = -1;
    for (let y = 0; y < dirty.h; y++) {
      const row = (dirty.y + y) * width + dirty.x;
      for (let x = 0; x < dirty.w; x++) {
        if (this.buf.data[row + x] !== before[y * dirty.w + x]) {
          if (x < x0) x0 = x;
          if (x > x1) x1 = x;
          if (y < y0) y0 = y;
          y1 = y;
        }
      }
    }
    if (x1 < 0) return null;
    const rect = { x: dirty.x + x0, y: dirty.y + y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
    let b = before;
    if (rect.w !== dirty.w || rect.h !== dirty.h) {
      b = new Uint8Array(rect.w * rect.h);
      for (let y = 0; y < rect.h; y++) {
        const s = (y + y0) * dirty.w + x0;
        b.set(before.subarray(s, s + rect.w), y * rect.w);
      }
    }
    return { rect, before: b, after: readRect(this.buf, rect) };
  }
}
