/**
 * Timesteps of every scheduler for every N in 1..1000 under every spacing, against the values diffusers computes
 * with numpy (np.linspace sets i * step + start and the last value exactly, np.arange fills start + i * delta,
 * .round() is half to even, Euler keeps float32 timesteps). Fixture: `/usr/bin/python3 tools/scheduler-goldens.py
 * --timesteps src/core/diffusion/schedulers/timesteps.golden.json` (a checksum per N, full arrays for a subset).
 */
import { describe, expect, it } from 'vitest';
import golden from './timesteps.golden.json';
import { SD_SCHEDULER_CONFIG, createScheduler, parseSchedulerConfig, type SchedulerConfig } from './index';

type Kind = 'ddim' | 'euler' | 'dpmpp-2m';
type Spacing = 'leading' | 'trailing' | 'linspace';
interface GoldenSet {
  checksums: number[];
  extra: number[];
  full: Record<string, { timesteps: number[]; sigmas?: number[] }>;
}
const sets = golden.sets as unknown as Record<string, GoldenSet>;

function fnv1a(words: Uint32Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i], 16777619) >>> 0;
  return h >>> 0;
}

function checksum(kind: Kind, ts: number[]): number {
  return fnv1a(new Uint32Array((kind === 'euler' ? Float32Array.from(ts) : Int32Array.from(ts)).buffer));
}

const cfg = (spacing: Spacing): SchedulerConfig => ({ ...SD_SCHEDULER_CONFIG, timestep_spacing: spacing });

describe('timesteps match diffusers for every N in 1..1000', () => {
  for (const kind of ['ddim', 'euler', 'dpmpp-2m'] as Kind[]) {
    for (const spacing of ['leading', 'trailing', 'linspace'] as Spacing[]) {
      it(`${kind}, ${spacing}`, () => {
        const g = sets[`${kind} ${spacing}`];
        const wrong: number[] = [];
        for (let n = 1; n <= 1000; n++) {
          const s = createScheduler(kind, cfg(spacing));
          s.setTimesteps(n);
          if (s.timesteps.length !== n || checksum(kind, s.timesteps) !== g.checksums[n - 1]) wrong.push(n);
          const full = g.full[String(n)];
          if (full) {
            expect(s.timesteps).toEqual(full.timesteps);
            if (full.sigmas) {
              const sig = (s as unknown as { sigmas: number[] }).sigmas;
              expect(sig.length).toBe(n + 1);
              expect(sig[n]).toBe(0);
              for (let i = 0; i < n; i++) expect(Math.abs(sig[i] - full.sigmas[i]) / full.sigmas[i]).toBeLessThan(1e-9);
            }
          }
        }
        expect(wrong).toEqual([]);
      });
    }
  }

  it('numpy linspace, not the exact fraction: DDIM N = 27 and DPM-Solver++ N = 26 reach 499, not 500', () => {
    const d = createScheduler('ddim', cfg('linspace'));
    d.setTimesteps(27);
    expect(d.timesteps[13]).toBe(499); // 13 * (999 / 26) = 499.49999999999994 in float64
    const p = createScheduler('dpmpp-2m', cfg('linspace'));
    p.setTimesteps(26);
    expect(p.timesteps).toContain(499);
    expect(p.timesteps).not.toContain(500);
  });
});

describe('scheduler_config.json without timestep_spacing (as SD-1.5 ships it)', () => {
  it('means leading for DDIM, linspace for Euler and DPM-Solver++ (diffusers)', () => {
    const c = parseSchedulerConfig({ beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012, steps_offset: 1 });
    expect(c.timestep_spacing).toBeUndefined();
    const d = createScheduler('ddim', c);
    d.setTimesteps(50);
    expect(d.timesteps[0]).toBe(981);
    const e = createScheduler('euler', c);
    e.setTimesteps(25);
    expect(e.timesteps).toEqual(sets['euler linspace'].full['25'].timesteps);
    expect(e.initNoiseSigma).toBeCloseTo(Math.max(...(e as unknown as { sigmas: number[] }).sigmas), 12); // linspace: max sigma
    const p = createScheduler('dpmpp-2m', c);
    p.setTimesteps(25);
    expect(p.timesteps).toEqual(sets['dpmpp-2m linspace'].full['25'].timesteps);
    expect(p.timesteps[0]).toBe(999);
  });
});
