/**
 * The worker's "Add model" step (src/worker/addPack.ts) over a recording pack store: a pack is checked with
 * real onnxruntime-web (WASM) sessions before the store sees it; a bad pack never reaches the store; the
 * same pack is not stored twice; the built-in model's id is refused; a pack from a URL is downloaded once.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import * as ortWeb from 'onnxruntime-web/wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PackError } from '../src/core/models/errors';
import { createWebRuntime, type WebOrtModule } from '../src/core/models/ort-web';
import type { PackSource } from '../src/core/models/pack-source';
import { addPack, type AddProgress, type KeptPack, type PackKeeper, type PackOrigin } from '../src/worker/addPack';
import { packDir } from './helpers';

const runtime = createWebRuntime(ortWeb as unknown as WebOrtModule, { backend: 'wasm', numThreads: 1 });

/** A store that records what it was asked to keep (and reads every file of it, as a real store does). */
class RecordingStore implements PackKeeper {
  kept: KeptPack[] = [];
  puts = 0;
  async list() {
    return this.kept;
  }
  async put(source: PackSource): Promise<KeptPack> {
    this.puts++;
    const manifest = JSON.parse(await source.readText('defect-studio.json'));
    let bytes = 0;
    for (const [name, f] of Object.entries(manifest.files as Record<string, { bytes: number }>)) {
      bytes += (await source.readFile(name, { bytes: f.bytes })).length;
    }
    const { createHash } = await import('node:crypto');
    const sha = createHash('sha256').update(await source.readFile('defect-studio.json')).digest('hex');
    const p = { id: manifest.id, name: manifest.name, bytes, storedBytes: bytes, complete: true, source: source.location, manifestSha256: sha };
    this.kept = [...this.kept.filter((k) => k.id !== p.id), p];
    return p;
  }
}

function folder(root: string, name: string): PackOrigin {
  const files: { path: string; file: Blob }[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else files.push({ path: relative(root, p).split(sep).join('/'), file: new Blob([readFileSync(p)]) });
    }
  };
  walk(root);
  return { kind: 'folder', name, files };
}

let dir: string;
let server: Server;
let base: string;
const requests: string[] = [];
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ds-add-pack-'));
  server = createServer(async (req, res) => {
    const rel = decodeURIComponent(new URL(req.url!, 'http://x').pathname.slice(1));
    requests.push(`${req.method} ${rel}`);
    try {
      const body = readFileSync(join(packDir(''), rel));
      res.writeHead(200, { 'content-length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('addPack', () => {
  it('checks, then keeps a folder pack; a second add of the same pack keeps nothing new', async () => {
    const store = new RecordingStore();
    const phases: AddProgress['step'][] = [];
    const r = await addPack(folder(packDir('tiny-sd'), 'tiny-sd'), runtime, store, (p) => phases.push(p.step));
    expect(r.already).toBe(false);
    expect(r.pack.id).toBe('tiny-sd');
    expect(store.puts).toBe(1);
    // Every check step comes before the store is asked.
    expect(phases[0]).toBe('checking');
    const again = await addPack(folder(packDir('tiny-sd'), 'tiny-sd'), runtime, store);
    expect(again).toEqual({ pack: r.pack, already: true });
    expect(store.puts).toBe(1);
  });

  it('a broken pack never reaches the store', async () => {
    const root = join(dir, 'broken');
    cpSync(packDir('tiny-sd'), root, { recursive: true });
    writeFileSync(join(root, 'scheduler', 'scheduler_config.json'), '{}');
    const store = new RecordingStore();
    await expect(addPack(folder(root, 'broken'), runtime, store)).rejects.toThrow(/file size differs from the manifest; file scheduler\/scheduler_config.json/);
    expect(store.puts).toBe(0);
  });

  it("refuses the built-in model's id (one stored copy per id would replace it)", async () => {
    const store = new RecordingStore();
    const err = await addPack(folder(packDir('tiny-builtin'), 'x'), runtime, store, undefined, ['tiny-builtin']).catch((e) => e);
    expect(err).toBeInstanceOf(PackError);
    expect(err.message).toMatch(/the pack's id "tiny-builtin" is the built-in model's/);
    expect(store.puts).toBe(0);
  });

  it('a pack from a URL is downloaded once for the check and the store', async () => {
    requests.length = 0;
    const store = new RecordingStore();
    const r = await addPack({ kind: 'url', url: `${base}tiny-controlnet` }, runtime, store);
    expect(r.pack.id).toBe('tiny-controlnet');
    const gets = requests.filter((q) => q.startsWith('GET '));
    const manifest = JSON.parse(readFileSync(join(packDir('tiny-controlnet'), 'defect-studio.json'), 'utf8'));
    for (const f of Object.keys(manifest.files)) expect(gets.filter((q) => q === `GET tiny-controlnet/${f}`)).toHaveLength(1);
  });
});
