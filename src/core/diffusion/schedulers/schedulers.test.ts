/**
 * Scheduler timesteps and golden numbers. GOLDEN was computed independently with numpy (float64) from the
 * published formulas (DDIM eq. 12, Karras Algorithm 2, DPM-Solver++ Algorithm 2) by
 * `/usr/bin/python3 tools/scheduler-goldens.py` and pasted here verbatim.
 */
import { describe, expect, it } from 'vitest';
import {
  DDIMScheduler,
  DPMSolverPP2MScheduler,
  EulerScheduler,
  SD_SCHEDULER_CONFIG,
  alphasCumprod,
  makeBetas,
  parseSchedulerConfig,
  type SchedulerConfig,
} from './index';

const GOLDEN = {
 "abar_scaled_linear": {
  "0": 0.99915,
  "1": 0.9982960278384514,
  "499": 0.27766965045646763,
  "999": 0.004660098513077238
 },
 "abar_linear": {
  "0": 0.9999,
  "499": 0.07858724288177824,
  "999": 4.035829765375676e-05
 },
 "ddim_leading_50": [
  981,
  961,
  941,
  921,
  901,
  881,
  861,
  841,
  821,
  801,
  781,
  761,
  741,
  721,
  701,
  681,
  661,
  641,
  621,
  601,
  581,
  561,
  541,
  521,
  501,
  481,
  461,
  441,
  421,
  401,
  381,
  361,
  341,
  321,
  301,
  281,
  261,
  241,
  221,
  201,
  181,
  161,
  141,
  121,
  101,
  81,
  61,
  41,
  21,
  1
 ],
 "ddim_trailing_10": [
  999,
  899,
  799,
  699,
  599,
  499,
  399,
  299,
  199,
  99
 ],
 "ddim_linspace_7": [
  999,
  832,
  666,
  500,
  333,
  166,
  0
 ],
 "dpm_leading_10": [
  901,
  811,
  721,
  631,
  541,
  451,
  361,
  271,
  181,
  91
 ],
 "ddim_step_eps": [
  [
   0.5718677642527519,
   -1.9713275641815218,
   2.9622259076869706,
   -0.3242171000888261
  ],
  [
   0.7426340759569662,
   -6.536146066836181,
   8.326958032886413,
   -3.333147308696664
  ]
 ],
 "ddim_step_v": [
  [
   0.4601340112899044,
   -1.2757176092954043,
   2.0336582786239936,
   -0.03350264949386372
  ],
  [
   -0.14434450839836055,
   -1.014169791202471,
   0.9556885707542042,
   -1.0253621945056426
  ]
 ],
 "ddim_step_eta": [
  [
   0.6364547700803052,
   -2.1823969221881283,
   3.4883400672471367,
   -1.0614006176555992
  ],
  [
   0.7426340759569662,
   -6.536146066836181,
   8.326958032886413,
   -3.333147308696664
  ]
 ],
 "ddim_last_step": [
  [
   0.4965711846826685,
   -1.209012611272226,
   2.005712082994135,
   0.08668646316528397
  ],
  [
   0.4880322146257678,
   -1.2299437801372746,
   2.018231917697924,
   0.05463945444849915
  ]
 ],
 "add_noise_t500": [
  0.4755083711236974,
  -1.0561514527521516,
  2.327376674218401,
  -1.6488054036420687
 ],
 "euler_sigmas_10": [
  8.390684770218579,
  5.134431117517536,
  3.3477635806615926,
  2.292853821788702,
  1.623692081515863,
  1.1682159550479787,
  0.8356528080331495,
  0.5740502594628525,
  0.34618670638077037,
  0.04131441199678309,
  0.0
 ],
 "euler_init_sigma_leading": 8.450064550829065,
 "euler_step3_eps": [
  [
   0.2992514779181483,
   -1.6684132181909872,
   2.2676646961091356,
   -0.636077914300123
  ],
  [
   -0.18785614653661054,
   -2.8049976752520913,
   2.9171415287154807,
   -2.422139203967572
  ]
 ],
 "euler_step3_v": [
  [
   0.2971442815898124,
   -1.093012053077609,
   1.6165949035559362,
   -0.2187826988598839
  ],
  [
   -0.19507636380831872,
   -0.8334104175078644,
   0.6862789849332933,
   -0.9922951588699334
  ]
 ],
 "euler_scale_input3": [
  0.19988524047927203,
  -0.47972457715025285,
  0.7995409619170881,
  0.03997704809585441
 ],
 "euler_linspace_4_sigmas": [
  14.614641229333639,
  2.9183071154268285,
  0.9323579668348474,
  0.029167158151720367
 ],
 "dpm_3_steps": [
  [
   [
    0.6072415559316248,
    -2.2401067097434355,
    3.3109121116223146,
    -0.45181651594595507
   ],
   [
    1.707826844348959,
    -16.01355680014788,
    20.25640300974556,
    -8.38474679215753
   ]
  ],
  [
   [
    0.7226934863592015,
    -3.62419612745836,
    5.020049168193174,
    -1.239490197519799
   ],
   [
    1.5465368019893693,
    -16.389900232320255,
    20.471456399558345,
    -8.976143614142691
   ]
  ],
  [
   [
    0.8440278269378676,
    -5.312827511307618,
    7.079954380040751,
    -2.238692431600459
   ],
   [
    1.4145216846907414,
    -16.697935506017053,
    20.647476555956516,
    -9.46019904423766
   ]
  ]
 ]
};

const x = new Float32Array([0.5, -1.2, 2.0, 0.1]);
const e = new Float32Array([0.3, 0.7, -0.4, 1.1]);
const z = new Float32Array([0.25, -0.5, 1.5, -2.0]);
// the step tests below are written for leading spacing (SD-1.5's DDIM); timesteps.test.ts covers every spacing
const cfg = (o: Partial<SchedulerConfig> = {}): SchedulerConfig => ({ ...SD_SCHEDULER_CONFIG, timestep_spacing: 'leading', ...o });

function close(actual: ArrayLike<number>, expected: number[], tol = 2e-5) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const scale = Math.max(1, Math.abs(expected[i]));
    if (Math.abs(actual[i] - expected[i]) > tol * scale) {
      throw new Error(`index ${i}: ${actual[i]} vs golden ${expected[i]}`);
    }
  }
}

describe('beta schedules', () => {
  it('scaled_linear and linear cumulative alphas', () => {
    const a = alphasCumprod(makeBetas(cfg()));
    for (const [i, v] of Object.entries(GOLDEN.abar_scaled_linear)) expect(a[Number(i)]).toBeCloseTo(v as number, 12);
    const b = alphasCumprod(makeBetas(cfg({ beta_schedule: 'linear', beta_start: 0.0001, beta_end: 0.02 })));
    for (const [i, v] of Object.entries(GOLDEN.abar_linear)) expect(b[Number(i)]).toBeCloseTo(v as number, 12);
  });

  it('parses scheduler_config.json with defaults and rejects unknown values', () => {
    const c = parseSchedulerConfig({ beta_schedule: 'linear', prediction_type: 'v_prediction', timestep_spacing: 'trailing' });
    expect(c.beta_schedule).toBe('linear');
    expect(c.steps_offset).toBe(1);
    expect(() => parseSchedulerConfig({ timestep_spacing: 'sideways' })).toThrow(/timestep_spacing/);
    expect(() => parseSchedulerConfig({ beta_start: 'x' })).toThrow(/beta_start/);
  });
});

describe('DDIM', () => {
  it('timesteps: leading with steps_offset (the reference 981 ... 1), trailing, linspace', () => {
    const s = new DDIMScheduler(cfg());
    s.setTimesteps(50);
    expect(s.timesteps).toEqual(GOLDEN.ddim_leading_50);
    expect(s.timesteps[0]).toBe(981);
    expect(s.timesteps[49]).toBe(1);
    const t = new DDIMScheduler(cfg({ timestep_spacing: 'trailing' }));
    t.setTimesteps(10);
    expect(t.timesteps).toEqual(GOLDEN.ddim_trailing_10);
    const l = new DDIMScheduler(cfg({ timestep_spacing: 'linspace' }));
    l.setTimesteps(7);
    expect(l.timesteps).toEqual(GOLDEN.ddim_linspace_7);
  });

  it('step: epsilon, v_prediction, eta > 0 and the final step', () => {
    const s = new DDIMScheduler(cfg());
    s.setTimesteps(10);
    expect(s.timesteps[2]).toBe(701);
    let r = s.step(e, 2, x);
    close(r.prevSample, GOLDEN.ddim_step_eps[0]);
    close(r.predOriginalSample, GOLDEN.ddim_step_eps[1]);
    const v = new DDIMScheduler(cfg({ prediction_type: 'v_prediction' }));
    v.setTimesteps(10);
    r = v.step(e, 2, x);
    close(r.prevSample, GOLDEN.ddim_step_v[0]);
    close(r.predOriginalSample, GOLDEN.ddim_step_v[1]);
    const eta = new DDIMScheduler(cfg(), 0.5);
    eta.setTimesteps(10);
    r = eta.step(e, 2, x, z);
    close(r.prevSample, GOLDEN.ddim_step_eta[0]);
    const last = new DDIMScheduler(cfg());
    last.setTimesteps(10);
    expect(last.timesteps[9]).toBe(1);
    r = last.step(e, 9, x);
    close(r.prevSample, GOLDEN.ddim_last_step[0]);
    close(r.predOriginalSample, GOLDEN.ddim_last_step[1]);
  });

  it('addNoise and scaleModelInput', () => {
    const s = new DDIMScheduler(cfg());
    close(s.addNoise(x, z, 500), GOLDEN.add_noise_t500);
    expect(s.scaleModelInput(x)).toBe(x);
    expect(s.initNoiseSigma).toBe(1);
  });
});

describe('Euler', () => {
  it('sigmas, init sigma, scaled input and steps', () => {
    const s = new EulerScheduler(cfg());
    s.setTimesteps(10);
    expect(s.timesteps).toEqual([901, 801, 701, 601, 501, 401, 301, 201, 101, 1]);
    close(s.sigmas, GOLDEN.euler_sigmas_10, 1e-9);
    expect(s.initNoiseSigma).toBeCloseTo(GOLDEN.euler_init_sigma_leading, 9);
    close(s.scaleModelInput(x, 3), GOLDEN.euler_scale_input3);
    const r = s.step(e, 3, x);
    close(r.prevSample, GOLDEN.euler_step3_eps[0]);
    close(r.predOriginalSample, GOLDEN.euler_step3_eps[1]);
    const v = new EulerScheduler(cfg({ prediction_type: 'v_prediction' }));
    v.setTimesteps(10);
    const rv = v.step(e, 3, x);
    close(rv.prevSample, GOLDEN.euler_step3_v[0]);
    close(rv.predOriginalSample, GOLDEN.euler_step3_v[1]);
  });

  it('linspace spacing interpolates sigmas at fractional timesteps', () => {
    const s = new EulerScheduler(cfg({ timestep_spacing: 'linspace' }));
    s.setTimesteps(4);
    expect(s.timesteps[1]).toBeCloseTo(666, 9);
    close(s.sigmas.slice(0, 4), GOLDEN.euler_linspace_4_sigmas, 1e-9);
    expect(s.initNoiseSigma).toBeCloseTo(GOLDEN.euler_linspace_4_sigmas[0], 9);
  });
});

describe('DPM-Solver++(2M)', () => {
  it('timesteps and a multistep trajectory', () => {
    const s = new DPMSolverPP2MScheduler(cfg());
    s.setTimesteps(10);
    expect(s.timesteps).toEqual(GOLDEN.dpm_leading_10);
    let sample: Float32Array = x;
    for (let k = 0; k < 3; k++) {
      const eps = e.map((v) => v * (1 + 0.1 * k));
      const r = s.step(eps, k, sample);
      close(r.prevSample, GOLDEN.dpm_3_steps[k][0], 5e-5);
      close(r.predOriginalSample, GOLDEN.dpm_3_steps[k][1], 5e-5);
      sample = r.prevSample;
    }
  });

  it('the last step lands on the predicted x0 (final sigma 0)', () => {
    const s = new DPMSolverPP2MScheduler(cfg());
    s.setTimesteps(3);
    let sample: Float32Array = x;
    let r = s.step(e, 0, sample);
    sample = r.prevSample;
    r = s.step(e, 1, sample);
    r = s.step(e, 2, r.prevSample);
    close(r.prevSample, Array.from(r.predOriginalSample), 1e-7);
  });
});
