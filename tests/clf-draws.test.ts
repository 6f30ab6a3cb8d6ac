/**
 * tools/train/clf_draws.py: the fidelity figure over several draws of the same classifier (session 7: one draw's
 * fidelity moves by several points with the seed alone, so MODEL.md reports the mean over draws). Checked on
 * synthetic metrics files: per-draw, mean / min / max, per type, cases credited by all / none, and a refusal when
 * the files score different cases.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const PY = process.env.DS_PYTHON || '/usr/bin/python3';
const HAS_NP = spawnSync(PY, ['-c', 'import numpy']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'clf-draws-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const kinds = ['scratch', 'crack', 'crack', 'fold'];
function metrics(name: string, correct: boolean[], kindsOf = kinds): string {
  const p = join(dir, name);
  const cases = correct.map((c, i) => ({ photo: i, case: 0, kind: kindsOf[i], correct: c }));
  writeFileSync(p, JSON.stringify({ classifier: { sha256: name }, cases }));
  return p;
}

describe.skipIf(!HAS_NP)('clf_draws.py', () => {
  it('summarises the draws: mean, min, max, per type, agreement', () => {
    const a = metrics('a.json', [true, false, false, true]);
    const b = metrics('b.json', [true, true, false, false]);
    const c = metrics('c.json', [true, true, true, false]);
    const out = join(dir, 'draws.json');
    const r = spawnSync(PY, ['tools/train/clf_draws.py', a, b, c, '--out', out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout.trim().split('\n').pop() as string);
    expect(res.per_draw).toEqual([0.5, 0.5, 0.75]);
    expect(res.mean).toBeCloseTo(0.583, 3);
    expect([res.min, res.max]).toEqual([0.5, 0.75]);
    expect([res.credited_by_all, res.credited_by_none]).toEqual([1, 0]);
    const full = JSON.parse(spawnSync(PY, ['-c', `import json;print(json.dumps(json.load(open(${JSON.stringify(out)}))))`], { encoding: 'utf8' }).stdout);
    expect(full.per_type.crack.per_draw).toEqual([0, 0.5, 1]);
    expect(full.per_type.crack.mean).toBe(0.5);
    expect(full.per_type.fold.credited_by_none).toBe(0);
    expect(full.per_type.scratch.credited_by_all).toBe(1);
  });

  it('refuses files that score different cases', () => {
    const a = metrics('d.json', [true, false, false, true]);
    const b = metrics('e.json', [true, false, false, true], ['scratch', 'crack', 'hole', 'fold']);
    const r = spawnSync(PY, ['tools/train/clf_draws.py', a, b], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('do not score the same cases');
  });
});
