/** DDIM (Song et al. 2020), diffusers' DDIMScheduler semantics, with eta. */
import {
  alphasCumprod,
  makeBetas,
  spacedTimesteps,
  type Scheduler,
  type SchedulerConfig,
  type StepOutput,
} from './config';

export class DDIMScheduler implements Scheduler {
  readonly name = 'ddim' as const;
  readonly alphasCumprod: Float64Array;
  readonly finalAlphaCumprod: number;
  readonly initNoiseSigma = 1;
  timesteps: number[] = [];
  private stepRatio = 1;

  constructor(readonly config: SchedulerConfig, readonly eta = 0) {
    this.alphasCumprod = alphasCumprod(makeBetas(config));
    this.finalAlphaCumprod = config.set_alpha_to_one ? 1 : this.alphasCumprod[0];
  }

  setTimesteps(steps: number): void {
    this.timesteps = spacedTimesteps(this.config, steps, 'ddim');
    this.stepRatio = Math.floor(this.config.num_train_timesteps / steps);
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  private alphaAt(t: number): number {
    return t >= 0 ? this.alphasCumprod[Math.min(t, this.alphasCumprod.length - 1)] : this.finalAlphaCumprod;
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: Float32Array): StepOutput {
    const t = this.timesteps[stepIndex];
    const prevT = t - this.stepRatio;
    const aT = this.alphaAt(t);
    const aPrev = this.alphaAt(prevT);
    const bT = 1 - aT;
    const sqA = Math.sqrt(aT);
    const sqB = Math.sqrt(bT);
    const variance = ((1 - aPrev) / bT) * (1 - aT / aPrev);
    const std = this.eta * Math.sqrt(Math.max(variance, 0));
    const dirCoef = Math.sqrt(Math.max(1 - aPrev - std * std, 0));
    const sqAPrev = Math.sqrt(aPrev);
    const n = sample.length;
    const prev = new Float32Array(n);
    const x0 = new Float32Array(n);
    const pt = this.config.prediction_type;
    const clip = this.config.clip_sample ? this.config.clip_sample_range : 0;
    for (let i = 0; i < n; i++) {
      const x = sample[i];
      const m = modelOutput[i];
      let p0: number;
      let eps: number;
      if (pt === 'epsilon') {
        p0 = (x - sqB * m) / sqA;
        eps = m;
      } else if (pt === 'v_prediction') {
        p0 = sqA * x - sqB * m;
        eps = sqA * m + sqB * x;
      } else {
        p0 = m;
        eps = (x - sqA * p0) / sqB;
      }
      if (clip) {
        p0 = Math.min(clip, Math.max(-clip, p0));
        eps = (x - sqA * p0) / sqB;
      }
      x0[i] = p0;
      let v = sqAPrev * p0 + dirCoef * eps;
      if (std > 0 && noise) v += std * noise[i];
      prev[i] = v;
    }
    return { prevSample: prev, predOriginalSample: x0 };
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    const a = this.alphaAt(Math.round(timestep));
    const sa = Math.sqrt(a);
    const sb = Math.sqrt(1 - a);
    const out = new Float32Array(original.length);
    for (let i = 0; i < out.length; i++) out[i] = sa * original[i] + sb * noise[i];
    return out;
  }
}
