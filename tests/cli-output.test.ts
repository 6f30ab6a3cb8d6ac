/**
 * The CLI's three output files are one commit: --out is checked before any work, the files are written to a
 * fresh folder and swapped in together, an input is never overwritten, two runs into one --out never mix.
 */
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOutDir, commitOutDir, OUTPUT_FILES } from '../src/cli/output';
import { encodePngRGBA } from '../src/core/png';
import { encodeTrimapPng } from '../src/core/trimap/png';
import { REPO, makeImage, makeTrimap, packDir } from './helpers';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ds-cli-out-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const enc = (s: string) => new TextEncoder().encode(s);
const set = (tag: string): [string, Uint8Array][] => OUTPUT_FILES.map((n) => [n, enc(`${tag}:${n}`)]);
const readSet = (out: string) => OUTPUT_FILES.map((n) => readFileSync(join(out, n), 'utf8'));
const tagOf = (out: string) => {
  const tags = readSet(out).map((s) => s.split(':')[0]);
  expect(new Set(tags).size, `a mixed set: ${tags}`).toBe(1);
  return tags[0];
};

describe('checkOutDir (before any work, writes nothing)', () => {
  it('refuses a file, a folder of other files, a non-regular output name, an input inside, an uncreatable path', () => {
    const root = join(dir, 'check');
    mkdirSync(join(root, 'busy'), { recursive: true });
    writeFileSync(join(root, 'afile'), 'x');
    writeFileSync(join(root, 'busy', 'notes.txt'), 'mine');
    mkdirSync(join(root, 'prev', 'mask.png'), { recursive: true });
    mkdirSync(join(root, 'inputs'));
    writeFileSync(join(root, 'inputs', 'image.png'), 'x');
    const before = readdirSync(root).sort();
    expect(() => checkOutDir(join(root, 'afile'), [])).toThrow(/is a file, not a folder/);
    expect(() => checkOutDir(join(root, 'busy'), [])).toThrow(/holds other files \(notes\.txt\)/);
    expect(() => checkOutDir(join(root, 'prev'), [])).toThrow(/mask\.png is not a regular file/);
    expect(() => checkOutDir(join(root, 'inputs'), [join(root, 'inputs', 'image.png')])).toThrow(/would overwrite the input/);
    expect(() => checkOutDir(join(root, 'afile', 'sub', 'out'), [])).toThrow(/cannot be created: .*afile is a file/);
    expect(() => checkOutDir('/proc/ds-out', [])).toThrow(/cannot be created in \/proc/);
    expect(readdirSync(root).sort()).toEqual(before);
    expect(readdirSync(join(root, 'busy'))).toEqual(['notes.txt']);
    // fine: a new folder (even several levels down), an empty folder, a previous output
    expect(checkOutDir(join(root, 'new', 'deeper'), []).path).toBe(join(root, 'new', 'deeper'));
    expect(existsSync(join(root, 'new'))).toBe(false);
    mkdirSync(join(root, 'empty'));
    checkOutDir(join(root, 'empty'), []);
  });
});

describe('commitOutDir', () => {
  it('creates, then replaces the whole set; nothing left beside it', async () => {
    const out = join(dir, 'c1', 'a', 'out');
    await commitOutDir(checkOutDir(out, []), set('one'));
    expect(tagOf(out)).toBe('one');
    await commitOutDir(checkOutDir(out, []), set('two'));
    expect(tagOf(out)).toBe('two');
    expect(readdirSync(join(dir, 'c1', 'a'))).toEqual(['out']);
  });

  it('a failure before the swap leaves the old complete set and no temporaries', async () => {
    const out = join(dir, 'c2');
    await commitOutDir(checkOutDir(out, []), set('old'));
    await expect(
      commitOutDir(checkOutDir(out, []), set('new'), { afterWrite: () => { throw new Error('disk full'); } }),
    ).rejects.toThrow('disk full');
    expect(tagOf(out)).toBe('old');
    // a file that cannot be written (second of three) fails the same way
    const bad = set('new');
    bad[1][0] = 'x'.repeat(300); // ENAMETOOLONG
    await expect(commitOutDir(checkOutDir(out, []), bad)).rejects.toThrow();
    expect(tagOf(out)).toBe('old');
    expect(readdirSync(dir).filter((n) => n.startsWith('.c2'))).toEqual([]);
  });

  it('many concurrent commits into one folder: always one complete set, nothing left over', async () => {
    const parent = join(dir, 'c3');
    const out = join(parent, 'out');
    const tags = Array.from({ length: 24 }, (_, i) => `run${i}`);
    await Promise.all(tags.map((t) => commitOutDir(checkOutDir(out, []), set(t))));
    expect(tags).toContain(tagOf(out));
    expect(readdirSync(parent)).toEqual(['out']);
    expect(readdirSync(out).sort()).toEqual([...OUTPUT_FILES].sort());
  });
});

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(REPO, 'bin', 'defect-studio.mjs'), ...args], { cwd: REPO, timeout: 90_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

describe('defect-studio generate --out', () => {
  it('checks --out first, never overwrites an input, never leaves a mix', async () => {
    const inputs = join(dir, 'inputs');
    mkdirSync(inputs);
    const imagePng = encodePngRGBA(makeImage(64, 48));
    writeFileSync(join(inputs, 'image.png'), imagePng);
    writeFileSync(join(inputs, 'trimap.png'), encodeTrimapPng(makeTrimap(64, 48, 30, 20, 6, 4)));
    const gen = (out: string, model = packDir('tiny-sd'), image = join(inputs, 'image.png'), seed = '3') => [
      'generate', '--model', model, '--image', image, '--trimap', join(inputs, 'trimap.png'), '--prompt', 'x', '--steps', '2',
      '--seed', seed, '--no-adapt', '--out', out,
    ];
    // a broken pack, so that anything reaching the pack fails with a pack error
    const broken = join(dir, 'broken');
    cpSync(packDir('tiny-sd'), broken, { recursive: true });
    rmSync(join(broken, 'unet', 'model.onnx'));
    writeFileSync(join(dir, 'outfile'), 'keep');
    // a previous output whose mask.png is a folder: the old code renamed image.png in and then failed
    const prev = join(dir, 'prev');
    mkdirSync(join(prev, 'mask.png'), { recursive: true });
    writeFileSync(join(prev, 'image.png'), 'old image');
    writeFileSync(join(prev, 'meta.json'), '{}');

    const [asFile, intoInputs, mixed, a, b] = await Promise.all([
      run(gen(join(dir, 'outfile'), broken)),
      run(gen(inputs)),
      run(gen(prev)),
      run(gen(join(dir, 'race'), packDir('tiny-sd'), join(inputs, 'image.png'), '1')),
      run(gen(join(dir, 'race'), packDir('tiny-sd'), join(inputs, 'image.png'), '2')),
    ]);
    const oneLine = (r: { code: number; stderr: string }, re: RegExp) => {
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(re);
    };
    oneLine(asFile, /^defect-studio: input: --out .*outfile is a file, not a folder/);
    expect(readFileSync(join(dir, 'outfile'), 'utf8')).toBe('keep');
    oneLine(intoInputs, /--out .*inputs .*(holds other files|would overwrite the input)/);
    expect(readFileSync(join(inputs, 'image.png'))).toEqual(Buffer.from(imagePng));
    expect(readdirSync(inputs).sort()).toEqual(['image.png', 'trimap.png']);
    oneLine(mixed, /mask\.png is not a regular file/);
    expect(readFileSync(join(prev, 'image.png'), 'utf8')).toBe('old image');
    // the race: both succeed, the folder is one run's complete set
    expect(a.stderr + b.stderr).toBe('');
    const meta = JSON.parse(readFileSync(join(dir, 'race', 'meta.json'), 'utf8'));
    const solo = join(dir, `solo-${meta.seed}`);
    expect((await run(gen(solo, packDir('tiny-sd'), join(inputs, 'image.png'), String(meta.seed)))).code).toBe(0);
    expect(readFileSync(join(dir, 'race', 'image.png'))).toEqual(readFileSync(join(solo, 'image.png')));
    expect(readFileSync(join(dir, 'race', 'mask.png'))).toEqual(readFileSync(join(solo, 'mask.png')));
    expect(readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
  }, 180_000);
});

/** Whether the process has loaded onnxruntime's native library (Linux: /proc/<pid>/maps). */
function ortLoaded(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/maps`, 'utf8').includes('libonnxruntime');
  } catch {
    return false;
  }
}

describe('defect-studio generate, interrupted', () => {
  it.runIf(process.platform === 'linux')('SIGTERM: exit 143, one line, nothing written, nothing left in the temp folder', async () => {
    const root = join(dir, 'sigterm');
    const tmp = join(root, 'tmp');
    mkdirSync(tmp, { recursive: true });
    writeFileSync(join(root, 'image.png'), encodePngRGBA(makeImage(64, 48)));
    writeFileSync(join(root, 'trimap.png'), encodeTrimapPng(makeTrimap(64, 48, 30, 20, 6, 4)));
    const out = join(root, 'out');
    const child = spawn(process.execPath, [join(REPO, 'bin', 'defect-studio.mjs'), 'generate', '--model', packDir('tiny-controlnet'),
      '--image', join(root, 'image.png'), '--trimap', join(root, 'trimap.png'), '--prompt', 'x', '--steps', '1000', '--out', out],
    { cwd: REPO, env: { ...process.env, TMPDIR: tmp } });
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b));
    const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    // The CLI registers its SIGTERM handler before it loads onnxruntime: once the library is mapped, the
    // run is under way (1000 steps are far from done) and the signal must stop it cleanly.
    await expect.poll(() => ortLoaded(child.pid!), { timeout: 60_000, interval: 50 }).toBe(true);
    child.kill('SIGTERM');
    expect(await exit).toBe(143);
    expect(stderr).toBe('defect-studio: interrupted, nothing written\n');
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(root).sort()).toEqual(['image.png', 'tmp', 'trimap.png']);
    expect(readdirSync(tmp).filter((n) => !/^tsx-\d+$/.test(n))).toEqual([]);
  }, 90_000);
});
