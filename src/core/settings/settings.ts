/**
 * Generation settings, in one place: the fields, their defaults (METHOD.md's reference values), how a
 * pack's `defaults` override them, one validation with one set of ranges, text parsing (CLI options, job
 * lines) and the conversion to what the pipeline takes. The UI store, the worker, the CLI, the export
 * record and batch jobs all use this module; nothing else writes a default or a range.
 */
import { DefectStudioError } from '../errors';
import { SCHEDULER_NAMES, isSchedulerName, type SchedulerName } from './schedulers';

/** Every setting a user (or a job line) can give, flat. */
export interface SettingValues {
  prompt: string;
  /** '' = none. */
  negativePrompt: string;
  /** uint32. */
  seed: number;
  steps: number;
  guidance: number;
  scheduler: SchedulerName;
  /** DDIM's eta (0 = deterministic); the other schedulers ignore it. */
  eta: number;
  /** First step index of latent blending, as a fraction of the step count (ref 26/50). */
  latentEditStart: number;
  /** First step index of the pixel round trips (ref 45/50); latent blending runs up to and including it. */
  pixelEditStart: number;
  /**
   * Margin of the latent edit region around the defect, in pixels at the model's native resolution (METHOD.md:
   * the reference's 5x5 latent dilation on an 8x VAE is 16 px); round(px / VAE factor) latent cells each side.
   */
  dilationPx: number;
  /** Margin in image pixels around the defect's bounding box for the context crop (large photos only). */
  contextMargin: number;
  /**
   * Seam blend width in pixels at the native resolution (src/core/diffusion/seam.ts): the paste's step at the
   * defect's edge is continued smoothly into the defect's inner band of this width; 0 = the plain paste.
   */
  seamPx: number;
  /**
   * The seam blend spares thin strokes (seam.ts seamBandWidth): the band's width at each pixel is capped by the
   * defect's local half-width there, so the middle half of a scratch, crack or cut keeps the generation.
   */
  seamSpareStrokes: boolean;
  /** Stage 3, the closed-form decoder adaptation. */
  adaptation: boolean;
  /** Ridge pull of the adapted weights towards the original ones. */
  adaptationMu: number;
  /** Runs with seeds seed, seed+1, ... (app and batch; one run per CLI call). */
  variants: number;
  /** A full VAE decode preview every N steps, 0 = never (app only). */
  previewEvery: number;
}

export type SettingKey = keyof SettingValues;

/** The settings a model pack's `defaults` may set (and "Reset to the model's defaults" resets). */
export const PACK_SETTING_KEYS = [
  'steps',
  'guidance',
  'scheduler',
  'eta',
  'latentEditStart',
  'pixelEditStart',
  'dilationPx',
  'contextMargin',
  'seamPx',
  'seamSpareStrokes',
  'adaptation',
  'adaptationMu',
] as const satisfies readonly SettingKey[];
export type PackSettingKey = (typeof PACK_SETTING_KEYS)[number];

/** A pack's `defaults` in `defect-studio.json`: any subset of the pack settings. */
export type PackDefaults = Partial<Pick<SettingValues, PackSettingKey>>;

/**
 * The settings a prompt preset may carry: the pack settings and a negative prompt. A preset's negative prompt is
 * part of its wording (the built-in "a crack" is drawn away from "a scratch", not from the empty prompt); a pack's
 * `defaults` has none, so any other prompt keeps the empty negative prompt.
 */
export const PRESET_SETTING_KEYS = [...PACK_SETTING_KEYS, 'negativePrompt'] as const satisfies readonly SettingKey[];
export type PresetSettingKey = (typeof PRESET_SETTING_KEYS)[number];

/** A prompt preset's own settings. */
export type PresetSettings = Partial<Pick<SettingValues, PresetSettingKey>>;

/**
 * One entry of a pack's `promptPresets` as written in `defect-studio.json`: a prompt (`"a scratch"`), or a prompt
 * with its own settings (`{"prompt": "a color spot", "guidance": 4}`: the keys and ranges of `defaults`, plus
 * `negativePrompt`). A preset's settings override the pack's `defaults` whenever the prompt is that preset's.
 */
export type PromptPresetEntry = string | ({ prompt: string } & PresetSettings);

/** A prompt preset, normalised: its prompt and its settings ({} for a plain-string preset). */
export interface PromptPreset {
  prompt: string;
  settings: PresetSettings;
}

/** What the defaults need to know of a pack (a `PackManifest` is one). */
export interface PackSettingsSource {
  resolution: number;
  defaults?: PackDefaults;
  promptPresets?: readonly PromptPresetEntry[];
}

// ---- the nested form the pipeline, the worker and the records take

/** Stage boundaries as fractions of the schedule (METHOD.md; reference: 26/20/5 of 50 steps). */
export interface StageFractions {
  latentEditStart: number;
  pixelEditStart: number;
}

export interface AdaptationSettings {
  enabled: boolean;
  /** Weight of the background term (ref 100). */
  backgroundWeight: number;
  /** Ridge pull towards the original weights, for a 256x256 image (scaled with the pixel count). */
  mu: number;
  /** Pixel sampling cap for the normal equations. */
  maxSamples: number;
}

/** Everything of a generation request except the pixels (what crosses to the worker). */
export interface GenerationSettings {
  prompt: string;
  negativePrompt: string;
  seed: number;
  steps: number;
  guidance: number;
  scheduler: SchedulerName;
  eta: number;
  stages: StageFractions;
  dilationPx: number;
  contextMargin: number;
  seamPx: number;
  seamSpareStrokes: boolean;
  adaptation: AdaptationSettings;
}

// ---- the fields

type Spec =
  | { kind: 'int'; min: number; max: number; odd?: boolean }
  | { kind: 'number'; min: number; max: number }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'bool' }
  | { kind: 'text'; required: boolean; maxLength: number };

export type SettingField = Spec & {
  /** The UI's label (also the accessible name of its input). */
  label: string;
  /** The CLI option and job-line key: `--steps`, `steps=...`. */
  flag: string;
  /** UI increment for number inputs. */
  step?: number;
};

export const SETTING_FIELDS: Record<SettingKey, SettingField> = {
  prompt: { kind: 'text', required: true, maxLength: 2000, label: 'Prompt', flag: 'prompt' },
  negativePrompt: { kind: 'text', required: false, maxLength: 2000, label: 'Negative prompt', flag: 'negative-prompt' },
  seed: { kind: 'int', min: 0, max: 0xffffffff, label: 'Seed', flag: 'seed', step: 1 },
  steps: { kind: 'int', min: 1, max: 1000, label: 'Steps', flag: 'steps', step: 1 },
  guidance: { kind: 'number', min: 0, max: 30, label: 'Guidance', flag: 'guidance', step: 0.5 },
  scheduler: { kind: 'enum', values: SCHEDULER_NAMES, label: 'Scheduler', flag: 'scheduler' },
  eta: { kind: 'number', min: 0, max: 1, label: 'Eta', flag: 'eta', step: 0.1 },
  latentEditStart: { kind: 'number', min: 0, max: 1, label: 'Latent blending from', flag: 'latent-edit-start', step: 0.01 },
  pixelEditStart: { kind: 'number', min: 0, max: 1, label: 'Pixel blending from', flag: 'pixel-edit-start', step: 0.01 },
  dilationPx: { kind: 'int', min: 0, max: 256, label: 'Edit margin (px)', flag: 'dilation-px', step: 4 },
  contextMargin: { kind: 'int', min: 0, max: 16384, label: 'Context margin (px)', flag: 'margin', step: 8 },
  seamPx: { kind: 'int', min: 0, max: 64, label: 'Seam blend (px)', flag: 'seam-px', step: 1 },
  seamSpareStrokes: { kind: 'bool', label: 'Seam blend spares thin strokes', flag: 'seam-spare-strokes' },
  adaptation: { kind: 'bool', label: 'Decoder adaptation', flag: 'adapt' },
  adaptationMu: { kind: 'number', min: 0, max: 1e12, label: 'Adaptation mu', flag: 'adapt-mu' },
  variants: { kind: 'int', min: 1, max: 16, label: 'Variants', flag: 'variants', step: 1 },
  previewEvery: { kind: 'int', min: 0, max: 1000, label: 'Decode preview every', flag: 'preview-every', step: 1 },
};

export const SETTING_KEYS = Object.keys(SETTING_FIELDS) as SettingKey[];

/** The range of a numeric setting (for input elements), or null for the others. */
export function numericRange(key: SettingKey): { min: number; max: number } | null {
  const f = SETTING_FIELDS[key];
  return f.kind === 'int' || f.kind === 'number' ? { min: f.min, max: f.max } : null;
}

// ---- defaults

/** The reference values (METHOD.md) where a pack says nothing. */
export const REFERENCE_SETTINGS: Omit<SettingValues, 'contextMargin'> = {
  prompt: '',
  negativePrompt: '',
  seed: 0,
  steps: 50,
  guidance: 9,
  scheduler: 'ddim',
  eta: 0,
  latentEditStart: 26 / 50,
  pixelEditStart: 45 / 50,
  dilationPx: 16,
  // the reference method pastes plainly; a pack that measured the blend sets it in its defaults (ds-surface-v1)
  seamPx: 0,
  // the blend's band at its full width everywhere (session 6); a pack that measured the stroke cap sets it
  seamSpareStrokes: false,
  adaptation: true,
  // mu is given for a 256x256 image (the adapter scales it with the pixel count, adaptation/adapter.ts
  // effectiveMu); 1e4 was chosen on the built-in decoder at 256x256 (docs/adaptation.md, mu sweep).
  adaptationMu: 1e4,
  variants: 1,
  previewEvery: 0,
};

/** Adaptation parameters that are not user settings. */
export const ADAPTATION_FIXED = { backgroundWeight: 100, maxSamples: 16384 } as const;

/** The reference adaptation settings in the nested form. */
export const DEFAULT_ADAPTATION_SETTINGS: AdaptationSettings = {
  enabled: REFERENCE_SETTINGS.adaptation,
  mu: REFERENCE_SETTINGS.adaptationMu,
  ...ADAPTATION_FIXED,
};

/** Resolution assumed before any pack is known (SD 1.x). */
export const REFERENCE_RESOLUTION = 512;

/** The context-margin rule: a quarter of the model's native resolution, in image pixels. */
export function contextMarginFor(resolution: number): number {
  return Math.round(resolution / 4);
}

/**
 * Every setting for a pack, from low to high precedence: the reference values, the margin rule, the pack's
 * `defaults`, then, when `prompt` is one of the pack's prompt presets (samePrompt), that preset's settings.
 * What a user sets explicitly (a UI field, a CLI option, a job-line key) is merged over this by the caller.
 */
export function defaultSettings(pack?: PackSettingsSource | null, prompt?: string): SettingValues {
  const base: SettingValues = { ...REFERENCE_SETTINGS, contextMargin: contextMarginFor(pack?.resolution ?? REFERENCE_RESOLUTION) };
  const preset = prompt === undefined ? null : presetFor(pack, prompt);
  const d: PresetSettings = pack?.defaults ?? {};
  for (const k of PACK_SETTING_KEYS) if (d[k] !== undefined) (base as unknown as Record<string, unknown>)[k] = d[k];
  const p: PresetSettings = preset?.settings ?? {};
  for (const k of PRESET_SETTING_KEYS) if (p[k] !== undefined) (base as unknown as Record<string, unknown>)[k] = p[k];
  return base;
}

/** The pack settings only (what "Reset to the model's defaults" sets), for `prompt` when given (its preset's settings). */
export function packDefaultValues(pack?: PackSettingsSource | null, prompt?: string): Pick<SettingValues, PackSettingKey> {
  const all = defaultSettings(pack, prompt);
  const out = {} as Record<string, unknown>;
  for (const k of PACK_SETTING_KEYS) out[k] = all[k];
  return out as Pick<SettingValues, PackSettingKey>;
}

/** The pack settings whose value differs from the pack's default (for `prompt`: with its preset's settings). */
export function differingFromPack(values: Pick<SettingValues, PackSettingKey>, pack?: PackSettingsSource | null, prompt?: string): PackSettingKey[] {
  const d = packDefaultValues(pack, prompt);
  return PACK_SETTING_KEYS.filter((k) => !Object.is(values[k], d[k]));
}

// ---- prompt presets

/** One spelling of a prompt for matching presets: trimmed, runs of white space as one space, lower case. */
function promptKey(prompt: string): string {
  return prompt.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** Whether two prompts name the same preset ("A color  spot " is "a color spot"). */
export function samePrompt(a: string, b: string): boolean {
  return promptKey(a) === promptKey(b);
}

/** A pack's presets, normalised (plain strings get no settings). */
export function promptPresetList(pack?: PackSettingsSource | null): PromptPreset[] {
  return (pack?.promptPresets ?? []).map((p) => {
    if (typeof p === 'string') return { prompt: p, settings: {} };
    const { prompt, ...settings } = p;
    return { prompt, settings };
  });
}

/** The presets' prompts, in the pack's order (the UI's preset list). */
export function presetPrompts(pack?: PackSettingsSource | null): string[] {
  return promptPresetList(pack).map((p) => p.prompt);
}

/** The pack's preset whose prompt is `prompt` (samePrompt), or null. */
export function presetFor(pack: PackSettingsSource | null | undefined, prompt: string): PromptPreset | null {
  return promptPresetList(pack).find((p) => samePrompt(p.prompt, prompt)) ?? null;
}

// ---- validation

export interface SettingProblem {
  key: SettingKey | string;
  /** One sentence, starting with the field's name, e.g. `Guidance must be a number from 0 to 30, got 45`. */
  message: string;
  /** What the field must be ("an integer from 1 to 1000"), and the value found, for structured errors. */
  expected: string;
  found: string;
}

export class SettingsError extends DefectStudioError {
  constructor(readonly problems: SettingProblem[]) {
    super('settings', problems[0]?.message ?? 'invalid settings');
    this.name = 'SettingsError';
  }
}

/** How a field is named in a message: its label (UI), `--flag` (CLI), `defaults.key` (pack). */
export type Namer = (key: SettingKey) => string;
export const byLabel: Namer = (k) => SETTING_FIELDS[k].label;
export const byFlag: Namer = (k) => `--${SETTING_FIELDS[k].flag}`;

/** What a field must be, in words. */
export function ruleText(key: SettingKey): string {
  const f = SETTING_FIELDS[key];
  switch (f.kind) {
    case 'int':
      return `${f.odd ? 'an odd integer' : 'an integer'} from ${f.min} to ${f.max}`;
    case 'number':
      return `a number from ${f.min} to ${f.max}`;
    case 'enum':
      return `one of ${f.values.join(', ')}`;
    case 'bool':
      return 'true or false';
    case 'text':
      return f.required ? `a non-empty text of at most ${f.maxLength} characters` : `a text of at most ${f.maxLength} characters`;
  }
}

/** A value for a message: short, printable. */
export function showValue(v: unknown): string {
  if (v === undefined || (typeof v === 'number' && Number.isNaN(v))) return 'nothing';
  const s = typeof v === 'string' ? JSON.stringify(v) : typeof v === 'number' || typeof v === 'boolean' ? String(v) : (JSON.stringify(v) ?? String(v));
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '?');
  return clean.length > 60 ? `${clean.slice(0, 57)}...` : clean;
}

function problem(key: SettingKey, value: unknown, name: Namer): SettingProblem {
  const expected = ruleText(key);
  const found = showValue(value);
  const f = SETTING_FIELDS[key];
  if (f.kind === 'text' && f.required && typeof value === 'string' && value.trim() === '') {
    return { key, expected, found, message: `${name(key)} is empty: enter ${f.label.toLowerCase() === 'prompt' ? 'a prompt' : 'a value'}` };
  }
  return { key, expected, found, message: `${name(key)} must be ${expected}, got ${found}` };
}

function fieldOk(key: SettingKey, v: unknown): boolean {
  const f = SETTING_FIELDS[key];
  switch (f.kind) {
    case 'int':
      return typeof v === 'number' && Number.isInteger(v) && v >= f.min && v <= f.max && (!f.odd || v % 2 === 1);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) && v >= f.min && v <= f.max;
    case 'enum':
      return key === 'scheduler' ? isSchedulerName(v) : typeof v === 'string' && f.values.includes(v);
    case 'bool':
      return typeof v === 'boolean';
    case 'text':
      return typeof v === 'string' && v.length <= f.maxLength && (!f.required || v.trim() !== '');
  }
}

/**
 * Check the given settings (a partial object checks only the fields it has); [] when all is well.
 * Cross-field rule: latent blending does not start after pixel blending.
 */
export function validateSettings(values: Partial<SettingValues>, name: Namer = byLabel): SettingProblem[] {
  const out: SettingProblem[] = [];
  for (const k of SETTING_KEYS) {
    if (!(k in values)) continue;
    const v = (values as Record<string, unknown>)[k];
    if (!fieldOk(k, v)) out.push(problem(k, v, name));
  }
  const a = values.latentEditStart;
  const b = values.pixelEditStart;
  if (!out.length && a !== undefined && b !== undefined && a > b) {
    out.push({
      key: 'latentEditStart',
      expected: `at most ${name('pixelEditStart')} (${b})`,
      found: String(a),
      message: `${name('latentEditStart')} must not be after ${name('pixelEditStart')}: ${a} > ${b}`,
    });
  }
  return out;
}

/** Throw a SettingsError for the first problem. */
export function assertValidSettings(values: Partial<SettingValues>, name: Namer = byLabel): void {
  const p = validateSettings(values, name);
  if (p.length) throw new SettingsError(p);
}

// ---- parsing

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/** One value from text (a CLI option, a job line), checked; throws SettingsError. */
export function parseSettingText<K extends SettingKey>(key: K, raw: string, name: Namer = byFlag): SettingValues[K] {
  const f = SETTING_FIELDS[key];
  let v: unknown = raw;
  if (f.kind === 'int') v = /^\s*\d+\s*$/.test(raw) ? Number(raw) : raw;
  else if (f.kind === 'number') v = raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  else if (f.kind === 'bool') v = TRUE.has(raw.toLowerCase()) ? true : FALSE.has(raw.toLowerCase()) ? false : raw;
  if (!fieldOk(key, v)) throw new SettingsError([problem(key, raw, name)]);
  return v as SettingValues[K];
}

/**
 * Settings from a JSON object (a pack's `defaults`, a job line): typed values only, unknown keys refused,
 * every value checked. `allowed` limits the keys (default: all).
 */
export function parseSettingsObject(raw: unknown, opts: { allowed?: readonly SettingKey[]; name?: Namer; what?: string } = {}): Partial<SettingValues> {
  const what = opts.what ?? 'settings';
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new SettingsError([{ key: '', expected: 'an object', found: showValue(raw), message: `${what} must be an object, got ${showValue(raw)}` }]);
  }
  const allowed = new Set<string>(opts.allowed ?? SETTING_KEYS);
  const name = opts.name ?? byLabel;
  const out: Record<string, unknown> = {};
  const problems: SettingProblem[] = [];
  for (const [k, v] of Object.entries(raw)) {
    if (!allowed.has(k)) {
      const expected = `one of ${[...allowed].join(', ')}`;
      problems.push({ key: k, expected, found: showValue(k), message: `${what}: unknown setting ${showValue(k)} (expected ${expected})` });
      continue;
    }
    out[k] = v;
  }
  problems.push(...validateSettings(out as Partial<SettingValues>, name));
  if (problems.length) throw new SettingsError(problems);
  return out as Partial<SettingValues>;
}

/** A pack's `defaults`: pack settings only, each checked against the same ranges. */
export function parsePackDefaults(raw: unknown): PackDefaults {
  // Packs made before the margin was in pixels give `latentDilation`, a kernel size in latent cells in the
  // reference's units (an 8x VAE): 5 -> 16 px. A pack that gives both is refused by the unknown-key check.
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw) && 'latentDilation' in raw && !('dilationPx' in raw)) {
    const { latentDilation: k, ...rest } = raw as Record<string, unknown>;
    if (typeof k === 'number' && Number.isInteger(k) && k >= 1 && k % 2 === 1) raw = { ...rest, dilationPx: ((k - 1) / 2) * 8 };
  }
  return parseSettingsObject(raw, { allowed: PACK_SETTING_KEYS, name: (k) => `defaults.${k}`, what: 'defaults' }) as PackDefaults;
}

/**
 * A pack's `promptPresets`: a list of prompts (non-empty texts) or `{"prompt": ..., <pack setting>: ...}` objects,
 * each setting checked with the ranges of `defaults` (PRESET_SETTING_KEYS: the pack settings and `negativePrompt`,
 * a text of at most 2000 characters). A preset with settings shares its prompt (samePrompt) with no
 * other preset; plain strings are taken as they always were. `defaults`
 * (already parsed) is the pack's: a preset's settings merged over it must still validate (e.g. latent blending
 * not after pixel blending). Throws SettingsError; problem keys read `promptPresets[6].guidance`.
 */
export function parsePromptPresets(raw: unknown, defaults: PackDefaults = {}): PromptPresetEntry[] {
  const bad = (key: string, expected: string, found: unknown): never => {
    const f = showValue(found);
    throw new SettingsError([{ key, expected, found: f, message: `${key} must be ${expected}, got ${f}` }]);
  };
  if (!Array.isArray(raw)) bad('promptPresets', 'a list of prompts or {"prompt": ..., settings} objects', raw);
  const entries = (raw as unknown[]).map((entry, i): PromptPresetEntry => {
    const at = `promptPresets[${i}]`;
    let prompt: unknown = entry;
    let out: PromptPresetEntry;
    if (typeof entry === 'string') out = entry;
    else if (typeof entry === 'object' && entry !== null && !Array.isArray(entry)) {
      const { prompt: p, ...rest } = entry as Record<string, unknown>;
      prompt = p;
      if (!('prompt' in entry)) bad(`${at}.prompt`, 'a prompt', undefined);
      // problem keys name the manifest field: promptPresets[i].guidance (defaults.pixelEditStart for the pack's own)
      const field = (k: string, own: boolean) => (own ? `${at}.${k}` : `defaults.${k}`);
      let settings: PresetSettings;
      try {
        settings = parseSettingsObject(rest, { allowed: PRESET_SETTING_KEYS, name: (k) => field(k, true), what: at }) as PresetSettings;
      } catch (e) {
        if (!(e instanceof SettingsError)) throw e;
        throw new SettingsError(e.problems.map((q) => ({ ...q, key: field(String(q.key), true) })));
      }
      const merged = validateSettings({ ...defaults, ...settings }, (k) => field(k, k in settings));
      if (merged.length) throw new SettingsError(merged.map((q) => ({ ...q, key: field(String(q.key), true) })));
      out = { prompt: p as string, ...settings };
    } else return bad(at, 'a prompt or a {"prompt": ..., settings} object', entry);
    if (typeof entry !== 'string' && (typeof prompt !== 'string' || prompt.trim() === '' || prompt.length > 2000)) {
      bad(`${at}.prompt`, 'a non-empty text of at most 2000 characters', prompt);
    }
    return out;
  });
  // A preset with settings must be the only one with its prompt (which settings would apply?); plain strings are
  // taken as before (any text, repeats allowed).
  const keys = entries.map((e) => promptKey(typeof e === 'string' ? e : e.prompt));
  entries.forEach((e, i) => {
    if (typeof e !== 'string' && keys.some((k, j) => j !== i && k === keys[i])) bad(`promptPresets[${i}]`, 'a prompt no other preset has', e.prompt);
  });
  return entries;
}

// ---- conversions

/** The nested request form (pipeline, worker protocol). */
export function toGenerationSettings(v: Omit<SettingValues, 'variants' | 'previewEvery'>): GenerationSettings {
  return {
    prompt: v.prompt,
    negativePrompt: v.negativePrompt,
    seed: v.seed,
    steps: v.steps,
    guidance: v.guidance,
    scheduler: v.scheduler,
    eta: v.eta,
    stages: { latentEditStart: v.latentEditStart, pixelEditStart: v.pixelEditStart },
    dilationPx: v.dilationPx,
    contextMargin: v.contextMargin,
    seamPx: v.seamPx,
    seamSpareStrokes: v.seamSpareStrokes,
    adaptation: { ...ADAPTATION_FIXED, enabled: v.adaptation, mu: v.adaptationMu },
  };
}

/** Back to the flat form (records, CLI arguments). */
export function fromGenerationSettings(g: GenerationSettings): Omit<SettingValues, 'variants' | 'previewEvery'> {
  return {
    prompt: g.prompt,
    negativePrompt: g.negativePrompt,
    seed: g.seed,
    steps: g.steps,
    guidance: g.guidance,
    scheduler: g.scheduler,
    eta: g.eta,
    latentEditStart: g.stages.latentEditStart,
    pixelEditStart: g.stages.pixelEditStart,
    dilationPx: g.dilationPx,
    contextMargin: g.contextMargin,
    seamPx: g.seamPx,
    seamSpareStrokes: g.seamSpareStrokes,
    adaptation: g.adaptation.enabled,
    adaptationMu: g.adaptation.mu,
  };
}

/** Check a request's settings (worker, pipeline); the first problem's message, or null. */
export function generationSettingsProblem(g: GenerationSettings, name: Namer = byLabel): string | null {
  return validateSettings(fromGenerationSettings(g), name)[0]?.message ?? null;
}

/** CLI arguments (`--steps=25 ... --no-adapt`) that reproduce the given settings. */
export function settingsToArgs(values: Partial<SettingValues>): string[] {
  const out: string[] = [];
  for (const k of SETTING_KEYS) {
    const v = values[k];
    if (v === undefined) continue;
    const f = SETTING_FIELDS[k];
    if (f.kind === 'bool') out.push(v ? `--${f.flag}` : `--no-${f.flag}`);
    else out.push(`--${f.flag}=${String(v)}`);
  }
  return out;
}
