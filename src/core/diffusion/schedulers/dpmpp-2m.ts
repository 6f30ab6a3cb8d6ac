/**
 * DPM-Solver++(2M) (Lu et al. 2022), diffusers' DPMSolverMultistepScheduler semantics with
 * algorithm_type "dpmsolver++", solver_order 2, solver_type "midpoint", lower_order_final, final sigma 0.
 */
import {
  alphasCumprod,
  arange,
  interpTable,
  linspace,
  makeBetas,
  roundHalfEven,
  spacingOf,
  type Scheduler,
  type SchedulerConfig,
  type StepOutput,
} from './config';

export class DPMSolverPP2MScheduler implements Scheduler {
  readonly name = 'dpmpp-2m' as const;
  readonly alphasCumprod: Float64Array;
  readonly trainSigmas: Float64Array;
  readonly initNoiseSigma = 1;
  timesteps: number[] = [];
  sigmas: number[] = [];
  private prevX0: Float32Array | null = null;
  private lowerOrderNums = 0;

  constructor(readonly config: SchedulerConfig) {
    this.alphasCumprod = alphasCumprod(makeBetas(config));
    this.trainSigmas = this.alphasCumprod.map((a) => Math.sqrt((1 - a) / a));
  }

  setTimesteps(steps: number): void {
    const c = this.config;
    const T = c.num_train_timesteps;
    if (!Number.isInteger(steps) || steps < 1 || steps > T) throw new Error(`steps must be an integer in 1..${T}`);
    // diffusers' DPMSolverMultistepScheduler with lambda_min_clipped = -inf (last timestep = T), via numpy
    const spacing = spacingOf(c, 'dpmpp-2m');
    let ts: number[];
    if (spacing === 'linspace') {
      ts = linspace(0, T - 1, steps + 1).map(roundHalfEven).reverse().slice(0, steps);
    } else if (spacing === 'leading') {
      const ratio = Math.floor(T / (steps + 1));
      ts = Array.from({ length: steps + 1 }, (_, i) => i * ratio)
        .reverse()
        .slice(0, steps)
        .map((t) => t + c.steps_offset);
    } else {
      ts = arange(T, 0, -T / steps)
        .slice(0, steps)
        .map((t) => roundHalfEven(t) - 1);
    }
    this.timesteps = ts;
    this.sigmas = ts.map((t) => interpTable(this.trainSigmas, t)).concat(0);
    this.prevX0 = null;
    this.lowerOrderNums = 0;
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  /** (alpha_t, sigma_t) of the VP process at Karras sigma s. */
  private static alphaSigma(s: number): [number, number] {
    const a = 1 / Math.sqrt(s * s + 1);
    return [a, s * a];
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): StepOutput {
    const n = sample.length;
    const [aS0, sS0] = DPMSolverPP2MScheduler.alphaSigma(this.sigmas[stepIndex]);
    const x0 = new Float32Array(n);
    const pt = this.config.prediction_type;
    for (let i = 0; i < n; i++) {
      const x = sample[i];
      const m = modelOutput[i];
      x0[i] = pt === 'epsilon' ? (x - sS0 * m) / aS0 : pt === 'v_prediction' ? aS0 * x - sS0 * m : m;
    }
    const last = stepIndex === this.timesteps.length - 1;
    const sigmaNext = this.sigmas[stepIndex + 1];
    const prev = new Float32Array(n);
    if (sigmaNext === 0) {
      // Final step to sigma 0 (first order): the sample is the predicted x0.
      prev.set(x0);
    } else {
      const [aT, sT] = DPMSolverPP2MScheduler.alphaSigma(sigmaNext);
      const lamT = Math.log(aT) - Math.log(sT);
      const lamS0 = Math.log(aS0) - Math.log(sS0);
      const h = lamT - lamS0;
      const ratio = sT / sS0;
      const coef = -aT * Math.expm1(-h); // -alpha_t (e^{-h} - 1)
      const secondOrder = this.prevX0 !== null && this.lowerOrderNums >= 1 && !(last && this.timesteps.length < 15);
      if (!secondOrder) {
        for (let i = 0; i < n; i++) prev[i] = ratio * sample[i] + coef * x0[i];
      } else {
        const [aS1, sS1] = DPMSolverPP2MScheduler.alphaSigma(this.sigmas[stepIndex - 1]);
        const lamS1 = Math.log(aS1) - Math.log(sS1);
        const r0 = (lamS0 - lamS1) / h;
        const m1 = this.prevX0!;
        for (let i = 0; i < n; i++) {
          const d1 = (x0[i] - m1[i]) / r0;
          prev[i] = ratio * sample[i] + coef * x0[i] + 0.5 * coef * d1;
        }
      }
    }
    this.prevX0 = x0;
    this.lowerOrderNums = Math.min(this.lowerOrderNums + 1, 2);
    return { prevSample: prev, predOriginalSample: x0 };
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    const [a, s] = DPMSolverPP2MScheduler.alphaSigma(interpTable(this.trainSigmas, timestep));
    const out = new Float32Array(original.length);
    for (let i = 0; i < out.length; i++) out[i] = a * original[i] + s * noise[i];
    return out;
  }
}
