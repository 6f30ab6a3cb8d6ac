/**
 * A model pack cannot take the host down: symlinks out of the pack, devices, FIFOs and folders are refused,
 * sizes are checked before reading (never more than declared is read), and a file listed under several
 * spellings is read once. Every refusal is a PackError naming the file.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, openSync, closeSync, ftruncateSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PackError } from '../src/core/models/errors';
import { canonicalPackPath, parseManifest, sha256Hex } from '../src/core/models/manifest';
import { loadPack } from '../src/core/models/pack';
import { FetchPackSource, type PackSource, type ReadLimits } from '../src/core/models/pack-source';
import { FsPackSource } from '../src/core/models/pack-source.node.ts';
import { createNodeRuntime } from '../src/core/models/ort-node.node.ts';
import { encodePngRGBA } from '../src/core/png';
import { encodeTrimapPng } from '../src/core/trimap/png';
import { REPO, makeImage, makeTrimap, packDir } from './helpers';

const runtime = createNodeRuntime({ threads: 1 });
let dir: string;
let n = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ds-pack-hard-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh copy of tiny-sd; `edit` may change files and the manifest (written back afterwards). */
async function packCopy(edit: (root: string, manifest: { files: Record<string, { bytes: number; sha256: string }> }) => void | Promise<void>) {
  const root = join(dir, `pack-${n++}`);
  cpSync(packDir('tiny-sd'), root, { recursive: true });
  const mf = join(root, 'defect-studio.json');
  const m = JSON.parse(readFileSync(mf, 'utf8'));
  await edit(root, m);
  writeFileSync(mf, JSON.stringify(m));
  return root;
}

async function loadError(source: PackSource): Promise<PackError> {
  try {
    const p = await loadPack(source, runtime);
    await p.release();
  } catch (e) {
    expect(e).toBeInstanceOf(PackError);
    return e as PackError;
  }
  throw new Error('the pack loaded');
}

const merges = 'tokenizer/merges.txt';

describe('FsPackSource refuses what could hurt the host', () => {
  it('a symlink to a file outside the pack, even one with the right size and sha256', async () => {
    const outside = join(dir, 'outside-merges.txt');
    cpSync(join(packDir('tiny-sd'), merges), outside);
    const root = await packCopy((r) => {
      unlinkSync(join(r, merges));
      symlinkSync(outside, join(r, merges));
    });
    const e = await loadError(new FsPackSource(root));
    expect(e.file).toBe(merges);
    expect(e.message).toMatch(/leads outside the pack/);
  });

  it('a symlink to /dev/zero (refused without reading a byte)', async () => {
    const root = await packCopy(async (r, m) => {
      unlinkSync(join(r, merges));
      symlinkSync('/dev/zero', join(r, merges));
      m.files[merges] = { bytes: 1 << 20, sha256: await sha256Hex(new Uint8Array(1 << 20)) };
    });
    const e = await loadError(new FsPackSource(root));
    expect(e.file).toBe(merges);
    expect(e.message).toMatch(/outside the pack/);
  });

  it('a character device inside the pack folder itself is not a regular file', async () => {
    // A "pack" rooted at /dev: /dev/zero is inside it, and must still never be read.
    const err = await new FsPackSource('/dev').readFile('zero', { bytes: 4096 }).catch((e) => e);
    expect(err).toBeInstanceOf(PackError);
    expect(err.message).toMatch(/not a regular file; file zero; expected a regular file; found a character device/);
  });

  it('a FIFO is refused at once (no hang waiting for a writer)', async () => {
    const root = await packCopy((r) => {
      unlinkSync(join(r, merges));
      execFileSync('mkfifo', [join(r, merges)]);
    });
    const e = await loadError(new FsPackSource(root));
    expect(e.file).toBe(merges);
    expect(e.found).toBe('a FIFO');
  }, 20_000);

  it('a folder listed as a file', async () => {
    const root = await packCopy((r) => {
      unlinkSync(join(r, merges));
      mkdirSync(join(r, merges));
    });
    const e = await loadError(new FsPackSource(root));
    expect(e.file).toBe(merges);
    expect(e.found).toBe('a folder');
  });

  it('checks the size from stat before reading: an 8 GiB (sparse) file declared as 100 bytes', async () => {
    const root = await packCopy((r, m) => {
      const fd = openSync(join(r, merges), 'r+');
      ftruncateSync(fd, 8 * 1024 ** 3);
      closeSync(fd);
      m.files[merges].bytes = 100;
    });
    const e = await loadError(new FsPackSource(root));
    expect(e.message).toBe(`file size differs from the manifest; file ${merges}; expected 100 bytes; found ${8 * 1024 ** 3} bytes`);
  });

  it('caps the manifest itself', async () => {
    const root = await packCopy(() => undefined);
    const fd = openSync(join(root, 'defect-studio.json'), 'r+');
    ftruncateSync(fd, 5 * 1024 ** 3);
    closeSync(fd);
    const e = await loadError(new FsPackSource(root));
    expect(e.file).toBe('defect-studio.json');
    expect(e.message).toMatch(/file too large/);
  });

  it('a symlink inside the pack to another file of the pack is fine', async () => {
    const root = await packCopy((r) => {
      cpSync(join(r, merges), join(r, 'tokenizer', 'merges-real.txt'));
      unlinkSync(join(r, merges));
      symlinkSync('merges-real.txt', join(r, merges));
    });
    const p = await loadPack(new FsPackSource(root), runtime);
    await p.release();
  });
});

describe('one file under several spellings', () => {
  it('canonical paths', () => {
    expect(canonicalPackPath('./a')).toBe('a');
    expect(canonicalPackPath('b/../a')).toBe('a');
    expect(canonicalPackPath('unet//./model.onnx')).toBe('unet/model.onnx');
    for (const bad of ['', '.', '/etc/passwd', '../a', 'a/../../b', 'a\\b', 'a\u0007b']) expect(canonicalPackPath(bad), bad).toBeNull();
  });

  it('is read and hashed once', async () => {
    const root = await packCopy((_r, m) => {
      const e = m.files['unet/model.onnx'];
      m.files['./unet/model.onnx'] = e;
      m.files['vae_decoder/../unet/model.onnx'] = e;
      m.files['unet/./model.onnx'] = e;
    });
    const fs = new FsPackSource(root);
    const reads: string[] = [];
    const counting: PackSource = {
      location: fs.location,
      readFile: (f: string, l?: ReadLimits) => (reads.push(f), fs.readFile(f, l)),
      readText: (f: string, l?: ReadLimits) => (reads.push(f), fs.readText(f, l)),
    };
    const p = await loadPack(counting, runtime);
    await p.release();
    expect(reads.filter((f) => f.includes('unet'))).toEqual(['unet/model.onnx']);
    expect(new Set(reads).size).toBe(reads.length);
  });

  it('refuses two spellings that disagree', () => {
    const m = JSON.parse(readFileSync(join(packDir('tiny-sd'), 'defect-studio.json'), 'utf8'));
    m.files['./unet/model.onnx'] = { ...m.files['unet/model.onnx'], bytes: 1 };
    expect(() => parseManifest(JSON.stringify(m))).toThrow(/unet\/model\.onnx is listed twice with different contents/);
    m.files['./unet/model.onnx'] = undefined;
    m.files['../unet/model.onnx'] = m.files['unet/model.onnx'];
    expect(() => parseManifest(JSON.stringify(m))).toThrow(/invalid file path "..\/unet\/model.onnx"/);
  });
});

describe('FetchPackSource never reads more than declared', () => {
  let server: Server;
  let base: string;
  const sent: Record<string, number> = {};
  beforeAll(async () => {
    const pack = packDir('tiny-sd');
    server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '');
      if (path === merges) {
        // An endless body without content-length: the reader must stop it.
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        sent[path] = 0;
        const chunk = new Uint8Array(64 * 1024);
        const pump = () => {
          while (!res.destroyed && sent[path] < 256 * 1024 ** 2) {
            sent[path] += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('close', () => undefined);
        pump();
        return;
      }
      try {
        const data = readFileSync(join(pack, path));
        res.writeHead(200, { 'content-length': data.length }).end(data);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('aborts a response that streams more bytes than the manifest declares', async () => {
    const declared = JSON.parse(readFileSync(join(packDir('tiny-sd'), 'defect-studio.json'), 'utf8')).files[merges].bytes;
    const e = await loadError(new FetchPackSource(base));
    expect(e.message).toBe(`file size differs from the manifest; file ${merges}; expected ${declared} bytes; found more than ${declared} bytes`);
    expect(sent[merges]).toBeLessThan(256 * 1024 ** 2);
  });
});

describe('CLI', () => {
  it('one line on stderr, exit 1, nothing written, for a pack with a symlink out of it', async () => {
    const root = await packCopy((r) => {
      cpSync(join(r, merges), join(dir, 'outside-2.txt'));
      unlinkSync(join(r, merges));
      symlinkSync(join(dir, 'outside-2.txt'), join(r, merges));
    });
    writeFileSync(join(dir, 'image.png'), encodePngRGBA(makeImage(64, 48)));
    writeFileSync(join(dir, 'trimap.png'), encodeTrimapPng(makeTrimap(64, 48, 30, 20, 6, 4)));
    const out = join(dir, 'cli-out');
    const args = [join(REPO, 'bin', 'defect-studio.mjs'), 'generate', '--model', root, '--image', join(dir, 'image.png'),
      '--trimap', join(dir, 'trimap.png'), '--prompt', 'x', '--steps', '2', '--out', out];
    const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(process.execPath, args, { cwd: REPO, timeout: 60_000 }, (err, _o, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr })));
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^defect-studio: model pack: file leads outside the pack \(symbolic link\); file tokenizer\/merges\.txt; found /);
    expect(() => readFileSync(join(out, 'image.png'))).toThrow();
  });
});
