/** Parse and validate `defect-studio.json` (types in manifest-types.ts). */
import { PackError } from './errors';
import type { PackManifest, PackModelName } from './manifest-types';
import { sha256Hex } from './sha256';
import { SettingsError, parsePackDefaults, parsePromptPresets } from '../settings';

export const MANIFEST_FILE = 'defect-studio.json';
/** The model folders a pack may have (PackModelName). */
export const PACK_MODELS = ['unet', 'controlnet', 'text_encoder', 'vae_encoder', 'vae_decoder'] as const;
/** The weight types `models[*].weightType` may name. */
export const WEIGHT_TYPES = ['float32', 'float16', 'bfloat16', 'float64'] as const;
export const KNOWN_CONCAT_CHANNELS = ['mask', 'defect_mask', 'object_mask', 'masked_image_latent'] as const;

function fail(field: string, expected: string, found: unknown): never {
  const f = found === undefined ? 'nothing' : JSON.stringify(found)?.slice(0, 80);
  throw new PackError(`invalid manifest field "${field}"`, { file: MANIFEST_FILE, expected, found: f });
}

function isPosInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

export function parseManifest(text: string): PackManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new PackError('manifest is not valid JSON', { file: MANIFEST_FILE, found: String((e as Error).message) });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('(root)', 'an object', raw);
  const m = raw as Record<string, unknown>;
  if (m.format !== 'defect-studio-pack@1') fail('format', '"defect-studio-pack@1"', m.format);
  if (typeof m.id !== 'string' || !m.id) fail('id', 'a non-empty string', m.id);
  if (typeof m.name !== 'string') fail('name', 'a string', m.name);
  if (m.conditioning !== 'none' && m.conditioning !== 'concat' && m.conditioning !== 'controlnet') {
    fail('conditioning', '"none", "concat" or "controlnet"', m.conditioning);
  }
  if (m.conditioning === 'concat') {
    const cc = m.concatChannels;
    if (!Array.isArray(cc) || cc.length === 0) fail('concatChannels', 'a non-empty list for concat conditioning', cc);
    for (const c of cc) {
      if (!(KNOWN_CONCAT_CHANNELS as readonly string[]).includes(c as string)) {
        fail('concatChannels', `one of ${KNOWN_CONCAT_CHANNELS.join(', ')}`, c);
      }
    }
  }
  if (!isPosInt(m.resolution)) fail('resolution', 'a positive integer', m.resolution);
  if (!isPosInt(m.latentChannels)) fail('latentChannels', 'a positive integer', m.latentChannels);
  if (!isPosInt(m.vaeScaleFactor)) fail('vaeScaleFactor', 'a positive integer', m.vaeScaleFactor);
  if ((m.resolution as number) % (m.vaeScaleFactor as number) !== 0) {
    fail('resolution', `a multiple of vaeScaleFactor ${m.vaeScaleFactor}`, m.resolution);
  }
  if (typeof m.latentScale !== 'number' || !(m.latentScale > 0)) fail('latentScale', 'a positive number', m.latentScale);
  const pm = m.previewMatrix;
  if (
    !Array.isArray(pm) ||
    pm.length !== m.latentChannels ||
    !pm.every((r) => Array.isArray(r) && r.length === 3 && r.every((v) => typeof v === 'number'))
  ) {
    fail('previewMatrix', `${m.latentChannels} rows of 3 numbers`, pm);
  }
  if (m.previewBias !== undefined && (!Array.isArray(m.previewBias) || m.previewBias.length !== 3)) {
    fail('previewBias', '3 numbers', m.previewBias);
  }
  if (m.contextNorm !== undefined && typeof m.contextNorm !== 'boolean') fail('contextNorm', 'true or false', m.contextNorm);
  if (m.tokenizer !== 'clip-bpe' && m.tokenizer !== 'word-level') fail('tokenizer', '"clip-bpe" or "word-level"', m.tokenizer);
  if (m.defaults !== undefined) {
    // The same keys and ranges as every other front end (src/core/settings): an unknown scheduler or an
    // out-of-range value is an error here, never a silent fallback later.
    try {
      m.defaults = parsePackDefaults(m.defaults);
    } catch (e) {
      if (!(e instanceof SettingsError)) throw e;
      const p = e.problems[0];
      throw new PackError(`invalid manifest field "defaults${p.key ? `.${p.key}` : ''}"`, { file: MANIFEST_FILE, expected: p.expected, found: p.found });
    }
  }
  // Plain prompts, or prompts with their own settings (the keys and ranges of `defaults`, checked merged over them).
  try {
    m.promptPresets = parsePromptPresets(m.promptPresets, (m.defaults as ReturnType<typeof parsePackDefaults> | undefined) ?? {});
  } catch (e) {
    if (!(e instanceof SettingsError)) throw e;
    const p = e.problems[0];
    const field = String(p.key).startsWith('promptPresets') ? String(p.key) : 'promptPresets';
    throw new PackError(`invalid manifest field "${field}"`, { file: MANIFEST_FILE, expected: p.expected, found: p.found });
  }
  const files = m.files;
  if (typeof files !== 'object' || files === null || Array.isArray(files)) fail('files', 'an object', files);
  for (const [path, entry] of Object.entries(files as Record<string, unknown>)) {
    const e = entry as { bytes?: unknown; sha256?: unknown };
    if (typeof e !== 'object' || e === null || !Number.isSafeInteger(e.bytes) || (e.bytes as number) < 0) {
      fail(`files["${path}"].bytes`, 'a byte count', e?.bytes);
    }
    if (typeof e.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(e.sha256)) {
      fail(`files["${path}"].sha256`, '64 lowercase hex digits', e.sha256);
    }
  }
  const canonical = canonicalFiles(files as PackManifest['files'], (msg, d) => new PackError(msg, { file: MANIFEST_FILE, ...d }));
  if (m.models !== undefined) parseModels(m.models, canonical);
  return { ...m, files: canonical } as unknown as PackManifest;
}

/**
 * `models`: per model folder, its weight type, the bytes of 16-bit weights cast to float32 in the graph and
 * its run-time bytes, which cannot be less than the model's files (graph + external data) listed in `files`.
 */
function parseModels(models: unknown, files: PackManifest['files']): void {
  if (typeof models !== 'object' || models === null || Array.isArray(models)) fail('models', 'an object', models);
  for (const [model, info] of Object.entries(models as Record<string, unknown>)) {
    const at = `models.${model}`;
    if (!(PACK_MODELS as readonly string[]).includes(model)) fail(at, `one of ${PACK_MODELS.join(', ')}`, model);
    if (typeof info !== 'object' || info === null || Array.isArray(info)) fail(at, 'an object', info);
    const i = info as Record<string, unknown>;
    if (!(WEIGHT_TYPES as readonly unknown[]).includes(i.weightType)) fail(`${at}.weightType`, WEIGHT_TYPES.map((t) => `"${t}"`).join(', '), i.weightType);
    for (const k of ['castToFloat32Bytes', 'runtimeBytes']) {
      if (!Number.isSafeInteger(i[k]) || (i[k] as number) < 0) fail(`${at}.${k}`, 'a byte count', i[k]);
    }
    const fileBytes = Object.entries(files)
      .filter(([p]) => modelOfFile(p) === model)
      .reduce((a, [, f]) => a + f.bytes, 0);
    if ((i.runtimeBytes as number) < fileBytes) fail(`${at}.runtimeBytes`, `at least the model's ${fileBytes} bytes of files`, i.runtimeBytes);
  }
}

/** External data of a model (e.g. `unet/model.onnx_data`), by its name. */
export const EXTERNAL_DATA = /(_data|\.data|\.onnx\.data|\.weights)$/;

/** The model a listed file belongs to when it is a model's graph or external data (`unet/model.onnx_data` -> unet), else null. */
export function modelOfFile(path: string): PackModelName | null {
  const slash = path.indexOf('/');
  const folder = slash > 0 ? path.slice(0, slash) : '';
  if (!(PACK_MODELS as readonly string[]).includes(folder)) return null;
  if (!path.endsWith('.onnx') && !EXTERNAL_DATA.test(path)) return null;
  return folder as PackModelName;
}

/** The most bytes `defect-studio.json` itself may have (it is read before any size is declared). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/**
 * The one spelling of a path inside a pack: `/`-separated, no empty, `.` or `..` segments
 * (`./unet//model.onnx` and `vae/../unet/model.onnx` are `unet/model.onnx`). Null when the path is empty,
 * absolute, leaves the pack, or has a backslash or a control character.
 */
export function canonicalPackPath(path: string): string | null {
  if (!path || path.startsWith('/') || path.includes('\\') || /[\u0000-\u001f\u007f]/.test(path)) return null;
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (!out.length) return null;
      out.pop();
    } else out.push(seg);
  }
  return out.length ? out.join('/') : null;
}

/**
 * A manifest's `files` keyed by canonical path. A file listed under several spellings is kept once (and so
 * read and hashed once) when every listing agrees on size and sha256; otherwise, or for a path outside the
 * pack, `error` is thrown.
 */
export function canonicalFiles<E extends { bytes: number; sha256: string }>(
  files: Record<string, E>,
  error: (message: string, details: { expected?: string; found?: string }) => Error,
): Record<string, E> {
  const out: Record<string, E> = {};
  const spelling: Record<string, string> = {};
  for (const [path, entry] of Object.entries(files)) {
    const c = canonicalPackPath(path);
    // Raw names in the message: the CLI makes control characters visible when it prints (printable()).
    if (c === null) throw error(`invalid file path "${path}"`, { expected: 'a relative path inside the pack, no control characters' });
    const prev = out[c];
    if (prev && (prev.bytes !== entry.bytes || prev.sha256 !== entry.sha256)) {
      throw error(`file ${c} is listed twice with different contents`, {
        expected: `one size and sha256 for "${spelling[c]}" and "${path}"`,
        found: `${prev.bytes} and ${entry.bytes} bytes`,
      });
    }
    if (!prev) {
      out[c] = entry;
      spelling[c] = path;
    }
  }
  return out;
}

/** The files a pack of this manifest must have. */
export function requiredFiles(m: PackManifest): string[] {
  const req = [
    'scheduler/scheduler_config.json',
    'text_encoder/model.onnx',
    'unet/model.onnx',
    'vae_encoder/model.onnx',
    'vae_decoder/model.onnx',
  ];
  if (m.conditioning === 'controlnet') req.push('controlnet/model.onnx');
  if (m.tokenizer === 'clip-bpe') req.push('tokenizer/vocab.json', 'tokenizer/merges.txt');
  else req.push('tokenizer/tokenizer.json');
  return req;
}

/** The one SHA-256 (whole buffers here; incremental for streams): sha256.ts. */
export { sha256Hex };
