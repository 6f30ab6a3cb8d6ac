/** Argument parsing for `defect-studio generate`. */

export interface GenerateArgs {
  model: string;
  image: string;
  trimap: string;
  prompt: string;
  out: string;
  negativePrompt?: string;
  seed?: number;
  steps?: number;
  guidance?: number;
  backend: 'native' | 'wasm';
  scheduler?: 'ddim' | 'euler' | 'dpmpp-2m';
  eta?: number;
  margin?: number;
  adapt: boolean;
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

function int(name: string, v: string, min: number, max: number): number {
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be an integer, got "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw new UsageError(`--${name} must be in ${min}..${max}, got ${n}`);
  return n;
}

function num(name: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${v}"`);
  return n;
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
  const scheduler = vals.get('scheduler');
  if (scheduler !== undefined && !['ddim', 'euler', 'dpmpp-2m'].includes(scheduler)) {
    throw new UsageError(`--scheduler must be ddim, euler or dpmpp-2m, got "${scheduler}"`);
  }
  return {
    model: vals.get('model')!,
    image: vals.get('image')!,
    trimap: vals.get('trimap')!,
    prompt: vals.get('prompt')!,
    out: vals.get('out')!,
    negativePrompt: vals.get('negative-prompt'),
    seed: vals.has('seed') ? int('seed', vals.get('seed')!, 0, 0xffffffff) : undefined,
    steps: vals.has('steps') ? int('steps', vals.get('steps')!, 1, 1000) : undefined,
    guidance: vals.has('guidance') ? num('guidance', vals.get('guidance')!) : undefined,
    eta: vals.has('eta') ? num('eta', vals.get('eta')!) : undefined,
    margin: vals.has('margin') ? int('margin', vals.get('margin')!, 0, 100000) : undefined,
    backend,
    scheduler: scheduler as GenerateArgs['scheduler'],
    adapt,
  };
}
