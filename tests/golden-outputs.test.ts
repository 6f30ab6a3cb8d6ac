/**
 * Golden outputs: the sha256 of the CLI's output PNG and mask for every tiny test pack and the shipped
 * pack, over several seeds, schedulers and adaptation on/off, through the same calls the CLI makes
 * (openGenerator -> buildRequest -> runRequest -> encodeResultImage). A refactor of the pipeline, the
 * pack loader or the decoder adapter must leave every byte as it was.
 *
 * Floating point in onnxruntime's CPU kernels may differ between CPU types, so the hashes are kept per
 * machine key (platform, arch, onnxruntime version, CPU model). On a machine with no recorded entry the
 * comparison is skipped with a message; record one (before a refactor) with
 *   GOLDEN_RECORD=1 npx vitest run tests/golden-outputs.test.ts
 * After a deliberate change of one pack's weights (a new built-in model: tools/train/ship_builtin.sh), record
 * that pack alone while every other pack is still compared:
 *   GOLDEN_RECORD=builtin npx vitest run tests/golden-outputs.test.ts     (a comma-separated list of pack names)
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildRequest, decodeImageAndTrimap, encodeResultImage, openGenerator, runRequest } from '../src/cli/generator';
import { encodePngRGBA } from '../src/core/png';
import { encodeTrimapPng } from '../src/core/trimap/png';
import type { SettingValues } from '../src/core/settings';
import { makeImage, makeTrimap, packDir, PACK_NAMES, REPO } from './helpers';

const GOLDEN = join(REPO, 'tests', 'fixtures', 'golden-outputs.json');
const ortVersion = (JSON.parse(readFileSync(join(REPO, 'node_modules', 'onnxruntime-node', 'package.json'), 'utf8')) as { version: string }).version;
const MACHINE = `${process.platform}-${process.arch}-ort${ortVersion}-${cpus()[0]?.model ?? 'cpu'}`;
// GOLDEN_RECORD=1: record every pack; GOLDEN_RECORD=name[,name]: record those packs, compare the others.
const RECORD_ENV = process.env.GOLDEN_RECORD ?? '';
const RECORD_ALL = RECORD_ENV === '1';
const RECORD_ONLY = RECORD_ALL || !RECORD_ENV ? [] : RECORD_ENV.split(',').map((s) => s.trim()).filter(Boolean);
const RECORD = RECORD_ALL || RECORD_ONLY.length > 0;
const records = (packName: string) => RECORD_ALL || RECORD_ONLY.includes(packName);

type Golden = Record<string, Record<string, string>>;
const golden: Golden = existsSync(GOLDEN) ? (JSON.parse(readFileSync(GOLDEN, 'utf8')) as Golden) : {};
const recorded = golden[MACHINE];
const seen: Record<string, string> = {};

const CASES: { name: string; given: Partial<SettingValues> }[] = [
  { name: 'ddim-seed1', given: { seed: 1, scheduler: 'ddim', steps: 6, adaptation: false } },
  { name: 'euler-seed7-adapt', given: { seed: 7, scheduler: 'euler', steps: 5, adaptation: true } },
  { name: 'dpmpp-seed3-neg', given: { seed: 3, scheduler: 'dpmpp-2m', steps: 5, adaptation: false, negativePrompt: 'blurry' } },
];

const PACKS: [string, string][] = [...PACK_NAMES.map((n) => [n, packDir(n)] as [string, string]), ['builtin', join(REPO, 'public', 'models', 'ds-surface-v1')]];

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const unknownRecord = RECORD_ONLY.filter((n) => !PACKS.some(([p]) => p === n));
if (unknownRecord.length) throw new Error(`GOLDEN_RECORD names no pack of this test: ${unknownRecord.join(', ')} (packs: ${PACKS.map(([p]) => p).join(', ')}, or 1 for all)`);

describe.skipIf(!RECORD && !recorded)(`golden CLI outputs (${MACHINE})`, () => {
  // The CLI's input, decoded as the CLI decodes image.png and trimap.png.
  const { image, trimap, source } = decodeImageAndTrimap(encodePngRGBA(makeImage(96, 72, 11)), encodeTrimapPng(makeTrimap(96, 72, 50, 34, 10, 7)), 'image.png', 'trimap.png');

  for (const [packName, dir] of PACKS) {
    it(`${packName}: same bytes for every case`, async () => {
      const gen = await openGenerator(dir, 'native', true, { threads: 1 });
      try {
        for (const c of CASES) {
          const request = buildRequest(gen, image, trimap, { prompt: 'a scratch on brushed metal', ...c.given });
          const result = await runRequest(gen, request);
          const png = encodeResultImage(source, result);
          const key = `${packName}/${c.name}`;
          seen[key] = `${sha(png)} ${sha(result.mask)}`;
          // a pack being recorded is not compared; the others are, when this machine has a record
          if (!records(packName) && recorded) expect(seen[key], key).toBe(recorded[key]);
        }
      } finally {
        await gen.release();
      }
    }, 300_000);
  }

  afterAll(() => {
    if (!RECORD) return;
    // only the recorded packs' keys are replaced (the test fails, and says so, if one of them did not run)
    const next: Record<string, string> = {};
    for (const [k, v] of Object.entries(recorded ?? {})) {
      if (!records(k.split('/')[0])) next[k] = v;
      else if (seen[k]) next[k] = seen[k];
    }
    for (const [k, v] of Object.entries(seen)) if (records(k.split('/')[0])) next[k] = v;
    writeFileSync(GOLDEN, `${JSON.stringify({ ...golden, [MACHINE]: next }, null, 2)}\n`);
  });
});
