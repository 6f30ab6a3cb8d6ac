/**
 * Argument parsing for `defect-studio generate`. The generation options (names, kinds, ranges) come from
 * src/core/settings: `--steps` is SETTING_FIELDS.steps, and so on.
 */
import { SETTING_FIELDS, SettingsError, byFlag, parseSettingText, parseSettingsObject, type SettingKey, type SettingValues } from '../core/settings';

export interface GenerateArgs {
  model: string;
  image: string;
  trimap: string;
  out: string;
  backend: 'native' | 'wasm';
  /** The settings given on the command line (checked); the rest come from the pack's defaults. */
  settings: Partial<SettingValues> & { prompt: string };
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Settings the CLI takes as options (variants and previews are the app's). */
export const CLI_SETTING_KEYS = (Object.keys(SETTING_FIELDS) as SettingKey[]).filter((k) => k !== 'variants' && k !== 'previewEvery');

const PATH_OPTIONS = ['model', 'image', 'trimap', 'out', 'backend'] as const;
const BY_FLAG = new Map(CLI_SETTING_KEYS.map((k) => [SETTING_FIELDS[k].flag, k]));

function optionHelp(k: SettingKey): string {
  const f = SETTING_FIELDS[k];
  if (f.kind === 'bool') return `[--[no-]${f.flag}]`;
  if (f.kind === 'enum') return `[--${f.flag} ${f.values.join('|')}]`;
  if (f.kind === 'int' || f.kind === 'number') return `[--${f.flag} ${f.min}..${f.max}]`;
  return `[--${f.flag} TEXT]`;
}

/** Words joined into lines of at most `width` characters, each indented by two spaces. */
function wrap(words: string[], width = 100): string {
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = '';
    }
    line = line ? `${line} ${w}` : `  ${w}`;
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

export const USAGE = `usage: defect-studio generate --model DIR --image PNG --trimap PNG --prompt TEXT --out DIR
${wrap(['[--backend native|wasm]', ...CLI_SETTING_KEYS.filter((k) => k !== 'prompt').map(optionHelp)])}
  Values may follow as the next argument or after "=" (--negative-prompt=--text for a value starting with --).
  Options not given take the model pack's defaults.`;

export function parseGenerateArgs(argv: string[]): GenerateArgs {
  const paths = new Map<string, string>();
  const settings: Partial<SettingValues> = {};
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument ${JSON.stringify(a)}`);
    let key = a.slice(2);
    let value: string | undefined;
    const eq = key.indexOf('=');
    if (eq >= 0) {
      value = key.slice(eq + 1);
      key = key.slice(0, eq);
    }
    // Boolean settings: --adapt / --no-adapt (or --adapt=false).
    const neg = key.startsWith('no-') ? BY_FLAG.get(key.slice(3)) : undefined;
    const boolKey = neg ?? BY_FLAG.get(key);
    if (boolKey && SETTING_FIELDS[boolKey].kind === 'bool') {
      if (neg && value !== undefined) throw new UsageError(`--${key} takes no value`);
      if (seen.has(boolKey)) throw new UsageError(`--${SETTING_FIELDS[boolKey].flag} given twice`);
      seen.add(boolKey);
      (settings as Record<string, unknown>)[boolKey] = neg ? false : value === undefined ? true : parseSettingText(boolKey, value);
      continue;
    }
    const settingKey = BY_FLAG.get(key);
    if (!settingKey && !(PATH_OPTIONS as readonly string[]).includes(key)) throw new UsageError(`unknown option --${key}`);
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined) throw new UsageError(`--${key} needs a value`);
      // Never take the next option as this one's value: `--negative-prompt --no-adapt` is a mistake.
      if (value.startsWith('--')) {
        throw new UsageError(`--${key} needs a value, got the option ${value} (write --${key}=${value} for a value that starts with --)`);
      }
      i++;
    }
    const id = settingKey ?? key;
    if (seen.has(id)) throw new UsageError(`--${key} given twice`);
    seen.add(id);
    if (settingKey) (settings as Record<string, unknown>)[settingKey] = parseSettingText(settingKey, value, byFlag);
    else paths.set(key, value);
  }
  for (const req of ['model', 'image', 'trimap', 'out']) {
    if (!paths.get(req)) throw new UsageError(`missing --${req}`);
  }
  if (settings.prompt === undefined) throw new UsageError('missing --prompt');
  const backend = paths.get('backend') ?? 'native';
  if (backend !== 'native' && backend !== 'wasm') throw new UsageError(`--backend must be native or wasm, got ${JSON.stringify(backend)}`);
  return {
    model: paths.get('model')!,
    image: paths.get('image')!,
    trimap: paths.get('trimap')!,
    out: paths.get('out')!,
    backend,
    settings: settings as GenerateArgs['settings'],
  };
}

/**
 * The settings of a batch job line (a JSON object): the setting names of src/core/settings (`steps`,
 * `guidance`, `scheduler`, `contextMargin`, `adaptation`, ...), typed values, the same ranges as the options.
 * Throws SettingsError naming the key, e.g. `"guidance" must be a number from 0 to 30, got 45`.
 */
export function parseJobSettings(raw: unknown): Partial<SettingValues> {
  return parseSettingsObject(raw, { allowed: CLI_SETTING_KEYS, name: (k) => `"${k}"`, what: 'job line' });
}

/** Parse errors of setting values are usage errors too (one line, exit 2). */
export function isUsageError(e: unknown): boolean {
  return e instanceof UsageError || e instanceof SettingsError;
}

/**
 * Generic `--name value` / `--name=value` / `--flag` parsing for the batch commands. Throws UsageError for an
 * unknown option, a missing value or a stray argument.
 */
export function parseFlags(argv: string[], valueFlags: readonly string[], boolFlags: readonly string[]): { values: Map<string, string>; flags: Set<string> } {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument "${a}"`);
    let key = a.slice(2);
    let value: string | undefined;
    const eq = key.indexOf('=');
    if (eq >= 0) {
      value = key.slice(eq + 1);
      key = key.slice(0, eq);
    }
    if (boolFlags.includes(key) && value === undefined) {
      flags.add(key);
      continue;
    }
    if (!valueFlags.includes(key)) throw new UsageError(`unknown option --${key}`);
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`--${key} needs a value`);
    }
    values.set(key, value);
  }
  return { values, flags };
}

export const FINETUNE_USAGE = `usage: defect-studio finetune --base PACK --data DIR --out PACK2 [--minutes N] [--steps N] [--name WORD]
  [--id ID] [--batch N] [--seed N] [--threads N] [--export-on-stop] [--progress bar|json|none]
  Fine-tunes a pack of the built-in architecture on a few examples (MVTec AD layout, or x.png + x_mask.png
  [+ x.txt prompt]); new defect words join the vocabulary. Needs /usr/bin/python3 with torch and onnx
  (Debian: apt-get install -y python3-torch python3-onnx). A rerun with the same --out resumes.`;

export interface FinetuneArgs {
  base: string;
  data: string;
  out: string;
  minutes: number;
  steps: number;
  name?: string;
  id?: string;
  batch: number;
  seed: number;
  threads: number;
  exportOnStop: boolean;
  progress: 'bar' | 'json' | 'none';
}

function numberOption(values: Map<string, string>, key: string, dflt: number, min: number, max: number, int: boolean): number {
  const raw = values.get(key);
  if (raw === undefined) return dflt;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || v < min || v > max || (int && !Number.isInteger(v))) {
    throw new UsageError(`--${key} must be ${int ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return v;
}

export function parseFinetuneArgs(argv: string[]): FinetuneArgs {
  const { values, flags } = parseFlags(
    argv,
    ['base', 'data', 'out', 'minutes', 'steps', 'name', 'id', 'batch', 'seed', 'threads', 'progress'],
    ['export-on-stop'],
  );
  for (const req of ['base', 'data', 'out']) if (!values.get(req)) throw new UsageError(`finetune needs --${req}\n${FINETUNE_USAGE}`);
  const progress = values.get('progress') ?? 'bar';
  if (progress !== 'bar' && progress !== 'json' && progress !== 'none') throw new UsageError(`--progress must be bar, json or none, got ${JSON.stringify(progress)}`);
  const name = values.get('name');
  if (name !== undefined && !/[a-z]/i.test(name)) throw new UsageError(`--name must contain letters a-z, got ${JSON.stringify(name)}`);
  const id = values.get('id');
  if (id !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(id)) throw new UsageError(`--id must be letters, digits, ".", "_" or "-" (at most 64), got ${JSON.stringify(id)}`);
  return {
    base: values.get('base')!,
    data: values.get('data')!,
    out: values.get('out')!,
    minutes: numberOption(values, 'minutes', 10, 0.01, 1440, false),
    steps: numberOption(values, 'steps', 400, 1, 1_000_000, true),
    name,
    id,
    batch: numberOption(values, 'batch', 8, 1, 256, true),
    seed: numberOption(values, 'seed', 1, 0, 2 ** 31 - 1, true),
    threads: numberOption(values, 'threads', 1, 1, 256, true),
    exportOnStop: flags.has('export-on-stop'),
    progress,
  };
}
