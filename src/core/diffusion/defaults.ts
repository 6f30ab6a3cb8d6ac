/** Default generation settings: the reference values of METHOD.md, overridden by a pack's `defaults`. */
import type { PackManifest } from '../models/manifest-types';
import type { AdaptationSettings, GenerateRequest } from './types';

export const REFERENCE_SETTINGS = {
  steps: 50,
  guidance: 9,
  scheduler: 'ddim' as const,
  eta: 0,
  latentEditStart: 26 / 50,
  pixelEditStart: 45 / 50,
  latentDilation: 5,
};

export const DEFAULT_ADAPTATION_SETTINGS: AdaptationSettings = { enabled: true, backgroundWeight: 100, mu: 1e4, maxSamples: 16384 };

/** Everything of a GenerateRequest except the image, trimap, prompt and seed, from the pack's defaults. */
export function requestDefaults(manifest: PackManifest): Omit<GenerateRequest, 'image' | 'trimap' | 'prompt' | 'seed'> {
  const d = manifest.defaults ?? {};
  return {
    steps: d.steps ?? REFERENCE_SETTINGS.steps,
    guidance: d.guidance ?? REFERENCE_SETTINGS.guidance,
    scheduler: d.scheduler ?? REFERENCE_SETTINGS.scheduler,
    eta: REFERENCE_SETTINGS.eta,
    stages: {
      latentEditStart: d.latentEditStart ?? REFERENCE_SETTINGS.latentEditStart,
      pixelEditStart: d.pixelEditStart ?? REFERENCE_SETTINGS.pixelEditStart,
    },
    latentDilation: d.latentDilation ?? REFERENCE_SETTINGS.latentDilation,
    contextMargin: Math.round(manifest.resolution / 4),
    adaptation: { ...DEFAULT_ADAPTATION_SETTINGS },
  };
}
