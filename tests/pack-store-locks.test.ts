/**
 * The pack store between tabs: two PackStores (two tabs, or the generate worker and another tab) over one
 * storage, with an in-memory double of the Web Locks API (navigator.locks, which Node lacks). The real
 * thing in Chromium: e2e/pack-store-tabs.spec.ts.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FsPackSource } from '../src/core/models/pack-source.node.ts';
import type { PackSource, ReadLimits } from '../src/core/models/pack-source';
import { PackStore, packLockName, type PackLockManager } from '../src/worker/packStore';
import { MemoryStoreBackend } from '../src/worker/storeBackend';
import { packDir } from './helpers';

const UNET = 'unet/model.onnx';

/** Exclusive/shared locks by name, granted in request order (as navigator.locks). */
class MemoryLocks implements PackLockManager {
  private readonly names = new Map<string, { writer: Promise<void>; readers: Promise<void>[] }>();
  readonly requested: string[] = [];
  async request<T>(name: string, options: { mode: 'exclusive' | 'shared' }, fn: () => Promise<T>): Promise<T> {
    this.requested.push(`${options.mode} ${name}`);
    const s = this.names.get(name) ?? { writer: Promise.resolve(), readers: [] };
    this.names.set(name, s);
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    let wait: Promise<unknown>;
    if (options.mode === 'exclusive') {
      wait = Promise.all([s.writer, ...s.readers]);
      s.writer = mine;
      s.readers = [];
    } else {
      wait = s.writer;
      s.readers.push(mine);
    }
    await wait;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/** tiny-sd from disk; the UNet's read waits for `open()`; counts the reads of each file. */
class GatedSource implements PackSource {
  private readonly inner = new FsPackSource(packDir('tiny-sd'));
  readonly reads = new Map<string, number>();
  private opened!: () => void;
  private readonly gate = new Promise<void>((r) => (this.opened = r));
  private reachedGate!: () => void;
  /** Resolves when the UNet's read is waiting at the gate (the download is under way). */
  readonly atGate = new Promise<void>((r) => (this.reachedGate = r));
  readonly location = this.inner.location;
  open() {
    this.opened();
  }
  async readFile(relPath: string, limits?: ReadLimits): Promise<Uint8Array> {
    this.reads.set(relPath, (this.reads.get(relPath) ?? 0) + 1);
    if (relPath === UNET) {
      this.reachedGate();
      await this.gate;
    }
    return this.inner.readFile(relPath, limits);
  }
  async readText(relPath: string, limits?: ReadLimits): Promise<string> {
    return new TextDecoder().decode(await this.readFile(relPath, limits));
  }
}

/** Lets every pending promise callback run (a few macrotasks). */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
};

/** Every stored blob of the pack has its manifest's size and sha256, and the manifest is there. */
async function expectCompleteCopy(backend: MemoryStoreBackend) {
  expect(await backend.dirs()).toEqual(['pack-tiny-sd']);
  const dir = backend.data.get('pack-tiny-sd')!;
  const m = JSON.parse(new TextDecoder().decode(dir.get('defect-studio.json')!)) as { files: Record<string, { bytes: number; sha256: string }> };
  for (const f of Object.values(m.files)) {
    expect(dir.get(f.sha256)?.length).toBe(f.bytes);
    expect(createHash('sha256').update(dir.get(f.sha256)!).digest('hex')).toBe(f.sha256);
  }
}

describe('PackStore: two tabs, one store (Web Locks per pack id)', () => {
  it('two tabs loading the same pack: one downloads, the other waits and finds the complete copy; a read waits for the writer', async () => {
    const backend = new MemoryStoreBackend();
    const locks = new MemoryLocks();
    const tabA = new PackStore(backend, locks);
    const tabB = new PackStore(backend, locks);
    const srcA = new GatedSource();
    const srcB = new GatedSource();
    const a = tabA.ensure(srcA);
    await srcA.atGate; // A is downloading (its manifest of an older copy, if any, is gone until it finishes)
    const b = tabB.ensure(srcB);
    const readB = tabB.get('tiny-sd');
    let readDone = false;
    void readB.then(() => (readDone = true));
    await settle();
    expect(readDone).toBe(false); // waits while A writes
    srcA.open();
    srcB.open();
    const [ra, rb, got] = await Promise.all([a, b, readB]);
    expect(ra.downloaded).toBe(true);
    expect(rb.downloaded).toBe(false);
    expect(srcB.reads.get(UNET) ?? 0).toBe(0); // B never downloaded a byte of the UNet
    expect(got?.manifestSha256).toBe(ra.source.manifestSha256); // the complete copy, not "no pack"
    expect(await rb.source.readFile(UNET)).toEqual(await ra.source.readFile(UNET));
    expect((await tabB.list()).map((p) => [p.id, p.complete])).toEqual([['tiny-sd', true]]);
    await expectCompleteCopy(backend);
    expect(locks.requested).toContain(`exclusive ${packLockName('tiny-sd')}`);
  });

  it('a delete in another tab during a download waits for it, then removes the whole pack: no half pack is left listed', async () => {
    const backend = new MemoryStoreBackend();
    const locks = new MemoryLocks();
    const tabA = new PackStore(backend, locks);
    const tabB = new PackStore(backend, locks);
    const src = new GatedSource();
    const a = tabA.ensure(src);
    await src.atGate;
    let deleted = false;
    const del = tabB.delete('tiny-sd').then(() => (deleted = true));
    await settle();
    expect(deleted).toBe(false); // waits for A's download
    expect((await tabB.list()).map((p) => [p.id, p.complete])).toEqual([['tiny-sd', false]]); // listed as unfinished meanwhile
    src.open();
    const ra = await a;
    await del;
    // A got the complete copy before the delete ran (its source was read inside the lock)...
    expect(ra.downloaded).toBe(true);
    // ...and the delete then removed every byte: nothing listed, no folder.
    expect(await tabB.list()).toEqual([]);
    expect(await tabA.list()).toEqual([]);
    expect(await backend.dirs()).toEqual([]);
  });
});
