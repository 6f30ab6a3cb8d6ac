/**
 * The three-stage pipeline of METHOD.md on one scheduler trajectory, as a short loop over named parts
 * (src/core/diffusion/parts/, each a plain function testable alone):
 *   prepareContext (crop + masks) -> textConditioning -> vaeEncode -> unetConditioning ->
 *   per step: blendLatent (latent edit) -> noisePredictor (UNet + guidance) -> scheduler step ->
 *             onStep -> pixelRoundTrip (pixel edit)
 *   -> vaeDecode -> adaptDecoder (stage 3) -> pasteResult (seam blend inside the defect's rim; every pixel
 *   outside the defect is the input's).
 */
import { InputError } from '../errors';
import { DEFECT, type RGBAImage, type Trimap } from '../image';
import type { LoadedPack } from '../models/pack';
import { generationSettingsProblem } from '../settings';
import { adaptDecoder } from './parts/adapt';
import { blendLatent, pixelRoundTrip } from './parts/blend';
import { prepareContext } from './parts/context';
import { pasteResult } from './parts/paste';
import { ModelRunner, checkAbort, yieldToEventLoop } from './parts/runner';
import { textConditioning } from './parts/text';
import { noisePredictor, unetConditioning } from './parts/unet';
import { vaeDecode, vaeEncode } from './parts/vae';
import { Rng } from './rng';
import { createScheduler, type Scheduler } from './schedulers';
import type { GenerateOptions, GenerateRequest, GenerateResult, Stage } from './types';

// InputError lives in src/core/errors.ts (the one error vocabulary); re-exported for the pipeline's callers.
export { InputError };
export { abortError, yieldToEventLoop } from './parts/runner';
export { contextMasks, type ContextMasks } from './parts/context';

/**
 * Step index ranges of the stages for N steps (METHOD.md; ref 26..45 latent, 45..49 pixel of 50). Step i covers
 * the slice [i/N, (i+1)/N) of the schedule; a stage takes every step whose slice reaches its start fraction,
 * i.e. starts at floor(fraction * N). With 25 steps and 0.9 the pixel stage is steps 22..24 (3 round trips,
 * timesteps 81, 41, 1 for DDIM: the reference's 45..49 cover t <= 81 too), with 20 steps 18..19.
 */
export function stageBounds(steps: number, fractions: GenerateRequest['stages']): { latentStart: number; pixelStart: number } {
  const clamp = (v: number) => Math.min(Math.max(v, 0), steps);
  const start = (f: number) => clamp(Math.floor(f * steps + 1e-9)); // 1e-9: 0.58 * 100 is 57.99999999999999
  const latentStart = start(fractions.latentEditStart);
  const pixelStart = Math.max(latentStart, start(fractions.pixelEditStart));
  return { latentStart, pixelStart };
}

export function stageOf(i: number, b: { latentStart: number; pixelStart: number }): Stage {
  return i >= b.pixelStart ? 'pixel-edit' : i >= b.latentStart ? 'latent-edit' : 'free';
}

/** Check the request; throws InputError with one clear line. */
export function validateRequest(request: GenerateRequest): void {
  const { image, trimap } = request;
  if (!image || !(image.width > 0) || !(image.height > 0) || image.data.length !== image.width * image.height * 4) {
    throw new InputError('image: expected RGBA data of width * height * 4 bytes');
  }
  if (!trimap || trimap.width !== image.width || trimap.height !== image.height || trimap.data.length !== trimap.width * trimap.height) {
    throw new InputError(
      `trimap size ${trimap?.width}x${trimap?.height} does not match the image size ${image.width}x${image.height}`,
    );
  }
  // The one settings validation (src/core/settings), with the same ranges as the UI and the CLI.
  const bad = generationSettingsProblem(request);
  if (bad) throw new InputError(bad);
  let any = false;
  for (let i = 0; i < trimap.data.length; i++) {
    if (trimap.data[i] === DEFECT) {
      any = true;
      break;
    }
  }
  if (!any) throw new InputError('the trimap has no defect region (no pixel is 255/defect)');
}

/** The request's scheduler on the pack's config, its timesteps set, and the starting latent (seeded noise * initNoiseSigma). */
export function startTrajectory(pack: LoadedPack, request: GenerateRequest, rng: Rng, latentLen: number): { scheduler: Scheduler; z: Float32Array } {
  const scheduler = createScheduler(request.scheduler, pack.schedulerConfig, request.eta);
  scheduler.setTimesteps(request.steps);
  const z = rng.randn(latentLen);
  if (scheduler.initNoiseSigma !== 1) for (let i = 0; i < latentLen; i++) z[i] *= scheduler.initNoiseSigma;
  return { scheduler, z };
}

export async function generate(pack: LoadedPack, request: GenerateRequest, options: GenerateOptions = {}): Promise<GenerateResult> {
  const tStart = performance.now();
  const { signal, onStep, onStage, adapter } = options;
  const yieldEachStep = options.yieldEachStep ?? true;
  checkAbort(signal);
  validateRequest(request);
  const runner = new ModelRunner(signal);
  const timings = runner.timings;

  const ctx = prepareContext(pack, request);
  const { C, l, latentLen } = ctx.dims;
  const text = await textConditioning(pack, runner, request);
  // One-shot runs free each model after its last use (memory for the UNet's steps and the decode).
  const done = async (model: 'text_encoder' | 'vae_encoder') => {
    if (options.releaseAfterUse) await pack.releaseModel(model);
  };
  await done('text_encoder');
  const zOk = await vaeEncode(pack, runner, ctx.xOk);
  const predictNoise = noisePredictor(pack, runner, text, await unetConditioning(pack, runner, ctx), request.guidance);

  const rng = new Rng(request.seed);
  const { scheduler, z: z0 } = startTrajectory(pack, request, rng, latentLen);
  let z = z0;
  const N = scheduler.timesteps.length;
  const bounds = stageBounds(N, request.stages);
  const stochastic = scheduler.name === 'ddim' && request.eta > 0;
  if (bounds.pixelStart >= N) await done('vae_encoder');

  for (let i = 0; i < N; i++) {
    if (yieldEachStep) await yieldToEventLoop();
    checkAbort(signal);
    const t = scheduler.timesteps[i]; // float timesteps go as-is to float inputs; integer inputs round them
    if (i >= bounds.latentStart && i <= bounds.pixelStart && bounds.latentStart < N) {
      z = blendLatent(scheduler.addNoise(zOk, rng.randn(latentLen), t), z, ctx.masks.editLatent, C);
    }
    const eps = await predictNoise(scheduler.scaleModelInput(z, i), t, i);
    const { prevSample, predOriginalSample } = scheduler.step(eps, i, z, stochastic ? rng.randn(latentLen) : undefined);
    z = prevSample;
    if (onStep) {
      const stage = stageOf(i, bounds);
      await onStep({ step: i, totalSteps: N, timestep: t, stage, latent: z.slice(), x0Hat: predOriginalSample.slice(), latentShape: [C, l, l], crop: ctx.crop });
      checkAbort(signal);
    }
    if (i >= bounds.pixelStart) {
      z = await pixelRoundTrip(pack, runner, ctx, scheduler, rng, predOriginalSample, t);
      if (i === N - 1) await done('vae_encoder');
    }
  }

  checkAbort(signal);
  onStage?.('decode');
  const decoded = await vaeDecode(pack, runner, z);
  const adapted = await adaptDecoder(adapter, request.adaptation, ctx, z, decoded, signal, () => onStage?.('adapt'));
  if (adapted.ms !== undefined) timings.adapt = adapted.ms;
  checkAbort(signal);

  const t0 = performance.now();
  const { image, mask } = pasteResult(request, ctx, adapted.xGen, request.seamPx, request.seamSpareStrokes);
  timings.paste = performance.now() - t0;
  timings.total = performance.now() - tStart;
  return { image, mask, crop: ctx.crop, timings, adaptation: adapted.report };
}

export type { RGBAImage, Trimap };
