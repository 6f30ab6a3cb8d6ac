// Generation state, sliced by concern. Only small values live here: pixel buffers stay in buffers.ts.
import { create } from 'zustand';
import type { ActiveBackend, BackendSetting, GenerateSettings, PackProgress } from '../../worker/protocol';
import type { PackManifest } from '../../core/models/manifest-types';
import type { Stage } from '../../core/diffusion/types';
import type { WordVocabulary } from '../../core/models/tokenizers/types';
import {
  PACK_SETTING_KEYS,
  SETTING_KEYS,
  defaultSettings,
  differingFromPack,
  packDefaultValues,
  parseSettingsObject,
  presetPrompts,
  toGenerationSettings,
  type PackSettingKey,
  type PackSettingsSource,
  type SettingKey,
  type SettingValues,
} from '../../core/settings';

// ---- settings the user edits
// Values, defaults and ranges come from src/core/settings. A field the user set is remembered (here and in
// localStorage) and never replaced by a pack's defaults; the other fields follow the loaded pack and the prompt:
// when the prompt is one of the pack's presets, that preset's own settings (defaultSettings(pack, prompt)).
export interface SettingsState extends SettingValues {
  randomSeed: boolean;
  backend: BackendSetting;
  category: string;
  defectName: string; // '' = derived from the prompt
  /** The setting fields the user set (kept through model loads, model switches and reloads). */
  userSet: SettingKey[];
  /** The pack whose defaults fill the fields the user has not set (null before the first load). */
  pack: PackSettingsSource | null;
  /** A user edit: the given setting fields become the user's. */
  set: (patch: Partial<Omit<SettingsState, 'set' | 'userSet' | 'pack'>>) => void;
}

const SETTINGS_STORAGE_KEY = 'defect-studio.settings';

const storedBackend = (): BackendSetting => {
  try {
    const v = globalThis.localStorage?.getItem('defect-studio.backend');
    return v === 'webgpu' || v === 'wasm' || v === 'auto' ? v : 'auto';
  } catch {
    return 'auto';
  }
};

/** The user's own values from the last session; a stored value that no longer validates is dropped. */
function storedUserValues(): { values: Partial<SettingValues>; randomSeed?: boolean } {
  try {
    const raw = JSON.parse(globalThis.localStorage?.getItem(SETTINGS_STORAGE_KEY) ?? 'null') as { values?: Record<string, unknown>; randomSeed?: unknown } | null;
    const values: Partial<SettingValues> = {};
    for (const [k, v] of Object.entries(raw?.values ?? {})) {
      if (!(SETTING_KEYS as string[]).includes(k)) continue;
      try {
        Object.assign(values, parseSettingsObject({ [k]: v }));
      } catch {
        /* out of range or wrong type: forget it */
      }
    }
    return { values, randomSeed: typeof raw?.randomSeed === 'boolean' ? raw.randomSeed : undefined };
  } catch {
    return { values: {} };
  }
}

function persist(s: SettingsState) {
  const values: Record<string, unknown> = {};
  for (const k of s.userSet) values[k] = s[k];
  try {
    globalThis.localStorage?.setItem(SETTINGS_STORAGE_KEY, JSON.stringify({ values, randomSeed: s.randomSeed }));
  } catch {
    /* storage full or denied: the session still works */
  }
}

const stored = storedUserValues();

export const useSettings = create<SettingsState>((set, get) => ({
  ...defaultSettings(null),
  ...stored.values,
  randomSeed: stored.randomSeed ?? false,
  backend: storedBackend(),
  category: '',
  defectName: '',
  userSet: Object.keys(stored.values) as SettingKey[],
  pack: null,
  set: (patch) => {
    const touched = Object.keys(patch).filter((k): k is SettingKey => (SETTING_KEYS as string[]).includes(k));
    const userSet = [...new Set([...get().userSet, ...touched])];
    set({ ...patch, userSet });
    // A new prompt (typed or chosen from the presets): the pack settings the user has not set follow its preset.
    if (patch.prompt !== undefined && get().pack) followPackDefaults(get().pack);
    persist(get());
  },
}));

/**
 * Every pack setting the user has not set takes the pack's default for the current prompt (the pack's `defaults`,
 * then the prompt's preset settings when the prompt is a preset); `pack` becomes the store's pack.
 */
function followPackDefaults(pack: PackSettingsSource | null, patch: Partial<SettingValues> = {}) {
  const s = useSettings.getState();
  const defaults = defaultSettings(pack, patch.prompt ?? s.prompt);
  for (const k of SETTING_KEYS) if (k !== 'prompt' && !s.userSet.includes(k)) (patch as Record<string, unknown>)[k] = defaults[k];
  useSettings.setState({ ...patch, pack });
}

/** A pack loaded: its defaults (for the prompt) fill every field the user has not set; the user's values stay. */
export function applyPackDefaults(m: PackManifest) {
  const s = useSettings.getState();
  followPackDefaults(m, s.userSet.includes('prompt') ? {} : { prompt: presetPrompts(m)[0] ?? '' });
}

/** "Reset to the model's defaults": every pack setting back to the loaded pack's value for the prompt, no longer the user's. */
export function resetToModelDefaults() {
  const s = useSettings.getState();
  const keys = new Set<SettingKey>(PACK_SETTING_KEYS);
  useSettings.setState({ ...packDefaultValues(s.pack, s.prompt), userSet: s.userSet.filter((k) => !keys.has(k)) });
  persist(useSettings.getState());
}

/** The pack settings whose value differs from the loaded pack's defaults for the prompt. */
export function settingsDifferingFromModel(s: SettingsState): PackSettingKey[] {
  return s.pack ? differingFromPack(s, s.pack, s.prompt) : [];
}

export function settingsToRequest(s: SettingsState, seed: number): GenerateSettings {
  return toGenerationSettings({ ...s, seed });
}

// ---- the model
export interface ModelState {
  status: 'idle' | 'loading' | 'ready' | 'error';
  packUrl: string;
  /** The kept pack being loaded or in use ("Add model"; '' for a pack from packUrl). */
  keptId: string;
  /** The last byte progress of the load (download into the pack store, then reading it). */
  progress: PackProgress | null;
  /** Nothing was downloaded: the pack came from the browser's pack store. */
  fromCache: boolean;
  backend: ActiveBackend | null;
  backendNote: string;
  manifest: PackManifest | null;
  manifestSha256: string;
  /** The loaded pack's vocabulary and split rule (LoadedMessage.vocabulary): null = any text is understood. */
  vocabulary: WordVocabulary | null;
  threads: number;
  loadMs: number;
  error: string;
}

export const useModel = create<ModelState>(() => ({
  status: 'idle',
  packUrl: '',
  keptId: '',
  progress: null,
  fromCache: false,
  backend: null,
  backendNote: '',
  manifest: null,
  manifestSha256: '',
  vocabulary: null,
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
}

export const useRun = create<RunState>(() => ({
  running: false,
  step: 0,
  totalSteps: 0,
  stage: '',
  variant: 0,
  variants: 0,
  previewFrames: 0,
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
