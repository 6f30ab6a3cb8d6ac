/**
 * `defect-studio finetune` (issue 13): a tiny pack of the built-in architecture (tests/fixtures/packs/tiny-ds,
 * made by tools/train/make_tiny_pack.py) is fine-tuned on 3 tiny examples with Debian's PyTorch; the pack it
 * writes loads and generates with the core pipeline. A Ctrl-C with --export-on-stop exports the last
 * checkpoint, and a rerun resumes from it. Bad data, a base pack of another architecture and a missing
 * PyTorch are refused with one line and nothing written.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode } from '../src/core/errors';
import { DEFECT, OBJECT, type RGBAImage } from '../src/core/image';
import { generate } from '../src/core/diffusion/pipeline';
import { loadPack } from '../src/core/models/pack';
import { FsPackSource } from '../src/core/models/pack-source.node.ts';
import { createNodeRuntime } from '../src/core/models/ort-node.node.ts';
import { encodePngGray, encodePngRGBA } from '../src/core/png';
import { parseFinetuneArgs } from '../src/cli/args';
import { runFinetune } from '../src/cli/finetune';
import { scanFinetuneData } from '../src/cli/finetune-data';
import { main } from '../src/cli/main';
import { makeImage, makeRequest, packDir } from './helpers';

const BASE = packDir('tiny-ds');
const HAS_TORCH = spawnSync(process.env.DS_PYTHON || '/usr/bin/python3', ['-c', 'import torch, onnx']).status === 0;
let dir: string;

/** A 64x64 example: a textured square with a dark chip (the mask) at a different place each time. */
function example(folder: string, stem: string, i: number, opts: { maskSize?: number; emptyMask?: boolean; mask?: string } = {}): void {
  const img = makeImage(64, 64, 11 + i);
  const ms = opts.maskSize ?? 64;
  const mask = new Uint8Array(ms * ms);
  if (!opts.emptyMask) {
    for (let y = 18 + i; y < 30 + i; y++) {
      for (let x = 20; x < 36; x++) {
        if (y < ms && x < ms) mask[y * ms + x] = 255;
        if (y < 64 && x < 64) img.data.set([40, 30, 20, 255], (y * 64 + x) * 4);
      }
    }
  }
  writeFileSync(join(folder, `${stem}.png`), encodePngRGBA(img));
  writeFileSync(opts.mask ?? join(folder, `${stem}_mask.png`), encodePngGray(ms, ms, mask));
}

function flat(name: string, n = 3): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  for (let i = 0; i < n; i++) example(d, `x${i}`, i);
  return d;
}

function mvtec(name: string): string {
  const cat = join(dir, name, 'metal_plate');
  for (const defect of ['chip', 'burn_mark']) {
    const t = join(cat, 'test', defect);
    const g = join(cat, 'ground_truth', defect);
    mkdirSync(t, { recursive: true });
    mkdirSync(g, { recursive: true });
    for (let i = 0; i < 3; i++) example(t, `00${i}`, i, { mask: join(g, `00${i}_mask.png`) });
  }
  mkdirSync(join(cat, 'train', 'good'), { recursive: true });
  writeFileSync(join(cat, 'train', 'good', '000.png'), encodePngRGBA(makeImage(64, 64, 1)));
  return join(dir, name);
}

/** Everything in dir except the named entries (the data folders), to check that nothing was written. */
function written(except: string[]): string[] {
  return readdirSync(dir).filter((n) => !except.includes(n));
}

function args(data: string, out: string, extra: string[] = []) {
  return parseFinetuneArgs(['--base', BASE, '--data', data, '--out', out, '--steps', '4', '--batch', '2', '--progress', 'none', ...extra]);
}

const quiet = { stdout: { write: () => true } as unknown as NodeJS.WritableStream, stderr: { write: () => true } as unknown as NodeJS.WritableStream };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ds-finetune-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('finetune data', () => {
  it('reads the MVTec AD layout: one example per defect image, prompts from category and defect', () => {
    const root = mvtec('mvtec-ok');
    const d = scanFinetuneData(root);
    expect(d.layout).toBe('mvtec');
    expect(d.examples.length).toBe(6);
    expect(d.normals).toBe(1);
    expect(new Set(d.examples.map((e) => e.prompt))).toEqual(new Set(['a metal plate with a burn mark', 'a metal plate with a chip']));
    // the category folder itself works too
    expect(scanFinetuneData(join(root, 'metal_plate')).examples.length).toBe(6);
  });

  it('reads a flat folder: x.png + x_mask.png, prompt from x.txt, else --name, else the folder name', () => {
    const d = flat('blister');
    writeFileSync(join(d, 'x1.txt'), 'a painted panel with a blister\n');
    expect(scanFinetuneData(d).examples.map((e) => e.prompt)).toEqual(['a blister', 'a blister', 'a blister']);
    expect(scanFinetuneData(d, 'weld_spatter').examples[0]).toMatchObject({ prompt: 'a weld spatter', defect: 'weld spatter' });
  });

  const cases: [string, () => string, RegExp][] = [
    [
      'a mask whose size differs from its image',
      () => {
        const d = flat('bad-size');
        example(d, 'x0', 0, { maskSize: 48 });
        return d;
      },
      /^mask x0_mask\.png is 48x48 but its image x0\.png is 64x64$/,
    ],
    [
      'a defect folder without masks',
      () => {
        const root = mvtec('bad-nomasks');
        rmSync(join(root, 'metal_plate', 'ground_truth', 'chip'), { recursive: true });
        return root;
      },
      /^defect folder metal_plate\/test\/chip has no masks \(expected metal_plate\/ground_truth\/chip\/<name>_mask\.png\)$/,
    ],
    [
      'an image without its mask',
      () => {
        const d = flat('bad-missing');
        rmSync(join(d, 'x2_mask.png'));
        return d;
      },
      /^image x2\.png has no mask x2_mask\.png in /,
    ],
    [
      'an empty mask',
      () => {
        const d = flat('bad-empty');
        example(d, 'x1', 1, { emptyMask: true });
        return d;
      },
      /^mask x1_mask\.png is empty \(no defect pixel: none over 127\)$/,
    ],
    ['fewer than 3 examples', () => flat('bad-few', 2), /^only 2 examples of "bad few" in .*: at least 3 are needed$/],
    [
      'an unreadable image',
      () => {
        const d = flat('bad-unreadable');
        writeFileSync(join(d, 'x0.png'), 'not a png at all');
        return d;
      },
      /^image x0\.png is /,
    ],
  ];
  for (const [what, make, message] of cases) {
    it(`refuses ${what} with one line (code input) and writes nothing`, async () => {
      const data = make();
      const before = written([]);
      const out = join(dir, `out-${what.replace(/\W+/g, '-')}`);
      const e = await runFinetune(args(data, out), undefined, quiet).catch((x) => x);
      expect(errorCode(e)).toBe('input');
      expect((e as Error).message).toMatch(message);
      expect((e as Error).message).not.toContain('\n');
      expect(written([])).toEqual(before);
      expect(existsSync(out)).toBe(false);
    });
  }

  it('exits 1 with one line on stderr through the CLI', async () => {
    const data = flat('bad-cli', 2);
    const err: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
    try {
      const code = await main(['finetune', '--base', BASE, '--data', data, '--out', join(dir, 'out-cli')]);
      expect(code).toBe(1);
    } finally {
      process.stderr.write = orig;
    }
    expect(err.join('')).toMatch(/^defect-studio: input: only 2 examples of "bad cli" in .*: at least 3 are needed\n$/);
    expect(existsSync(join(dir, 'out-cli'))).toBe(false);
  });

  it('refuses a base pack of another architecture (a Stable Diffusion layout) before reading data', async () => {
    const e = await runFinetune(parseFinetuneArgs(['--base', packDir('tiny-sd'), '--data', flat('any'), '--out', join(dir, 'out-sd')]), undefined, quiet).catch((x) => x);
    expect(errorCode(e)).toBe('pack');
    expect((e as Error).message).toMatch(/is not of DefectStudio's own architecture, which finetune needs .*found conditioning none/);
    expect(existsSync(join(dir, 'out-sd'))).toBe(false);
  });

  it('says how to install PyTorch when it is missing, and writes nothing', async () => {
    const prev = process.env.DS_PYTHON;
    process.env.DS_PYTHON = join(dir, 'no-such-python');
    try {
      const before = written([]);
      const e = await runFinetune(args(flat('no-torch'), join(dir, 'out-no-torch')), undefined, quiet).catch((x) => x);
      expect(errorCode(e)).toBe('runtime');
      expect((e as Error).message).toMatch(/^finetune needs PyTorch and ONNX for .*no-such-python \(ENOENT\); install them: apt-get install -y python3-torch python3-onnx$/);
      expect(written([])).toEqual(before.filter((n) => n !== 'no-torch').concat('no-torch').filter((n, i, a) => a.indexOf(n) === i));
      expect(existsSync(join(dir, 'out-no-torch'))).toBe(false);
    } finally {
      if (prev === undefined) delete process.env.DS_PYTHON;
      else process.env.DS_PYTHON = prev;
    }
  });
});

function sha(p: string): string {
  return createHash('sha256').update(readFileSync(p)).digest('hex');
}

/** Generate with a pack through the core pipeline; every pixel outside the defect is the input's. */
async function generateWith(pack: string, prompt: string): Promise<RGBAImage> {
  const runtime = createNodeRuntime({ threads: 1 });
  const p = await loadPack(new FsPackSource(pack), runtime);
  try {
    const image = makeImage(64, 64, 5);
    const trimap = { width: 64, height: 64, data: new Uint8Array(64 * 64).fill(OBJECT) };
    for (let y = 20; y < 34; y++) for (let x = 22; x < 40; x++) trimap.data[y * 64 + x] = DEFECT;
    const r = await generate(p, makeRequest({ image, trimap, prompt, steps: 4, contextMargin: 16, dilationPx: 4 }));
    expect(r.image.width).toBe(64);
    for (let i = 0; i < 64 * 64; i++) {
      if (trimap.data[i] !== DEFECT) expect(r.image.data[i * 4]).toBe(image.data[i * 4]);
    }
    return r.image;
  } finally {
    await p.release();
  }
}

describe.skipIf(!HAS_TORCH)('finetune with PyTorch (tiny pack of the built-in architecture)', () => {
  it('Ctrl-C with --export-on-stop exports the last checkpoint; a rerun resumes and completes; both packs generate', async () => {
    const data = flat('chip');
    const out = join(dir, 'chip-pack');
    const ctrl = new AbortController();
    let steps = 0;
    const watch = {
      stdout: {
        write: (s: string) => {
          for (const l of String(s).split('\n')) if (l.includes('"event": "step"') || l.includes('"event":"step"')) steps++;
          if (steps >= 1) ctrl.abort(); // Ctrl-C after the first finished step
          return true;
        },
      } as unknown as NodeJS.WritableStream,
      stderr: quiet.stderr,
    };
    const a = await runFinetune(args(data, out, ['--steps', '40', '--export-on-stop', '--progress', 'json']), ctrl.signal, watch);
    expect(a.code).toBe(130);
    expect(a.exported).toBe(true);
    expect(a.steps).toBeGreaterThanOrEqual(1);
    expect(a.steps).toBeLessThan(40);
    const card1 = JSON.parse(readFileSync(join(out, 'finetune.json'), 'utf8'));
    expect(card1.measured).toMatchObject({ steps: a.steps, stopped: true, interrupted: true });
    expect(existsSync(join(dir, '.chip-pack.ds-finetune', 'ckpt.pt'))).toBe(true); // kept for the rerun
    await generateWith(out, 'a chip');

    // The rerun resumes from that checkpoint and runs to --steps.
    const b = await runFinetune(args(data, out, ['--steps', String(a.steps + 3)]), undefined, quiet);
    expect(b.code).toBe(0);
    const card = JSON.parse(readFileSync(join(out, 'finetune.json'), 'utf8'));
    expect(card.measured).toMatchObject({ steps: a.steps + 3, resumedFrom: a.steps, stopped: false });
    expect(existsSync(join(dir, '.chip-pack.ds-finetune'))).toBe(false); // complete: nothing left to resume
    expect(readdirSync(dir).filter((n) => n.includes('.ds-'))).toEqual([]);

    // A complete pack: sizes and sha256s (checked by loadPack), the new word in the vocabulary, the VAE as the
    // base's bytes, a new UNet, and the model card with the data and settings.
    const tok = JSON.parse(readFileSync(join(out, 'tokenizer', 'tokenizer.json'), 'utf8')).vocab;
    const baseTok = JSON.parse(readFileSync(join(BASE, 'tokenizer', 'tokenizer.json'), 'utf8')).vocab;
    expect(tok.chip).toBe(Object.keys(baseTok).length);
    expect(sha(join(out, 'vae_decoder', 'model.onnx'))).toBe(sha(join(BASE, 'vae_decoder', 'model.onnx')));
    expect(sha(join(out, 'unet', 'model.onnx'))).not.toBe(sha(join(BASE, 'unet', 'model.onnx')));
    expect(card).toMatchObject({ base: { id: 'tiny-ds' }, newWords: ['chip'], data: { examples: 3, perDefect: { chip: 3 }, imageSizes: { '64x64': 3 } } });
    expect(card.data.fileListSha256).toMatch(/^[0-9a-f]{64}$/);
    const md = readFileSync(join(out, 'MODEL.md'), 'utf8');
    expect(md).toContain('examples per defect: chip 3');
    const manifest = JSON.parse(readFileSync(join(out, 'defect-studio.json'), 'utf8'));
    expect(manifest.promptPresets[0]).toBe('a chip');
    expect(manifest.resolution).toBe(64);
    expect(Object.keys(manifest.files)).toEqual(expect.arrayContaining(['MODEL.md', 'finetune.json', 'unet/model.onnx', 'tokenizer/tokenizer.json']));

    // The completed pack loads (every size and sha256 checked) and generates.
    await generateWith(out, 'a chip');
  }, 600_000);

  it('refuses a pack that looks right in its manifest but is not the built-in model (tiny-builtin), writing nothing', async () => {
    const out = join(dir, 'out-builtin-like');
    const e = await runFinetune(parseFinetuneArgs(['--base', packDir('tiny-builtin'), '--data', flat('chip2'), '--out', out, '--steps', '2', '--progress', 'none']), undefined, quiet).catch((x) => x);
    expect(errorCode(e)).toBe('pack');
    expect((e as Error).message).toMatch(/is not a pack of DefectStudio's own architecture .*: the UNet has no cin\/down1\/down2 convolutions/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.includes('.ds-'))).toEqual([]);
  }, 300_000);
});
