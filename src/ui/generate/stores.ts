// Generation state, sliced by concern. Only small values live here: pixel buffers stay in buffers.ts.
import { create } from 'zustand';
import type { ActiveBackend, BackendSetting, GenerateSettings } from '../../worker/protocol';
import type { PackManifest } from '../../core/models/manifest-types';
import type { Stage } from '../../core/diffusion/types';
import { DEFAULT_ADAPTATION_SETTINGS } from '../../core/diffusion/defaults';

// ---- settings the user edits
export interface SettingsState {
  prompt: string;
  negativePrompt: string;
  seed: number;
  randomSeed: boolean;
  steps: number;
  guidance: number;
  latentEditStart: number;
  pixelEditStart: number;
  latentDilation: number;
  contextMargin: number;
  adaptation: boolean;
  variants: number;
  decodePreviewEvery: number;
  backend: BackendSetting;
  category: string;
  defectName: string; // '' = derived from the prompt
  set: (patch: Partial<Omit<SettingsState, 'set'>>) => void;
}

const storedBackend = (): BackendSetting => {
  try {
    const v = globalThis.localStorage?.getItem('defect-studio.backend');
    return v === 'webgpu' || v === 'wasm' || v === 'auto' ? v : 'auto';
  } catch {
    return 'auto';
  }
};

export const useSettings = create<SettingsState>((set) => ({
  prompt: '',
  negativePrompt: '',
  seed: 1234,
  randomSeed: false,
  steps: 20,
  guidance: 9,
  latentEditStart: 0.52,
  pixelEditStart: 0.9,
  latentDilation: 5,
  contextMargin: 32,
  adaptation: true,
  variants: 1,
  decodePreviewEvery: 0,
  backend: storedBackend(),
  category: '',
  defectName: '',
  set: (patch) => set(patch),
}));

/** Apply a pack's defaults when it loads (only the values the pack gives). */
export function applyPackDefaults(m: PackManifest) {
  const d = m.defaults ?? {};
  const s = useSettings.getState();
  s.set({
    steps: d.steps ?? s.steps,
    guidance: d.guidance ?? s.guidance,
    latentEditStart: d.latentEditStart ?? s.latentEditStart,
    pixelEditStart: d.pixelEditStart ?? s.pixelEditStart,
    latentDilation: d.latentDilation ?? s.latentDilation,
    prompt: s.prompt || m.promptPresets[0] || '',
  });
}

export function settingsToRequest(s: SettingsState, seed: number): GenerateSettings {
  return {
    prompt: s.prompt,
    negativePrompt: s.negativePrompt || undefined,
    seed,
    steps: s.steps,
    guidance: s.guidance,
    scheduler: 'ddim',
    eta: 0,
    stages: { latentEditStart: s.latentEditStart, pixelEditStart: s.pixelEditStart },
    latentDilation: s.latentDilation,
    contextMargin: s.contextMargin,
    adaptation: { ...DEFAULT_ADAPTATION_SETTINGS, enabled: s.adaptation },
  };
}

// ---- the model
export interface ModelState {
  status: 'idle' | 'loading' | 'ready' | 'error';
  packUrl: string;
  loaded: number;
  total: number;
  file: string;
  fromCache: boolean;
  backend: ActiveBackend | null;
  backendNote: string;
  manifest: PackManifest | null;
  manifestSha256: string;
  threads: number;
  loadMs: number;
  error: string;
}

export const useModel = create<ModelState>(() => ({
  status: 'idle',
  packUrl: '',
  loaded: 0,
  total: 0,
  file: '',
  fromCache: false,
  backend: null,
  backendNote: '',
  manifest: null,
  manifestSha256: '',
  threads: 1,
  loadMs: 0,
  error: '',
}));

// ---- the run in progress
export interface RunState {
  running: boolean;
  step: number; // steps done
  totalSteps: number;
  stage: Stage | 'prepare' | '';
  variant: number; // 1-based
  variants: number;
  previewFrames: number;
  error: { title: string; message: string } | null;
  notice: string;
}

export const useRun = create<RunState>(() => ({
  running: false,
  step: 0,
  totalSteps: 0,
  stage: '',
  variant: 0,
  variants: 0,
  previewFrames: 0,
  error: null,
  notice: '',
}));

// ---- results
export interface ResultMeta {
  id: number;
  seed: number;
  settings: GenerateSettings;
  imageName: string;
  sourceKey: string;
  status: 'new' | 'accepted' | 'discarded';
  backend: ActiveBackend;
  timings: Record<string, number>;
}

export interface ResultsState {
  results: ResultMeta[];
  selectedId: number | null;
  /** Compare: 1 = all result, 0 = all original (a wipe from the left). */
  wipe: number;
  showOriginal: boolean; // Tab held
}

export const useResults = create<ResultsState>(() => ({ results: [], selectedId: null, wipe: 1, showOriginal: false }));

export const STAGE_LABELS: Record<string, string> = {
  prepare: 'preparing',
  free: 'free diffusion',
  'latent-edit': 'latent blending',
  'pixel-edit': 'pixel blending',
  decode: 'decoding',
  adapt: 'decoder adaptation',
};
