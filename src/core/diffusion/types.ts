import type { RGBAImage, Trimap } from '../image';

export type Stage = 'free' | 'latent-edit' | 'pixel-edit' | 'decode' | 'adapt';

/** Stage boundaries as fractions of the schedule (METHOD.md; reference: 26/20/5 of 50 steps). */
export interface StageFractions {
  /** First step index of latent blending, as a fraction of the step count (ref 26/50 = 0.52). */
  latentEditStart: number;
  /** First step index of the pixel round trip (ref 45/50 = 0.9); latent blending runs up to and including it. */
  pixelEditStart: number;
}

export interface AdaptationSettings {
  enabled: boolean;
  /** Weight of the background term (ref 100). */
  backgroundWeight: number;
  /** Ridge pull towards the original weights. */
  mu: number;
  /** Pixel sampling cap for the normal equations. */
  maxSamples: number;
}

export interface GenerateRequest {
  image: RGBAImage; // the photo at full resolution
  trimap: Trimap; // same size as the image
  prompt: string;
  negativePrompt?: string;
  seed: number; // uint32
  steps: number; // ref 50
  guidance: number; // ref 9.0
  scheduler?: 'ddim' | 'euler' | 'dpmpp-2m'; // default ddim
  eta?: number; // DDIM eta, ref 0
  stages: StageFractions;
  /** Square kernel size of the latent defect-mask dilation (ref 5). */
  latentDilation: number;
  /** Margin in image pixels around the defect's bounding box for the context crop. */
  contextMargin: number;
  adaptation: AdaptationSettings;
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
  /** Mean squared error of the decoded image vs the input, outside the defect, before and after. */
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
  }): Promise<{ image: Float32Array; report: AdaptationReport }>;
}
