// A pack's scheduler_config.json is checked before any table is built (issue 10, item 9).
import { describe, expect, it } from 'vitest';
import { makeBetas, parseSchedulerConfig } from './config';

describe('scheduler_config.json validation', () => {
  it('refuses absurd sizes before allocating', () => {
    expect(() => parseSchedulerConfig({ num_train_timesteps: 1e8 })).toThrow(/"num_train_timesteps" must be an integer from 2 to 100000, got 100000000/);
    expect(() => parseSchedulerConfig({ num_train_timesteps: 1.5 })).toThrow(/num_train_timesteps/);
  });

  it('refuses values that would make NaN noise levels', () => {
    expect(() => parseSchedulerConfig({ beta_start: -0.1 })).toThrow(/0 < beta_start <= beta_end < 1, got -0.1 and 0.012/);
    expect(() => parseSchedulerConfig({ beta_end: 1.5 })).toThrow(/beta_end/);
    expect(() => parseSchedulerConfig({ beta_start: 0.02, beta_end: 0.01 })).toThrow(/beta_start <= beta_end/);
    expect(() => parseSchedulerConfig({ steps_offset: 1000 })).toThrow(/"steps_offset" must be an integer from 0 to 999, got 1000/);
    expect(() => parseSchedulerConfig({ clip_sample_range: 0 })).toThrow(/clip_sample_range/);
  });

  it('trained betas must match num_train_timesteps (not silently ignored)', () => {
    expect(() => parseSchedulerConfig({ num_train_timesteps: 10, trained_betas: [0.1, 0.2] })).toThrow(/"trained_betas" must be 10 numbers/);
    const betas = Array.from({ length: 10 }, (_, i) => 0.01 * (i + 1));
    const c = parseSchedulerConfig({ num_train_timesteps: 10, trained_betas: betas });
    expect(Array.from(makeBetas(c))).toEqual(betas);
  });

  it('refuses a JSON array (not an object) instead of reading it as all defaults', () => {
    expect(() => parseSchedulerConfig([1, 2])).toThrow(/expected an object/);
    expect(() => parseSchedulerConfig([])).toThrow(/expected an object/);
  });

  it('the configs of real packs still parse', () => {
    const sd = { beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', num_train_timesteps: 1000, steps_offset: 1, trained_betas: null };
    expect(parseSchedulerConfig(sd).num_train_timesteps).toBe(1000);
  });
});
