/** The CLI as a child process: a good run, and every kind of bad input exits non-zero, says one line, writes nothing. */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode } from 'fast-png';
import { encodePngRGBA } from '../src/core/png';
import { encodeTrimapPng } from '../src/core/trimap/png';
import { DEFECT } from '../src/core/image';
import { REPO, makeImage, makeTrimap, packDir } from './helpers';

const BIN = join(REPO, 'bin', 'defect-studio.mjs');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: REPO, timeout: 240_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let dir: string;
const trimap = makeTrimap(96, 72, 50, 40, 8, 5);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ds-cli-'));
  writeFileSync(join(dir, 'image.png'), encodePngRGBA(makeImage(96, 72)));
  writeFileSync(join(dir, 'trimap.png'), encodeTrimapPng(trimap));
  writeFileSync(join(dir, 'small-trimap.png'), encodeTrimapPng(makeTrimap(40, 40, 20, 20, 4, 4)));
  writeFileSync(join(dir, 'empty-trimap.png'), encodeTrimapPng({ ...trimap, data: trimap.data.map((v) => (v === DEFECT ? 1 : v)) }));
  writeFileSync(join(dir, 'corrupt.png'), new TextEncoder().encode('this is not a png'));
  // a broken pack: one byte of the UNet changed (sha256 mismatch)
  cpSync(packDir('tiny-sd'), join(dir, 'broken-pack'), { recursive: true });
  const unet = join(dir, 'broken-pack', 'unet', 'model.onnx');
  const bytes = readFileSync(unet);
  bytes[bytes.length - 10] ^= 0xff;
  writeFileSync(unet, bytes);
  // packs with bad settings: an unknown default scheduler, 1e8 train timesteps, a control sequence in a file name
  const variant = (name: string, edit: (m: Record<string, any>, dir: string) => void) => {
    cpSync(packDir('tiny-sd'), join(dir, name), { recursive: true });
    const f = join(dir, name, 'defect-studio.json');
    const m = JSON.parse(readFileSync(f, 'utf8'));
    edit(m, join(dir, name));
    writeFileSync(f, JSON.stringify(m));
  };
  variant('pndm-pack', (m) => (m.defaults.scheduler = 'pndm'));
  variant('guidance-pack', (m) => (m.defaults.guidance = 1000));
  // prompt presets with their own settings (issue 9, per-preset settings), and one out of range
  variant('preset-pack', (m) => m.promptPresets.push({ prompt: 'a scratch', guidance: 3, latentEditStart: 0.4 }));
  variant('bad-preset-pack', (m) => m.promptPresets.push({ prompt: 'a scratch', guidance: 1000 }));
  // a preset with its own negative prompt (the built-in "a crack" is drawn away from "a scratch")
  variant('neg-preset-pack', (m) => m.promptPresets.push({ prompt: 'a scratch', negativePrompt: 'a dent' }));
  variant('timesteps-pack', (m, d) => {
    const sf = join(d, 'scheduler', 'scheduler_config.json');
    const sc = JSON.parse(readFileSync(sf, 'utf8'));
    sc.num_train_timesteps = 1e8;
    const bytes = new TextEncoder().encode(JSON.stringify(sc));
    writeFileSync(sf, bytes);
    m.files['scheduler/scheduler_config.json'] = { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  });
  variant('escape-pack', (m) => (m.files['unet/\u001b[2J\u001b]0;owned\u0007.onnx'] = { bytes: 1, sha256: '0'.repeat(64) }));
  // a mismatched pack: the manifest claims 9-channel inpainting for a 4-channel UNet
  cpSync(packDir('tiny-sd'), join(dir, 'mismatched-pack'), { recursive: true });
  const mf = join(dir, 'mismatched-pack', 'defect-studio.json');
  const m = JSON.parse(readFileSync(mf, 'utf8'));
  m.conditioning = 'concat';
  m.concatChannels = ['mask', 'masked_image_latent'];
  writeFileSync(mf, JSON.stringify(m));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const base = () => [
  'generate', '--model', packDir('tiny-sd'), '--image', join(dir, 'image.png'), '--trimap', join(dir, 'trimap.png'),
  '--prompt', 'a scratch', '--steps', '4', '--seed', '5',
];

describe('defect-studio generate', () => {
  it('writes image.png, mask.png (exactly the defect region) and meta.json', async () => {
    const out = join(dir, 'out-ok');
    const r = await run([...base(), '--guidance', '5', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['image.png', 'mask.png', 'meta.json']);
    const mask = decode(readFileSync(join(out, 'mask.png')));
    expect(mask.channels).toBe(1);
    expect([mask.width, mask.height]).toEqual([96, 72]);
    for (let p = 0; p < trimap.data.length; p++) expect(mask.data[p]).toBe(trimap.data[p] === DEFECT ? 255 : 0);
    const img = decode(readFileSync(join(out, 'image.png')));
    const src = makeImage(96, 72);
    let outside = 0;
    for (let p = 0; p < trimap.data.length; p++) {
      if (trimap.data[p] !== DEFECT) for (let c = 0; c < 4; c++) if (img.data[p * 4 + c] !== src.data[p * 4 + c]) outside++;
    }
    expect(outside).toBe(0);
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8'));
    expect(meta.prompt).toBe('a scratch');
    expect(meta.seed).toBe(5);
    expect(meta.settings.steps).toBe(4);
    expect(meta.settings.guidance).toBe(5);
    expect(meta.model.id).toBe('tiny-sd');
    expect(meta.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(meta.timings.unet).toBeGreaterThan(0);
    expect(meta.timings.total).toBeGreaterThan(0);
    // One record type for the CLI and the app; unset options took the pack's defaults (src/core/settings).
    expect(meta.format).toBe('defect-studio-record@2');
    expect(meta.app.tool).toBe('cli');
    expect(meta.settings).toEqual({
      steps: 4, guidance: 5, scheduler: 'ddim', eta: 0, latentEditStart: 0.52, pixelEditStart: 0.9,
      dilationPx: 8, contextMargin: 16, seamPx: 0, seamSpareStrokes: false, adaptation: true, adaptationMu: 1e4,
    });
  });

  it('--backend wasm gives the same image as native (within rounding)', async () => {
    const [a, b] = await Promise.all(
      (['native', 'wasm'] as const).map(async (backend) => {
        const out = join(dir, `out-${backend}`);
        const r = await run([...base(), '--backend', backend, '--no-adapt', '--out', out]);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8'));
        expect(meta.backend).toBe(backend);
        return decode(readFileSync(join(out, 'image.png'))).data;
      }),
    );
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    expect(maxDiff).toBeLessThanOrEqual(1);
  });

  it("a prompt preset's own settings reach the pipeline; an option given on the command line wins", async () => {
    const gen = async (name: string, args: string[], pack = packDir('tiny-sd')) => {
      const out = join(dir, name);
      const a = base();
      a[a.indexOf('--model') + 1] = pack;
      const r = await run([...a, '--no-adapt', ...args, '--out', out]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      return { meta: JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')), image: readFileSync(join(out, 'image.png')) };
    };
    const [preset, explicit, plain, wins] = await Promise.all([
      gen('out-preset', [], join(dir, 'preset-pack')), // --prompt 'a scratch' is the preset's prompt
      gen('out-preset-explicit', ['--guidance', '3', '--latent-edit-start', '0.4']), // the plain pack, the same values by hand
      gen('out-preset-plain', []),
      gen('out-preset-wins', ['--guidance', '5'], join(dir, 'preset-pack')),
    ]);
    expect(preset.meta.settings).toMatchObject({ guidance: 3, latentEditStart: 0.4, pixelEditStart: 0.9, steps: 4 });
    expect(plain.meta.settings).toMatchObject({ guidance: 7.5, latentEditStart: 0.52 });
    expect(Buffer.compare(preset.image, explicit.image)).toBe(0); // the preset's values are what the pipeline ran with
    expect(Buffer.compare(preset.image, plain.image)).not.toBe(0);
    expect(wins.meta.settings).toMatchObject({ guidance: 5, latentEditStart: 0.4 });
    // a preset's negative prompt: the same image as the option given by hand, recorded; an explicit one wins
    const [neg, negExplicit, negWins] = await Promise.all([
      gen('out-neg-preset', [], join(dir, 'neg-preset-pack')),
      gen('out-neg-explicit', ['--negative-prompt', 'a dent']),
      gen('out-neg-wins', ['--negative-prompt', ''], join(dir, 'neg-preset-pack')),
    ]);
    expect(neg.meta.negativePrompt).toBe('a dent');
    expect(Buffer.compare(neg.image, negExplicit.image)).toBe(0);
    expect(Buffer.compare(neg.image, plain.image)).not.toBe(0);
    expect(negWins.meta.negativePrompt).toBe('');
    expect(Buffer.compare(negWins.image, plain.image)).toBe(0);
  });

  const bad: [string, string[], RegExp][] = [
    ['missing image', ['--image', join('/nonexistent', 'x.png')], /cannot read image .*no such file/],
    ['corrupt image', ['--image', '@corrupt'], /not a (readable )?PNG/],
    ['trimap size mismatch', ['--trimap', '@small-trimap'], /does not match the image size/],
    ['empty defect region', ['--trimap', '@empty-trimap'], /no defect region/],
    ['broken pack', ['--model', '@broken-pack'], /sha256 differs.*unet\/model\.onnx/],
    ['mismatched pack', ['--model', '@mismatched-pack'], /UNet input channels.*expected dimension 1 = 9; found 4/],
    ['not a pack', ['--model', '/tmp'], /not a model pack/],
    ['bad option', ['--steps', 'many'], /--steps must be an integer/],
    ['next option taken as a value', ['--negative-prompt', '--no-adapt'], /^defect-studio: --negative-prompt needs a value, got the option --no-adapt/],
    ['guidance out of range', ['--guidance', '45'], /^defect-studio: --guidance must be a number from 0 to 30, got "45"$/],
    ['eta out of range', ['--eta', '3'], /^defect-studio: --eta must be a number from 0 to 1, got "3"$/],
    ['stages out of order', ['--latent-edit-start', '0.95'], /^defect-studio: --latent-edit-start must not be after --pixel-edit-start: 0.95 > 0.9$/],
    ['unknown default scheduler', ['--model', '@pndm-pack'], /^defect-studio: model pack: invalid manifest field "defaults.scheduler".*expected one of ddim, euler, dpmpp-2m; found "pndm"$/],
    ['default guidance out of range', ['--model', '@guidance-pack'], /invalid manifest field "defaults.guidance".*expected a number from 0 to 30; found 1000$/],
    ['preset guidance out of range', ['--model', '@bad-preset-pack'], /invalid manifest field "promptPresets\[2\]\.guidance".*expected a number from 0 to 30; found 1000$/],
    ['1e8 train timesteps', ['--model', '@timesteps-pack'], /"num_train_timesteps" must be an integer from 2 to 100000, got 100000000/],
    ['control characters in a name', ['--model', '@escape-pack'], /unet\/\\x1b\[2J\\x1b\]0;owned\\x07\.onnx/],
  ];
  // usage errors exit 2, everything else 1
  const USAGE_ERRORS = ['bad option', 'next option taken as a value', 'guidance out of range', 'eta out of range', 'stages out of order'];
  const exitCode = (name: string) => (USAGE_ERRORS.includes(name) ? 2 : 1);

  it('rejects bad inputs with one line on stderr, a non-zero exit and nothing written', async () => {
    // A few processes at a time: the machine is small and shared.
    const results: { name: string; out: string; r: Awaited<ReturnType<typeof run>> }[] = new Array(bad.length);
    let next = 0;
    const worker = async () => {
      for (let k = next++; k < bad.length; k = next++) {
        const [name, override] = bad[k];
        const args = base();
        for (let i = 0; i < override.length; i += 2) {
          const v = override[i + 1].startsWith('@') ? join(dir, override[i + 1].slice(1) + (override[i + 1].includes('pack') ? '' : '.png')) : override[i + 1];
          const at = args.indexOf(override[i]);
          if (at >= 0) args[at + 1] = v;
          else args.push(override[i], v);
        }
        const out = join(dir, `out-bad-${k}`);
        results[k] = { name, out, r: await run([...args, '--out', out]) };
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    results.forEach(({ name, out, r }, k) => {
      expect(r.code, name).toBe(exitCode(name));
      expect(r.stderr, name).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
      const lines = r.stderr.trim().split('\n');
      expect(lines.length, `${name}: ${r.stderr}`).toBe(1);
      expect(lines[0], name).toMatch(bad[k][2]);
      expect(existsSync(out), name).toBe(false);
    });
  }, 600_000);
});
