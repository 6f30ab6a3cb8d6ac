/**
 * "Add model" in the app: a picked folder's files become a pack source (FilesPackSource), and the pack is
 * judged by the core loader with real onnxruntime-web (WASM) sessions before anything is kept. A broken
 * pack gets exactly the words the CLI prints for the same folder.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import * as ortWeb from 'onnxruntime-web/wasm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkPack } from '../src/core/models/check';
import { PackError } from '../src/core/models/errors';
import { FilesPackSource, findPackRoot, type BlobLike, type PackFileEntry } from '../src/core/models/files-source';
import { sha256Hex } from '../src/core/models/manifest';
import { createWebRuntime, type WebOrtModule } from '../src/core/models/ort-web';
import { main } from '../src/cli/main';
import { encodePngRGBA } from '../src/core/png';
import { encodeTrimapPng } from '../src/core/trimap/png';
import { makeImage, makeTrimap, packDir } from './helpers';

const runtime = createWebRuntime(ortWeb as unknown as WebOrtModule, { backend: 'wasm', numThreads: 1 });
let dir: string;
let n = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ds-add-model-'));
  writeFileSync(join(dir, 'image.png'), encodePngRGBA(makeImage(64, 64)));
  writeFileSync(join(dir, 'trimap.png'), encodeTrimapPng(makeTrimap(64, 64, 30, 30, 6, 5)));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every file under `root` as the browser hands a picked folder over: paths start with the folder's name. */
function pickFolder(root: string, prefix = root.split(sep).pop()!): PackFileEntry[] {
  const out: PackFileEntry[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push({ path: `${prefix}/${relative(root, p).split(sep).join('/')}`, file: new Blob([readFileSync(p)]) });
    }
  };
  walk(root);
  return out;
}

function packCopy(edit: (root: string, manifest: { files: Record<string, { bytes: number; sha256: string }>; [k: string]: unknown }) => void | Promise<void>) {
  return (async () => {
    const root = join(dir, `pack-${n++}`);
    cpSync(packDir('tiny-sd'), root, { recursive: true });
    const mf = join(root, 'defect-studio.json');
    const m = JSON.parse(readFileSync(mf, 'utf8'));
    await edit(root, m);
    writeFileSync(mf, JSON.stringify(m));
    return root;
  })();
}

/** The one line the CLI prints on stderr for `generate --model root`. */
async function cliLine(root: string): Promise<string> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    lines.push(String(s));
    return true;
  });
  try {
    const code = await main(['generate', '--model', root, '--image', join(dir, 'image.png'), '--trimap', join(dir, 'trimap.png'), '--prompt', 'a scratch', '--steps', '1', '--out', join(dir, `out-${n++}`)]);
    expect(code).toBe(1);
  } finally {
    spy.mockRestore();
  }
  expect(lines).toHaveLength(1);
  return lines[0].trimEnd();
}

async function addError(root: string): Promise<PackError> {
  try {
    await checkPack(new FilesPackSource(pickFolder(root), 'picked'), runtime);
  } catch (e) {
    expect(e).toBeInstanceOf(PackError);
    return e as PackError;
  }
  throw new Error('the broken pack passed the check');
}

describe('findPackRoot', () => {
  it('finds defect-studio.json at the top, under the picked folder, or in a pack one level down', () => {
    expect(findPackRoot(['defect-studio.json', 'unet/model.onnx'])).toBe('');
    expect(findPackRoot(['tiny-sd/unet/model.onnx', 'tiny-sd/defect-studio.json'])).toBe('tiny-sd/');
    expect(findPackRoot(['packs/a/defect-studio.json', 'packs/defect-studio.json', 'packs/b/c/defect-studio.json'])).toBe('packs/');
    expect(findPackRoot(['x/unet/model.onnx', 'x/my-defect-studio.json'])).toBeNull();
  });
});

describe('FilesPackSource', () => {
  it('a picked tiny-sd folder passes the check with real WASM sessions: id, files and bytes', async () => {
    const entries = pickFolder(packDir('tiny-sd'));
    const check = await checkPack(new FilesPackSource(entries, 'tiny-sd'), runtime);
    const manifest = JSON.parse(readFileSync(join(packDir('tiny-sd'), 'defect-studio.json'), 'utf8'));
    expect(check.manifest.id).toBe(manifest.id);
    expect(check.sha256).toBe(await sha256Hex(readFileSync(join(packDir('tiny-sd'), 'defect-studio.json'))));
    expect(check.files.sort()).toEqual(['defect-studio.json', ...Object.keys(manifest.files)].sort());
    const onDisk = check.files.reduce((s, f) => s + statSync(join(packDir('tiny-sd'), f)).size, 0);
    expect(check.bytes).toBe(onDisk);
    // The picked folder's other files (none here) would not count; the pack's own do.
    expect(check.bytes).toBeGreaterThan(100_000);
  });

  it('a pack made by `defect-studio finetune` (tiny-ds) passes the same check', async () => {
    const check = await checkPack(new FilesPackSource(pickFolder(packDir('tiny-ds')), 'tiny-ds'), runtime);
    expect(check.manifest.id).toBe(JSON.parse(readFileSync(join(packDir('tiny-ds'), 'defect-studio.json'), 'utf8')).id);
  });

  it('reads a file no further than the size the manifest declares, and refuses a wrong size before reading', async () => {
    const sliced: number[][] = [];
    const blob = (bytes: Uint8Array): BlobLike => ({
      size: bytes.length,
      slice(a = 0, b = bytes.length) {
        sliced.push([a, b]);
        return new Blob([bytes.slice(a, b)]);
      },
    });
    const src = new FilesPackSource([{ path: 'p/defect-studio.json', file: blob(new Uint8Array(3)) }, { path: 'p/unet/model.onnx', file: blob(new Uint8Array(100)) }], 'p');
    await expect(src.readFile('unet/model.onnx', { bytes: 99 })).rejects.toThrow(/file size differs from the manifest; file unet\/model.onnx; expected 99 bytes; found 100 bytes/);
    expect(sliced).toEqual([]);
    await expect(src.readFile('unet/model.onnx', { maxBytes: 10 })).rejects.toThrow(/file too large/);
    expect(sliced).toEqual([]);
    expect((await src.readFile('unet/model.onnx', { bytes: 100 })).length).toBe(100);
    expect(sliced).toEqual([[0, 100]]);
    expect(await src.exists('./unet//model.onnx')).toBe(true);
    await expect(src.readFile('vae_decoder/model.onnx')).rejects.toThrow(/missing file vae_decoder\/model.onnx/);
    await expect(src.readFile('../p/unet/model.onnx')).rejects.toThrow(/outside the pack/);
  });
});

describe('a broken pack gets the words the CLI prints', () => {
  const cases: [string, (root: string, m: { files: Record<string, { bytes: number; sha256: string }>; [k: string]: unknown }) => void | Promise<void>, RegExp][] = [
    [
      'a changed byte (sha256)',
      (root) => {
        const f = join(root, 'unet', 'model.onnx');
        const b = readFileSync(f);
        b[b.length - 10] ^= 0xff;
        writeFileSync(f, b);
      },
      /sha256 differs from the manifest; file unet\/model.onnx; expected [0-9a-f]{64}; found [0-9a-f]{64}/,
    ],
    ['a missing file', (root) => rmSync(join(root, 'vae_decoder', 'model.onnx')), /missing file; file vae_decoder\/model.onnx/],
    [
      'a truncated file (size)',
      (root) => {
        const f = join(root, 'tokenizer', 'vocab.json');
        writeFileSync(f, readFileSync(f).subarray(0, 100));
      },
      /file size differs from the manifest; file tokenizer\/vocab.json; expected \d+ bytes; found 100 bytes/,
    ],
    [
      'a bad manifest field',
      (_root, m) => {
        m.defaults = { steps: 0 };
      },
      /invalid manifest field "defaults.steps"; file defect-studio.json/,
    ],
    [
      'a UNet with other inputs than the manifest declares (session metadata)',
      async (root, m) => {
        // The inpainting pack's UNet (9 input channels), listed with its true size and sha256.
        const other = readFileSync(join(packDir('tiny-inpaint-fp16'), 'unet', 'model.onnx'));
        writeFileSync(join(root, 'unet', 'model.onnx'), other);
        m.files['unet/model.onnx'] = { bytes: other.length, sha256: await sha256Hex(other) };
      },
      /mismatch; file unet\/model.onnx; tensor sample; expected dimension 1 = 4/,
    ],
  ];
  for (const [what, edit, pattern] of cases) {
    it(what, async () => {
      const root = await packCopy(edit);
      const err = await addError(root);
      expect(err.message).toMatch(pattern);
      expect(await cliLine(root)).toBe(`defect-studio: model pack: ${err.message}`);
    });
  }
});
