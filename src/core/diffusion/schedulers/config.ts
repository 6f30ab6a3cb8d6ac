/** `scheduler/scheduler_config.json` (diffusers) and what all schedulers share. */
import type { SchedulerName } from '../../settings';

export interface SchedulerConfig {
  num_train_timesteps: number;
  beta_start: number;
  beta_end: number;
  beta_schedule: 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';
  trained_betas?: number[] | null;
  set_alpha_to_one: boolean;
  steps_offset: number;
  prediction_type: 'epsilon' | 'v_prediction' | 'sample';
  /** Absent in SD-1.5's file: then each scheduler's diffusers default applies (spacingOf). */
  timestep_spacing?: TimestepSpacing;
  clip_sample: boolean;
  clip_sample_range: number;
}

export type TimestepSpacing = 'leading' | 'trailing' | 'linspace';

/** Stable Diffusion 1.x's scheduler_config.json (which has no timestep_spacing). */
export const SD_SCHEDULER_CONFIG: SchedulerConfig = {
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  set_alpha_to_one: false,
  steps_offset: 1,
  prediction_type: 'epsilon',
  clip_sample: false,
  clip_sample_range: 1,
};

/** Upper bound of `num_train_timesteps` (diffusers' models use 1000; a few use up to 4000). */
export const MAX_TRAIN_TIMESTEPS = 100_000;

/** Fill defaults (those of Stable Diffusion 1.x) and check values; throws Error naming the bad field. */
export function parseSchedulerConfig(raw: unknown): SchedulerConfig {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('scheduler_config.json: expected an object');
  const r = raw as Record<string, unknown>;
  const c: SchedulerConfig = { ...SD_SCHEDULER_CONFIG };
  const num = (k: keyof SchedulerConfig) => {
    if (r[k] === undefined || r[k] === null) return;
    if (typeof r[k] !== 'number' || !Number.isFinite(r[k])) throw new Error(`scheduler_config.json: "${k}" must be a number`);
    (c as unknown as Record<string, unknown>)[k] = r[k];
  };
  num('num_train_timesteps');
  num('beta_start');
  num('beta_end');
  num('steps_offset');
  num('clip_sample_range');
  if (typeof r.set_alpha_to_one === 'boolean') c.set_alpha_to_one = r.set_alpha_to_one;
  if (typeof r.clip_sample === 'boolean') c.clip_sample = r.clip_sample;
  if (r.beta_schedule !== undefined) {
    if (!['linear', 'scaled_linear', 'squaredcos_cap_v2'].includes(r.beta_schedule as string)) {
      throw new Error(`scheduler_config.json: unsupported beta_schedule ${JSON.stringify(r.beta_schedule)}`);
    }
    c.beta_schedule = r.beta_schedule as SchedulerConfig['beta_schedule'];
  }
  if (r.prediction_type !== undefined) {
    if (!['epsilon', 'v_prediction', 'sample'].includes(r.prediction_type as string)) {
      throw new Error(`scheduler_config.json: unsupported prediction_type ${JSON.stringify(r.prediction_type)}`);
    }
    c.prediction_type = r.prediction_type as SchedulerConfig['prediction_type'];
  }
  if (r.timestep_spacing !== undefined) {
    if (!['leading', 'trailing', 'linspace'].includes(r.timestep_spacing as string)) {
      throw new Error(`scheduler_config.json: unsupported timestep_spacing ${JSON.stringify(r.timestep_spacing)}`);
    }
    c.timestep_spacing = r.timestep_spacing as SchedulerConfig['timestep_spacing'];
  }
  if (Array.isArray(r.trained_betas)) c.trained_betas = r.trained_betas as number[];
  // Checked before anything is allocated: the beta and alpha tables have num_train_timesteps entries.
  if (!Number.isInteger(c.num_train_timesteps) || c.num_train_timesteps < 2 || c.num_train_timesteps > MAX_TRAIN_TIMESTEPS) {
    throw new Error(`scheduler_config.json: "num_train_timesteps" must be an integer from 2 to ${MAX_TRAIN_TIMESTEPS}, got ${c.num_train_timesteps}`);
  }
  // Values that would make NaN or negative noise levels, and trained betas that would be ignored.
  const T = c.num_train_timesteps;
  const inUnit = (v: number) => v > 0 && v < 1;
  if (!inUnit(c.beta_start) || !inUnit(c.beta_end) || c.beta_start > c.beta_end) {
    throw new Error(`scheduler_config.json: "beta_start" and "beta_end" must satisfy 0 < beta_start <= beta_end < 1, got ${c.beta_start} and ${c.beta_end}`);
  }
  if (!Number.isInteger(c.steps_offset) || c.steps_offset < 0 || c.steps_offset >= T) {
    throw new Error(`scheduler_config.json: "steps_offset" must be an integer from 0 to ${T - 1}, got ${c.steps_offset}`);
  }
  if (!(c.clip_sample_range > 0)) throw new Error(`scheduler_config.json: "clip_sample_range" must be positive, got ${c.clip_sample_range}`);
  if (c.trained_betas) {
    const b = c.trained_betas;
    if (b.length !== T || !b.every((v) => typeof v === 'number' && inUnit(v))) {
      throw new Error(`scheduler_config.json: "trained_betas" must be ${T} numbers in (0, 1) (num_train_timesteps), got ${b.length} values`);
    }
  }
  return c;
}

export function makeBetas(c: SchedulerConfig): Float64Array {
  const T = c.num_train_timesteps;
  const betas = new Float64Array(T);
  if (c.trained_betas && c.trained_betas.length === T) {
    betas.set(c.trained_betas);
    return betas;
  }
  for (let i = 0; i < T; i++) {
    const f = T === 1 ? 0 : i / (T - 1);
    if (c.beta_schedule === 'linear') betas[i] = c.beta_start + f * (c.beta_end - c.beta_start);
    else if (c.beta_schedule === 'scaled_linear') {
      const s = Math.sqrt(c.beta_start) + f * (Math.sqrt(c.beta_end) - Math.sqrt(c.beta_start));
      betas[i] = s * s;
    } else {
      const abar = (t: number) => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
      betas[i] = Math.min(1 - abar((i + 1) / T) / abar(i / T), 0.999);
    }
  }
  return betas;
}

export function alphasCumprod(betas: Float64Array): Float64Array {
  const out = new Float64Array(betas.length);
  let p = 1;
  for (let i = 0; i < betas.length; i++) {
    p *= 1 - betas[i];
    out[i] = p;
  }
  return out;
}

/**
 * The spacing a scheduler uses: the config's, else diffusers' class default (DDIMScheduler 'leading';
 * EulerDiscreteScheduler and DPMSolverMultistepScheduler 'linspace').
 */
export function spacingOf(c: SchedulerConfig, kind: SchedulerName): TimestepSpacing {
  return c.timestep_spacing ?? (kind === 'ddim' ? 'leading' : 'linspace');
}

/**
 * numpy.linspace(a, b, n) bit for bit: step = (b - a) / (n - 1), value i = i * step + a, the last value set to
 * b exactly (not (b - a) * i / (n - 1), which rounds differently: 13 * (999 / 26) = 499.49999999999994).
 */
export function linspace(a: number, b: number, n: number): number[] {
  if (n === 1) return [a];
  const div = n - 1;
  const delta = b - a;
  const step = delta / div;
  const out = Array.from({ length: n }, (_, i) => (step === 0 ? (i / div) * delta + a : i * step + a));
  out[n - 1] = b;
  return out;
}

/** numpy.arange(start, stop, step) for floats bit for bit: ceil((stop - start) / step) values start + i * delta. */
export function arange(start: number, stop: number, step: number): number[] {
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const delta = start + step - start; // numpy fills from its first two values
  return Array.from({ length: n }, (_, i) => start + i * delta);
}

/** Python's round(): half to even, as numpy.round. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  if (Math.abs(x % 1) === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

/**
 * DDIM (integer) / Euler (float32, as diffusers keeps them) timesteps for N inference steps under the
 * scheduler's spacing, computed as diffusers does with numpy. Where numpy's arange gives N + 1 trailing values
 * (62 of the N in 1..1000 for T = 1000; diffusers would then run an extra step to t = -1) the first N are kept.
 */
export function spacedTimesteps(c: SchedulerConfig, n: number, kind: 'ddim' | 'euler'): number[] {
  const T = c.num_train_timesteps;
  if (!Number.isInteger(n) || n < 1 || n > T) throw new Error(`steps must be an integer in 1..${T}, got ${n}`);
  const spacing = spacingOf(c, kind);
  let ts: number[];
  if (spacing === 'linspace') {
    ts = linspace(0, T - 1, n).reverse();
    ts = kind === 'ddim' ? ts.map(roundHalfEven) : ts.map(Math.fround);
  } else if (spacing === 'leading') {
    const ratio = Math.floor(T / n);
    ts = Array.from({ length: n }, (_, i) => i * ratio)
      .reverse()
      .map((t) => t + c.steps_offset);
  } else {
    // np.round(np.arange(T, 0, -T / n)) - 1
    ts = arange(T, 0, -T / n)
      .slice(0, n)
      .map((t) => roundHalfEven(t) - 1);
  }
  return ts;
}

/** Linear interpolation of table[] at fractional index x (numpy.interp over arange). */
export function interpTable(table: Float64Array, x: number): number {
  if (x <= 0) return table[0];
  if (x >= table.length - 1) return table[table.length - 1];
  const i = Math.floor(x);
  if (x === i) return table[i];
  return (table[i + 1] - table[i]) * (x - i) + table[i]; // numpy.interp's slope form
}

export interface StepOutput {
  prevSample: Float32Array;
  predOriginalSample: Float32Array;
}

/** The one small API every scheduler has (as in diffusers). Steps are addressed by their index. */
export interface Scheduler {
  readonly name: SchedulerName;
  readonly config: SchedulerConfig;
  readonly timesteps: number[];
  readonly initNoiseSigma: number;
  setTimesteps(steps: number): void;
  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array;
  /** `noise` is only used by stochastic samplers (DDIM with eta > 0). */
  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: Float32Array): StepOutput;
  /** Noise a clean sample to timestep t, in this scheduler's sample space. */
  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array;
}
