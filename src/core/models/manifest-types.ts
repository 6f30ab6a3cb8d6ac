import type { PackDefaults, PromptPresetEntry } from '../settings';

/** The ONNX models of a pack, one folder each (`unet/model.onnx`, ...). */
export type PackModelName = 'unet' | 'controlnet' | 'text_encoder' | 'vae_encoder' | 'vae_decoder';

/**
 * What one model's weights cost once its session exists (manifest `models`, written by `defect-studio pack`
 * from the graph; optional: a pack without it is estimated from its file sizes alone).
 */
export interface PackModelInfo {
  /** The floating-point type holding most of the model's weight bytes as stored: `float32`, `float16`, `bfloat16`, `float64`. */
  weightType: string;
  /**
   * Stored bytes of 16-bit weights that the graph casts to float32 (`Cast(to=FLOAT)` on the initializer):
   * ONNX Runtime folds those casts when the session is created and keeps the weights as float32.
   */
  castToFloat32Bytes: number;
  /** The model's bytes once loaded: its files' bytes (graph + external data) plus `castToFloat32Bytes`. */
  runtimeBytes: number;
}

/** `defect-studio.json`: the part of a model pack that the diffusers/Optimum layout does not say. */
export interface PackManifest {
  format: 'defect-studio-pack@1';
  id: string;
  name: string;
  description?: string;
  /** How the trimap reaches the model (METHOD.md). */
  conditioning: 'none' | 'concat' | 'controlnet';
  /**
   * concat mode: the extra UNet input channels after the noisy latent, in order. Known names:
   * 'mask' / 'defect_mask' (1 ch, 1 = defect, max-pooled to latent size), 'object_mask' (1 ch, fraction of
   * non-background pixels per latent cell), 'masked_image_latent' (C ch, scale * E(x_ok with the defect set to 0)).
   */
  concatChannels?: string[];
  /** Native image resolution (square), e.g. 256 or 512. */
  resolution: number;
  latentChannels: number;
  /** Image pixels per latent cell along one side (8 for SD, 4 for a 4x VAE). */
  vaeScaleFactor: number;
  /** Latent scaling factor (0.18215 for SD 1.x). */
  latentScale: number;
  /** latentChannels x 3 matrix mapping x0-hat latent channels to RGB in [-1, 1]; optional bias [3]. */
  previewMatrix: number[][];
  previewBias?: number[];
  /**
   * Context normalisation (contextnorm.ts): the crop's colour channels are scaled so that the context's mean
   * is mid grey before the VAE, and the generation is scaled back after decoding. Default false.
   */
  contextNorm?: boolean;
  /**
   * Prompt presets shown in the UI: prompts, or `{"prompt": ..., "guidance": 4, ...}` with the preset's own
   * settings, used whenever the prompt is that preset's (src/core/settings: defaultSettings, presetPrompts).
   */
  promptPresets: PromptPresetEntry[];
  /** Overrides of the reference settings (keys and ranges: src/core/settings, PACK_SETTING_KEYS). */
  defaults?: PackDefaults;
  /** Tokenizer kind: 'clip-bpe' (tokenizer/vocab.json + merges.txt) or 'word-level' (tokenizer/tokenizer.json). */
  tokenizer: 'clip-bpe' | 'word-level';
  /** Per model (optional, since `defect-studio pack` writes it): its weights' type and run-time size (memory.ts uses it). */
  models?: Partial<Record<PackModelName, PackModelInfo>>;
  /** Every file of the pack: relative path -> byte size and lowercase hex sha256. */
  files: Record<string, { bytes: number; sha256: string }>;
}
