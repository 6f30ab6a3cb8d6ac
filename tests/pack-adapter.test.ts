/**
 * The one decoder-adapter factory builds the same adapter from a pack read from disk (the CLI) and from
 * the in-memory files of a download (the Worker, hashes already checked): same final conv, same adapted
 * output for the same latent and target.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPackDecoderAdapter } from '../src/core/diffusion/adaptation';
import { createNodeRuntime } from '../src/core/models/ort-node.node';
import { loadPack } from '../src/core/models/pack';
import { MemoryPackSource } from '../src/core/models/pack-source';
import { FsPackSource } from '../src/core/models/pack-source.node';
import { REPO } from './helpers';

const BUILTIN = join(REPO, 'public', 'models', 'ds-surface-v1');

function readAll(dir: string, root = dir, out = new Map<string, Uint8Array>()): Map<string, Uint8Array> {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) readAll(p, root, out);
    else out.set(relative(root, p), new Uint8Array(readFileSync(p)));
  }
  return out;
}

describe('createPackDecoderAdapter', () => {
  it('gives the same adapter for the CLI (disk) and the Worker (memory, hashes skipped)', async () => {
    const runtime = createNodeRuntime({ threads: 1 });
    const fromDisk = await loadPack(new FsPackSource(BUILTIN), runtime);
    const fromMemory = await loadPack(new MemoryPackSource(readAll(BUILTIN), 'builtin'), runtime, { skipHashes: true });
    const a = await createPackDecoderAdapter(fromDisk, runtime);
    const b = await createPackDecoderAdapter(fromMemory, runtime);
    try {
      expect(a.adapter).not.toBeNull();
      expect(b.adapter).not.toBeNull();
      expect(a.notice).toBe(b.notice);
      expect(b.conv).toEqual(a.conv);
    } finally {
      await a.release();
      await b.release();
      await fromDisk.release();
      await fromMemory.release();
    }
  }, 120_000);
});
