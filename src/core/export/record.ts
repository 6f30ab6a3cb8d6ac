import type { AdaptationReport, CropWindow } from '../diffusion/types';
import { PACK_SETTING_KEYS, fromGenerationSettings, type GenerationSettings, type PackSettingKey, type SettingValues } from '../settings';

/**
 * The JSON record of one generated image: the app's `<name>_record.json` and the CLI's `meta.json` are this
 * one type. `settings` holds the pack settings under the names of src/core/settings (so
 * `settingsToArgs(record.settings)` gives the CLI options that reproduce the run).
 */
export interface ExportRecord {
  format: 'defect-studio-record@2';
  /** Which front end wrote it. */
  app: { name: 'DefectStudio'; version: string; tool: 'app' | 'cli' };
  /** ISO time of writing; absent in reproducible batch runs (byte-identical reruns). */
  createdAt?: string;
  source: { name: string; width: number; height: number };
  prompt: string;
  negativePrompt: string;
  seed: number;
  settings: Pick<SettingValues, PackSettingKey>;
  model: { id: string; name: string; sha256: string };
  /** Runtime that ran the models: 'wasm', 'webgpu' (app, CLI --backend wasm) or 'native' (CLI). */
  backend: string;
  crop: CropWindow;
  defectPixels: number;
  files: { image: string; mask: string; trimap?: string };
  timings?: Record<string, number>;
  adaptation?: AdaptationReport;
  /** sha256 (hex) of the written image and mask files (batch runs). */
  sha256?: { image: string; mask: string };
  /** The batch job that made this result: resume skips it when id, settings hash and model sha256 match. */
  job?: BatchJobRef;
}

export interface BatchJobRef {
  id: string;
  /** sha256 of the job's inputs (file contents) and settings as written, canonical JSON. */
  settingsHash: string;
}

export interface RecordInput {
  appVersion: string;
  tool?: 'app' | 'cli';
  sourceName: string;
  width: number;
  height: number;
  request: GenerationSettings;
  model: { id: string; name: string; sha256: string };
  backend: string;
  crop: CropWindow;
  mask: Uint8Array;
  files: ExportRecord['files'];
  timings?: Record<string, number>;
  adaptation?: AdaptationReport;
  /** Time of writing (default now); null leaves it out. */
  createdAt?: Date | null;
  sha256?: ExportRecord['sha256'];
  job?: BatchJobRef;
}

export function buildRecord(input: RecordInput): ExportRecord {
  const flat = fromGenerationSettings(input.request);
  const settings = {} as Record<string, unknown>;
  for (const k of PACK_SETTING_KEYS) settings[k] = flat[k];
  let defectPixels = 0;
  for (let i = 0; i < input.mask.length; i++) if (input.mask[i] !== 0) defectPixels++;
  return {
    format: 'defect-studio-record@2',
    app: { name: 'DefectStudio', version: input.appVersion, tool: input.tool ?? 'app' },
    ...(input.createdAt === null ? {} : { createdAt: (input.createdAt ?? new Date()).toISOString() }),
    source: { name: input.sourceName, width: input.width, height: input.height },
    prompt: flat.prompt,
    negativePrompt: flat.negativePrompt,
    seed: flat.seed,
    settings: settings as ExportRecord['settings'],
    model: { id: input.model.id, name: input.model.name, sha256: input.model.sha256 },
    backend: input.backend,
    crop: { ...input.crop },
    defectPixels,
    files: { ...input.files },
    ...(input.timings ? { timings: { ...input.timings } } : {}),
    ...(input.adaptation ? { adaptation: { ...input.adaptation } } : {}),
    ...(input.sha256 ? { sha256: { ...input.sha256 } } : {}),
    ...(input.job ? { job: { ...input.job } } : {}),
  };
}

export function recordToBytes(record: ExportRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(record, null, 2) + '\n');
}

/** File-name stem: letters, digits, dash and underscore only. */
export function safeStem(name: string, fallback = 'image'): string {
  const stem = name.replace(/\.[a-z0-9]+$/i, '').replace(/[^a-zA-Z0-9_-]+/g, '_').replace(/^_+|_+$/g, '');
  return stem || fallback;
}

/** Defect-type folder name derived from a prompt: "a hazelnut with a crack" -> "crack", "a scratch" -> "scratch". */
export function defectNameFromPrompt(prompt: string): string {
  const m = /\bwith (?:an? |some |the )?(.+)$/i.exec(prompt.trim());
  const raw = (m ? m[1] : prompt).trim().toLowerCase().replace(/^(?:an?|some|the)\s+/, '');
  return safeStem(raw.replace(/\s+/g, '_'), 'defect').toLowerCase();
}

/** Object category from an image file name: "hazelnut_003.png" -> "hazelnut" (trailing numbers dropped). */
export function categoryFromImageName(name: string): string {
  return safeStem(name, 'object').replace(/[_-]?\d+$/, '').toLowerCase() || 'object';
}
