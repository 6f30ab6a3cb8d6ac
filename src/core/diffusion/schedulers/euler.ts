/** Euler (Karras et al. 2022, Algorithm 2 with s_churn = 0), diffusers' EulerDiscreteScheduler semantics. */
import {
  alphasCumprod,
  interpTable,
  makeBetas,
  spacedTimesteps,
  spacingOf,
  type Scheduler,
  type SchedulerConfig,
  type StepOutput,
} from './config';

export class EulerScheduler implements Scheduler {
  readonly name = 'euler' as const;
  readonly alphasCumprod: Float64Array;
  /** sqrt((1 - abar) / abar) for every training timestep. */
  readonly trainSigmas: Float64Array;
  timesteps: number[] = [];
  sigmas: number[] = [];
  initNoiseSigma = 1;

  constructor(readonly config: SchedulerConfig) {
    this.alphasCumprod = alphasCumprod(makeBetas(config));
    this.trainSigmas = this.alphasCumprod.map((a) => Math.sqrt((1 - a) / a));
  }

  setTimesteps(steps: number): void {
    this.timesteps = spacedTimesteps(this.config, steps, 'euler');
    this.sigmas = this.timesteps.map((t) => interpTable(this.trainSigmas, t)).concat(0);
    const max = Math.max(...this.sigmas);
    this.initNoiseSigma = spacingOf(this.config, 'euler') === 'leading' ? Math.sqrt(max * max + 1) : max;
  }

  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    const s = this.sigmas[stepIndex];
    const k = 1 / Math.sqrt(s * s + 1);
    const out = new Float32Array(sample.length);
    for (let i = 0; i < out.length; i++) out[i] = sample[i] * k;
    return out;
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): StepOutput {
    const sigma = this.sigmas[stepIndex];
    const next = this.sigmas[stepIndex + 1];
    const dt = next - sigma;
    const n = sample.length;
    const prev = new Float32Array(n);
    const x0 = new Float32Array(n);
    const pt = this.config.prediction_type;
    const c = 1 / (sigma * sigma + 1);
    const cv = -sigma / Math.sqrt(sigma * sigma + 1);
    for (let i = 0; i < n; i++) {
      const x = sample[i];
      const m = modelOutput[i];
      const p0 = pt === 'epsilon' ? x - sigma * m : pt === 'v_prediction' ? m * cv + x * c : m;
      x0[i] = p0;
      const d = (x - p0) / sigma;
      prev[i] = x + d * dt;
    }
    return { prevSample: prev, predOriginalSample: x0 };
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    const s = interpTable(this.trainSigmas, timestep);
    const out = new Float32Array(original.length);
    for (let i = 0; i < out.length; i++) out[i] = original[i] + s * noise[i];
    return out;
  }
}
