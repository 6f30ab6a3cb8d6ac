/**
 * Growing the built-in UNet function-preservingly (tools/train/grow.py, issue 9's "larger UNet"): its self-check
 * grows a UNet with random non-zero ("trained") weights in every supported way (a second / third residual block a
 * level, a second middle block, extra attention, growing a grown network again) and requires the grown network's
 * epsilon to equal the old one's exactly; that the AdamW state of the old parameters survives (by parameter name)
 * and the new ones warm up from the growth step; and that a grown pack exported to ONNX (whose zero projections the
 * exporter shares between layers) loads back with its architecture and weights (from_onnx.py, finetune's path).
 * Needs Debian's python3-torch and python3-onnx (skipped without them, like the fine-tuning tests).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const PY = process.env.DS_PYTHON || '/usr/bin/python3';
const HAS_TORCH = spawnSync(PY, ['-c', 'import torch, onnx']).status === 0;

describe.skipIf(!HAS_TORCH)('grow.py: a deeper UNet that computes the same function', () => {
  it('grows exactly, keeps the optimiser state of the old parameters, and round-trips through ONNX', () => {
    const r = spawnSync(PY, ['tools/train/grow.py', 'check'], { encoding: 'utf8', timeout: 280_000, env: { ...process.env, DS_THREADS: '1' } });
    const lines = r.stdout.trim().split('\n');
    expect(lines[lines.length - 1], r.stderr.slice(-2000)).toBe('grow check ok');
    expect(r.status).toBe(0);
    const rep = JSON.parse(lines.find((l) => l.startsWith('{'))!);
    for (const k of ['diff_b2', 'diff_m2', 'diff_b2a', 'diff_b3m2a', 'diff_b2_then_a', 'diff_full', 'diff_full_twice']) expect([k, rep[k]]).toEqual([k, 0]);
    expect(rep.params_b1).toBe(1908644); // v1's UNet (MODEL.md: 1.91M)
    expect(rep.params_b2).toBeGreaterThan(rep.params_b1);
    expect([rep.default_arch, rep.v1_names_kept, rep.shrink_refused]).toEqual([true, true, true]);
    expect([rep.old_state_kept, rep.new_state_empty, rep.twice_state_kept]).toEqual([true, true, true]);
    expect(rep.groups).toHaveLength(2);
    expect(rep.twice_groups).toHaveLength(3);
    expect(rep.lr_at_growth[0]).toBeCloseTo(2e-4, 10);
    expect(rep.lr_at_growth[1]).toBeCloseTo(2e-6, 10); // step 1 of a 100-step warm-up
    expect(rep.lr_after_warmup).toEqual([2e-4, 2e-4]);
    expect(rep.first_step_new_max).toBeLessThanOrEqual(2e-6 * 1.01); // Adam's first step = its learning rate
    expect([rep.pack_arch, rep.pack_weights_equal]).toEqual([true, true]);
  }, 300_000);
});
