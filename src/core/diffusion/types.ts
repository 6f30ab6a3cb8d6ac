import type { RGBAImage, Trimap } from '../image';

import type { AdaptationSettings, GenerationSettings } from '../settings';

// Settings types live with every default and range in src/core/settings.
export type { AdaptationSettings, StageFractions } from '../settings';

export type Stage = 'free' | 'latent-edit' | 'pixel-edit' | 'decode' | 'adapt';

/** One generation: the settings (src/core/settings) plus the photo and its trimap. */
export interface GenerateRequest extends GenerationSettings {
  image: RGBAImage; // the photo at full resolution
  trimap: Trimap; // same size as the image
}

/** Where the model worked inside the photo: a square crop resized to the model's native resolution. */
export interface CropWindow {
  x: number;
  y: number;
  size: number; // side of the square crop in image pixels (may extend past the image edge; padded)
}

export interface StepEvent {
  step: number; // 0-based index of the step just finished
  totalSteps: number;
  timestep: number;
  stage: Stage;
  /** Current latent z after this step, [C, h, w] (batch 1), in UNet space (scaled). */
  latent: Float32Array;
  /** Predicted clean latent x0-hat, [C, h, w], in UNet space. */
  x0Hat: Float32Array;
  latentShape: [number, number, number];
  crop: CropWindow;
}

export interface GenerateResult {
  /** The output photo: the input's pixels everywhere outside the defect, bit for bit. */
  image: RGBAImage;
  /** The exported mask: 255 where trimap == defect, else 0 (width * height). */
  mask: Uint8Array;
  crop: CropWindow;
  /** Milliseconds per part: 'encode', 'text', 'unet', 'vae-decode', 'adapt', 'total', ... */
  timings: Record<string, number>;
  adaptation?: AdaptationReport;
}

export interface AdaptationReport {
  applied: boolean;
  notice?: string; // why it was skipped
  /**
   * What the user receives (the paste: input outside the defect, the decode inside), at the model's native
   * resolution, in 8-bit levels, with the plain decode (before) and the adapted one (after): the mean step across
   * the defect's edge (4-neighbour pairs), the input's own step at the same pairs, and the mean |output - input|
   * over the defect's 2-pixel rim.
   */
  edgeStepBefore?: number;
  edgeStepAfter?: number;
  inputEdgeStep?: number;
  innerBandBefore?: number;
  innerBandAfter?: number;
  /**
   * Diagnostics of the decode before the paste (no output pixel shows them: the paste keeps the input outside
   * the defect). Mean squared error of the decoded image vs the input, outside the defect, before and after.
   */
  backgroundMseBefore?: number;
  backgroundMseAfter?: number;
  /** Same in a 4-pixel band around the defect's edge. */
  seamMseBefore?: number;
  seamMseAfter?: number;
  ms?: number;
}

export interface GenerateOptions {
  signal?: AbortSignal;
  /** Called after every step; a returned promise is awaited (back-pressure). */
  onStep?: (event: StepEvent) => unknown;
  /** Called when the pipeline enters the final 'decode' and the 'adapt' stage. */
  onStage?: (stage: Stage) => void;
  /**
   * Yield to the event loop (a macrotask) before every step so that a Worker can receive a Stop message
   * while onnxruntime-web computes synchronously. Default true.
   */
  yieldEachStep?: boolean;
  /** Stage 3: called between the final decode and the paste when request.adaptation.enabled. */
  adapter?: DecoderAdapter;
  /**
   * A one-shot run (the CLI's `generate`): release each model as soon as this run is done with it, through
   * LoadedPack.releaseModel: the text encoder after text conditioning, the VAE encoder after its last encode
   * (the last pixel round trip, or the conditioning when there is no pixel stage). The pack cannot generate
   * again afterwards. Default false: the browser Worker and `batch` keep every session for the next run.
   */
  releaseAfterUse?: boolean;
}

/**
 * Stage 3 seam: adapt the decoder to one image (METHOD.md) and return its decode.
 * Images are planar float [3, H, W] in [-1, 1] at the model's native resolution.
 */
export interface DecoderAdapter {
  adapt(args: {
    latent: Float32Array; // final latent in UNet space (scaled), [C, h, w]
    latentShape: [number, number, number];
    xGen: Float32Array; // plain decode of the final latent
    xOk: Float32Array; // the input crop
    defect: Uint8Array; // H * W, 1 inside the defect
    width: number;
    height: number;
    settings: AdaptationSettings;
    signal?: AbortSignal;
    /** The rim term of the closed-form adapter (weight, width in pixels); see adaptation/adapter.ts. */
    edgeBand?: { weight: number; px: number };
  }): Promise<{ image: Float32Array; report: AdaptationReport }>;
}
