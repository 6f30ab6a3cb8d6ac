// The typed message protocol between the page and the generation Worker.
// Pixel and latent buffers cross as transferred ArrayBuffers, never copied.
import type { AdaptationReport, CropWindow, Stage } from '../core/diffusion/types';
import { generationSettingsProblem, type GenerationSettings } from '../core/settings';
import type { PackManifest } from '../core/models/manifest-types';
import type { WordVocabulary } from '../core/models/tokenizers/types';
import type { AddProgress, KeptPack, PackOrigin } from './addPack';
import type { PackProgress } from '../core/models/pack-source';

export type { PackProgress };

export type BackendSetting = 'auto' | 'webgpu' | 'wasm';
export type ActiveBackend = 'webgpu' | 'wasm';

/** Error messages carry the core's stable codes (src/core/errors.ts), nothing else. */
export type { ErrorCode } from '../core/errors';
import type { ErrorCode } from '../core/errors';

/** Everything of a GenerateRequest except the pixel buffers (defined with the defaults in src/core/settings). */
export type GenerateSettings = GenerationSettings;

export interface ImageBuffer {
  width: number;
  height: number;
  data: ArrayBuffer; // RGBA bytes, width * height * 4
}
export interface LabelBuffer {
  width: number;
  height: number;
  data: ArrayBuffer; // class ids {0,1,2}, width * height
}

// ---- page -> worker
export interface LoadMessage {
  type: 'load';
  id: number;
  packUrl: string; // folder URL ending in '/'
  backend: BackendSetting;
  /** Skip the pack store: load straight from the network into memory (tests of the first-visit path). */
  noCache?: boolean;
  /** Load this pack of the pack store (by id; "Add model") instead of `packUrl`, without the network. */
  storedId?: string;
}
/** "Add model": check the pack (sessions on `backend`), then keep it. Answered by 'packs' or 'error'. */
export interface AddPackMessage {
  type: 'add-pack';
  id: number;
  origin: PackOrigin;
  backend: BackendSetting;
  /** Pack ids that may not be replaced (the built-in model's). */
  reservedIds: string[];
}
/** The kept packs: list them, or delete one first. Answered by 'packs'. */
export interface PacksMessage {
  type: 'packs';
  id: number;
  delete?: string;
}
export interface GenerateMessage {
  type: 'generate';
  id: number;
  image: ImageBuffer;
  trimap: LabelBuffer;
  settings: GenerateSettings;
  /** Full VAE decode preview every N steps (0 = never). */
  decodePreviewEvery: number;
}
export interface CancelMessage {
  type: 'cancel';
  id: number; // the generate id to cancel
}
/** Test hook: behave as if the GPU device was lost (the real path is GPUDevice.lost). */
export interface SimulateDeviceLostMessage {
  type: 'simulate-device-lost';
}
export type ToWorker = LoadMessage | GenerateMessage | CancelMessage | SimulateDeviceLostMessage | AddPackMessage | PacksMessage;

// ---- worker -> page
/** Byte progress of a load: the core's one progress event (download into the pack store, then reading). */
export interface LoadProgressMessage {
  type: 'load-progress';
  id: number;
  progress: PackProgress;
}
export interface LoadedMessage {
  type: 'loaded';
  id: number;
  backend: ActiveBackend;
  /** Why the backend in use is not the one asked for (Auto fallback, lost device...). */
  backendNote?: string;
  manifest: PackManifest;
  /** sha256 of defect-studio.json: pins every file of the pack. */
  manifestSha256: string;
  /** Nothing was downloaded: every file came from the pack store. */
  fromCache: boolean;
  /** Where the loaded bytes live: 'store' (the pack store, OPFS) or 'memory' (no store, or noCache). */
  storage?: 'store' | 'memory';
  bytes: number;
  ms: number;
  threads: number;
  /** The pack tokenizer's words and split rule (word-level packs); null when it represents any text (CLIP BPE). */
  vocabulary: WordVocabulary | null;
}
export interface StepMessage {
  type: 'step';
  id: number;
  step: number;
  totalSteps: number;
  stage: Stage;
  timestep: number;
  crop: CropWindow;
  /** Patch in image pixels, alpha 255 inside the defect; data is RGBA bytes. */
  preview: { x: number; y: number; width: number; height: number; data: ArrayBuffer; decoded: boolean } | null;
  /** ms since the generate message arrived. */
  elapsedMs: number;
}
export interface DecodedPreviewMessage {
  type: 'decoded-preview';
  id: number;
  step: number;
  preview: { x: number; y: number; width: number; height: number; data: ArrayBuffer };
}
export interface StageMessage {
  type: 'stage';
  id: number;
  stage: Stage | 'prepare';
}
export interface DoneMessage {
  type: 'done';
  id: number;
  image: ImageBuffer;
  mask: ArrayBuffer; // 0/255, width * height
  crop: CropWindow;
  timings: Record<string, number>;
  adaptation?: AdaptationReport;
  backend: ActiveBackend;
  /** The defect's bounding box of the result, alpha 255 inside the defect (for display). */
  patch: { x: number; y: number; width: number; height: number; data: ArrayBuffer };
  /** A small RGBA view of the context crop, for the gallery. */
  thumbnail: { width: number; height: number; data: ArrayBuffer };
}
export interface CancelledMessage {
  type: 'cancelled';
  id: number;
  /** Steps finished when the cancel message arrived, and when the run actually stopped. */
  stepsAtCancel?: number;
  stepsDone?: number;
}
export interface ErrorMessage {
  type: 'error';
  id: number;
  code: ErrorCode;
  message: string;
}
export interface AddProgressMessage extends AddProgress {
  type: 'add-progress';
  id: number;
}
export interface PacksResultMessage {
  type: 'packs';
  id: number;
  packs: KeptPack[];
  /** navigator.storage.estimate() of this origin (null where the browser has none). */
  storage: { usage: number; quota: number } | null;
  /** The pack "Add model" kept (or found already kept: `already`). */
  added?: KeptPack;
  already?: boolean;
}
export interface BackendChangedMessage {
  type: 'backend-changed';
  backend: ActiveBackend;
  reason: string;
}
export type FromWorker =
  | LoadProgressMessage
  | LoadedMessage
  | StepMessage
  | DecodedPreviewMessage
  | StageMessage
  | DoneMessage
  | CancelledMessage
  | ErrorMessage
  | AddProgressMessage
  | PacksResultMessage
  | BackendChangedMessage;

/** Validate generation settings with the one validation of src/core/settings; a message, or null. */
export function validateSettings(s: GenerateSettings): string | null {
  const p = generationSettingsProblem(s);
  return p ? `${p}.` : null;
}
