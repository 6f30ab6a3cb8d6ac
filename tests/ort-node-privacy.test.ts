/**
 * onnxruntime-node leaves nothing behind: no telemetry (device id, event store under ~/.cache, a session
 * folder and a log in the temp folder) and no copy of a pack's external data in the temp folder.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPack } from '../src/core/models/pack';
import { FsPackSource } from '../src/core/models/pack-source.node.ts';
import { createNodeRuntime } from '../src/core/models/ort-node.node.ts';
import { encodePngRGBA } from '../src/core/png';
import { encodeTrimapPng } from '../src/core/trimap/png';
import { REPO, makeImage, makeTrimap, packDir } from './helpers';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ds-privacy-'));
  writeFileSync(join(dir, 'image.png'), encodePngRGBA(makeImage(96, 72)));
  writeFileSync(join(dir, 'trimap.png'), encodeTrimapPng(makeTrimap(96, 72, 50, 40, 8, 5)));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every path under `root`, relative, skipping tsx's own compile cache (tsx-<uid>/). */
function listAll(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (!rel && /^tsx-\d+$/.test(e.name)) continue;
      out.push(r);
      if (e.isDirectory()) walk(join(d, e.name), r);
    }
  };
  walk(root, '');
  return out;
}

describe('onnxruntime-node privacy and temp files', () => {
  it('a native CLI run writes nothing under HOME and nothing in the temp folder (telemetry off by default)', async () => {
    const home = join(dir, 'home');
    const tmp = join(dir, 'tmp');
    mkdirSync(home);
    mkdirSync(tmp);
    const env: Record<string, string | undefined> = { ...process.env, HOME: home, TMPDIR: tmp, XDG_CACHE_HOME: undefined };
    // Neither an opt-out from the environment nor ORT's CI detection: the CLI must turn it off itself.
    for (const k of Object.keys(env)) if (k.startsWith('ORT_') || k === 'CI' || k.startsWith('CI_') || k === 'TF_BUILD') delete env[k];
    const args = [
      join(REPO, 'bin', 'defect-studio.mjs'), 'generate', '--model', packDir('tiny-controlnet'), '--image', join(dir, 'image.png'),
      '--trimap', join(dir, 'trimap.png'), '--prompt', 'a scratch', '--steps', '2', '--no-adapt', '--out', join(dir, 'out'),
    ];
    const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(process.execPath, args, { cwd: REPO, env, timeout: 60_000 }, (err, _o, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr })),
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(listAll(home)).toEqual([]);
    expect(listAll(tmp)).toEqual([]);
  });

  it('loads a pack with external data without writing to the temp folder', async () => {
    const saved = process.env.TMPDIR;
    // A temp folder that does not exist: any attempt to copy the model there fails the load.
    process.env.TMPDIR = join(dir, 'no-such-temp-folder');
    try {
      expect(tmpdir()).toBe(process.env.TMPDIR);
      const pack = await loadPack(new FsPackSource(packDir('tiny-controlnet')), createNodeRuntime({ threads: 1 }));
      expect(Object.keys(pack.manifest.files).some((f) => f.endsWith('.onnx_data'))).toBe(true);
      await pack.release();
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });
});
