/**
 * The fidelity classifiers (clf-photo3 / clf-photo4 of MODEL.md, clf-proc) are rebuilt on every new machine from
 * seeded data by evaluate_photos.fit_clf; MODEL.md records their sha256. Two trainings on the same data must give
 * the same weights: until session 7 the flip augmentation drew from numpy's unseeded global generator, so they did
 * not. Two processes train on a tiny random set (tests/photos/clf_determinism.py) and must agree bit for bit;
 * another seed (check_clf.py --train --seed) gives another draw.
 * Needs Debian's PyTorch (skipped without it, like the fine-tuning tests).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const PY = process.env.DS_PYTHON || '/usr/bin/python3';
const HAS_TORCH = spawnSync(PY, ['-c', 'import torch, scipy']).status === 0;

describe.skipIf(!HAS_TORCH)('evaluate_photos.fit_clf: the classifiers are reproducible', () => {
  it('gives the same weights in two processes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clf-det-'));
    try {
      const run = (i: number, seed = 0) => {
        const r = spawnSync(PY, ['tests/photos/clf_determinism.py', join(dir, `c${i}.pt`), String(seed)], {
          encoding: 'utf8', timeout: 120_000, env: { ...process.env, DS_THREADS: '1' },
        });
        expect(r.status, r.stderr).toBe(0);
        const lines = r.stdout.trim().split('\n');
        return lines[lines.length - 1];
      };
      const a = run(1);
      expect(a).toMatch(/^[0-9a-f]{64}$/);
      expect(run(2)).toBe(a);
      // check_clf.py --train --seed N: another draw of the same instrument (seed 0 = MODEL.md's classifiers)
      expect(run(3, 1)).not.toBe(a);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
