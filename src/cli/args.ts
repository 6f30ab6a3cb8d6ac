/** Argument parsing for `defect-studio generate`. */

export interface GenerateArgs extends GenerationSettings {
  model: string;
  image: string;
  trimap: string;
  prompt: string;
  out: string;
  backend: 'native' | 'wasm';
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = `usage: defect-studio generate --model DIR --image PNG --trimap PNG --prompt TEXT --out DIR
  [--seed N] [--steps N] [--guidance G] [--backend native|wasm] [--scheduler ddim|euler|dpmpp-2m]
  [--eta E] [--negative-prompt TEXT] [--margin PX] [--no-adapt]`;

const VALUE_FLAGS = new Set([
  'model', 'image', 'trimap', 'prompt', 'out', 'seed', 'steps', 'guidance', 'backend', 'scheduler', 'eta',
  'negative-prompt', 'margin',
]);

/** The generation settings of `generate` (and of a batch job line), before the pack's defaults fill the gaps. */
export interface GenerationSettings {
  negativePrompt?: string;
  seed?: number;
  steps?: number;
  guidance?: number;
  scheduler?: 'ddim' | 'euler' | 'dpmpp-2m';
  eta?: number;
  margin?: number;
  adapt: boolean;
}

/** Setting names in a job line (JSON) -> the `generate` option they mirror. */
export const JOB_SETTING_FLAGS: Record<string, string> = {
  seed: 'seed',
  steps: 'steps',
  guidance: 'guidance',
  scheduler: 'scheduler',
  eta: 'eta',
  negativePrompt: 'negative-prompt',
  margin: 'margin',
  adapt: 'no-adapt',
};

function int(label: string, v: string, min: number, max: number): number {
  if (!/^\d+$/.test(v)) throw new UsageError(`${label} must be an integer, got "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw new UsageError(`${label} must be in ${min}..${max}, got ${n}`);
  return n;
}

function num(label: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${label} must be a number, got "${v}"`);
  return n;
}

/** One validation for the settings, whether they come from options (`--steps`) or a job line (`steps`). */
function parseSettings(get: (flag: string) => string | undefined, adapt: boolean, label: (flag: string) => string): GenerationSettings {
  const v = (flag: string) => get(flag);
  const scheduler = v('scheduler');
  if (scheduler !== undefined && !['ddim', 'euler', 'dpmpp-2m'].includes(scheduler)) {
    throw new UsageError(`${label('scheduler')} must be ddim, euler or dpmpp-2m, got "${scheduler}"`);
  }
  return {
    negativePrompt: v('negative-prompt'),
    seed: v('seed') !== undefined ? int(label('seed'), v('seed')!, 0, 0xffffffff) : undefined,
    steps: v('steps') !== undefined ? int(label('steps'), v('steps')!, 1, 1000) : undefined,
    guidance: v('guidance') !== undefined ? num(label('guidance'), v('guidance')!) : undefined,
    eta: v('eta') !== undefined ? num(label('eta'), v('eta')!) : undefined,
    margin: v('margin') !== undefined ? int(label('margin'), v('margin')!, 0, 100000) : undefined,
    scheduler: scheduler as GenerationSettings['scheduler'],
    adapt,
  };
}

/** The settings of a batch job line, validated by the same code as the options of `generate`. */
export function parseJobSettings(raw: Record<string, unknown>): GenerationSettings {
  const byFlag = new Map<string, string>();
  let adapt = true;
  for (const [key, value] of Object.entries(raw)) {
    const flag = JOB_SETTING_FLAGS[key];
    if (!flag) throw new UsageError(`unknown setting "${key}"`);
    if (value === null || value === undefined) continue;
    if (key === 'adapt') {
      if (typeof value !== 'boolean') throw new UsageError(`"adapt" must be true or false, got ${JSON.stringify(value)}`);
      adapt = value;
      continue;
    }
    if (key === 'negativePrompt' ? typeof value !== 'string' : typeof value !== 'number' && typeof value !== 'string') {
      throw new UsageError(`"${key}" must be a ${key === 'negativePrompt' || key === 'scheduler' ? 'string' : 'number'}, got ${JSON.stringify(value)}`);
    }
    byFlag.set(flag, String(value));
  }
  return parseSettings((f) => byFlag.get(f), adapt, (f) => `"${Object.keys(JOB_SETTING_FLAGS).find((k) => JOB_SETTING_FLAGS[k] === f)}"`);
}

export function parseGenerateArgs(argv: string[]): GenerateArgs {
  const vals = new Map<string, string>();
  let adapt = true;
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
    if (key === 'no-adapt') {
      adapt = false;
      continue;
    }
    if (!VALUE_FLAGS.has(key)) throw new UsageError(`unknown option --${key}`);
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`--${key} needs a value`);
    }
    vals.set(key, value);
  }
  for (const req of ['model', 'image', 'trimap', 'prompt', 'out']) {
    if (!vals.has(req)) throw new UsageError(`missing --${req}`);
  }
  const backend = vals.get('backend') ?? 'native';
  if (backend !== 'native' && backend !== 'wasm') throw new UsageError(`--backend must be native or wasm, got "${backend}"`);
  return {
    model: vals.get('model')!,
    image: vals.get('image')!,
    trimap: vals.get('trimap')!,
    prompt: vals.get('prompt')!,
    out: vals.get('out')!,
    backend,
    ...parseSettings((f) => vals.get(f), adapt, (f) => `--${f}`),
  };
}
