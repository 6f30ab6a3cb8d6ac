/**
 * `defect-studio pack --from EXPORT_DIR --out PACK_DIR`: turn an Optimum ONNX export of a Stable Diffusion
 * pipeline into a DefectStudio pack. Every file of the export is hard-linked (or copied when a link is not
 * possible) into a hidden folder beside PACK_DIR, `defect-studio.json` is written with each file's size and
 * sha256, and the folder is renamed into place: PACK_DIR is either absent or complete, and on any error
 * nothing is left behind.
 *
 * What the manifest says is read from the export itself: the conditioning from the UNet's `sample` channels
 * (latent channels -> none, latent + 1 + latent -> SD inpainting concat, a `controlnet/` folder ->
 * controlnet), latent channels / scale factor / resolution / scaling factor from the diffusers configs
 * (`unet/config.json`, `vae_decoder/config.json`) with the graphs' fixed shapes as a fallback, the tokenizer
 * kind from the tokenizer files. The decoder edit for adaptation (METHOD.md stage 3) is made at load time from
 * the pack's own decoder (src/core/models/onnx/decoder-head.ts); here it is only checked, and a decoder it
 * cannot edit is reported (generation still works, adaptation is then off).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { copyFile, link, mkdir, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { PackError } from '../core/models/errors';
import { MANIFEST_FILE, PACK_MODELS, modelOfFile, parseManifest, requiredFiles } from '../core/models/manifest';
import type { PackManifest, PackModelInfo, PackModelName } from '../core/models/manifest-types';
import { findFinalConv, readGraph, weightSummary, type GraphView, type ValueInfoView } from '../core/models/onnx';
import { UsageError, parseFlags } from './args';
import { writeFileAtomic } from './atomic';

export const PACK_USAGE = `usage: defect-studio pack --from EXPORT_DIR --out PACK_DIR [--id ID] [--name NAME] [--resolution N] [--copy]
       defect-studio pack --refresh PACK_DIR
  Makes a DefectStudio pack from an Optimum ONNX export (optimum-cli export onnx ...): links or copies its
  files, writes defect-studio.json (sizes, sha256s, conditioning read from the UNet, each model's weight type and
  run-time size). --copy: never hard-link.
  --refresh: after files of an existing pack were replaced, added or removed (new weights, an edited model
  card), rewrites its defect-studio.json's file list (size and sha256 of every file) and, when the manifest has
  them, each model's weight fields; every other field is kept.`;

/** Latent -> RGB preview of SD 1.x / 2.x latents (the rows of the 4 latent channels). */
const SD_PREVIEW: number[][] = [
  [0.3512, 0.2297, 0.3227],
  [0.325, 0.4974, 0.235],
  [-0.2829, 0.1762, 0.2721],
  [-0.212, -0.2616, -0.7177],
];

export interface PackOptions {
  from: string;
  out: string;
  id?: string;
  name?: string;
  /** Override of the native resolution (when neither config nor graph says it). */
  resolution?: number;
  /** Copy instead of hard-linking. */
  copy?: boolean;
}

export interface PackResult {
  manifest: PackManifest;
  /** Null when the decoder supports adaptation, else why not. */
  adaptationNotice: string | null;
  totalBytes: number;
}

function fail(message: string, details: { file?: string; tensor?: string; expected?: string; found?: string } = {}): never {
  throw new PackError(message, details);
}

function readJson(from: string, rel: string): Record<string, unknown> | null {
  const p = join(from, rel);
  if (!existsSync(p)) return null;
  try {
    const v = JSON.parse(readFileSync(p, 'utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : fail('not a JSON object', { file: rel });
  } catch (e) {
    if (e instanceof PackError) throw e;
    return fail('not valid JSON', { file: rel, found: (e as Error).message });
  }
}

function posInt(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : null;
}

/** Every regular file under `dir` (following symlinks, as in a Hugging Face cache), relative, sorted. */
function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.name.startsWith('.')) continue; // .gitattributes, .cache, editor files
    const st = statSync(join(dir, rel));
    if (st.isDirectory()) out.push(...listFiles(dir, rel));
    else if (st.isFile()) {
      if (rel !== MANIFEST_FILE) out.push(rel);
    } else fail('not a regular file', { file: rel });
  }
  return out.sort();
}

function sha256File(path: string): Promise<string> {
  return new Promise((res, rej) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('error', rej)
      .on('end', () => res(h.digest('hex')));
  });
}

/** External data files next to a model, as loadPack names them. */
function externalData(files: string[], folder: string): string[] {
  return files.filter((f) => f.startsWith(`${folder}/`) && /(_data|\.data|\.onnx\.data|\.weights)$/.test(f));
}

function graphOf(from: string, rel: string): GraphView {
  try {
    return readGraph(readFileSync(join(from, rel)));
  } catch (e) {
    return fail('not a readable ONNX model', { file: rel, found: (e as Error).message });
  }
}

function input(g: GraphView, name: string, file: string): ValueInfoView {
  return g.inputs.find((i) => i.name === name) ?? fail(`model lacks input "${name}"`, { file, found: g.inputs.map((i) => i.name).join(', ') });
}

function fixed(d: unknown): number | null {
  return typeof d === 'number' && d > 0 ? d : null;
}

/** Work out the manifest (without `files`) from the export's configs and graphs. */
export function describeExport(from: string, files: string[], opts: Pick<PackOptions, 'id' | 'name' | 'resolution'>): Omit<PackManifest, 'files'> {
  const unetCfg = readJson(from, 'unet/config.json');
  const vaeCfg = readJson(from, 'vae_decoder/config.json') ?? readJson(from, 'vae_encoder/config.json');
  const unet = graphOf(from, 'unet/model.onnx');
  const sample = input(unet, 'sample', 'unet/model.onnx');
  const inCh = fixed(sample.shape?.[1]) ?? posInt(unetCfg?.in_channels) ?? fail('UNet input channels unknown', { file: 'unet/model.onnx', tensor: 'sample', expected: 'a fixed channel dimension or unet/config.json in_channels' });
  const dec = graphOf(from, 'vae_decoder/model.onnx');
  const decIn = dec.inputs[0];
  const C =
    posInt(vaeCfg?.latent_channels) ??
    posInt(unetCfg?.out_channels) ??
    fixed(decIn?.shape?.[1]) ??
    fail('latent channels unknown', { file: 'vae_decoder/config.json', expected: 'latent_channels, or a fixed channel dimension of the decoder input' });
  const boc = vaeCfg?.block_out_channels;
  const decOutH = fixed(dec.outputs[0]?.shape?.[2]);
  const decInH = fixed(decIn?.shape?.[2]);
  const vaeScaleFactor =
    (Array.isArray(boc) && boc.length > 0 ? 2 ** (boc.length - 1) : null) ??
    (decOutH && decInH && decOutH % decInH === 0 ? decOutH / decInH : null) ??
    fail('VAE scale factor unknown', { file: 'vae_decoder/config.json', expected: 'block_out_channels, or fixed decoder input/output sizes' });
  const latentSide = posInt(unetCfg?.sample_size) ?? fixed(sample.shape?.[2]);
  const resolution =
    opts.resolution ??
    (latentSide ? latentSide * vaeScaleFactor : null) ??
    fail('native resolution unknown', { file: 'unet/config.json', expected: 'sample_size, a fixed UNet sample size, or --resolution' });
  if (resolution % vaeScaleFactor !== 0) fail('resolution is not a multiple of the VAE scale factor', { expected: `a multiple of ${vaeScaleFactor}`, found: String(resolution) });
  const sf = vaeCfg?.scaling_factor;
  const latentScale = typeof sf === 'number' && sf > 0 ? sf : 0.18215;

  let conditioning: PackManifest['conditioning'];
  let concatChannels: string[] | undefined;
  const extra = inCh - C;
  if (files.includes('controlnet/model.onnx')) {
    if (extra !== 0) fail('a ControlNet export with a concat UNet is not supported', { file: 'unet/model.onnx', expected: `${C} sample channels`, found: String(inCh) });
    conditioning = 'controlnet';
  } else if (extra === 0) conditioning = 'none';
  else if (extra === C + 1) {
    conditioning = 'concat';
    concatChannels = ['mask', 'masked_image_latent']; // SD inpainting
  } else if (extra === C + 2) {
    conditioning = 'concat';
    concatChannels = ['defect_mask', 'object_mask', 'masked_image_latent']; // DefectStudio's own layout
  } else {
    fail('UNet input channels match no known conditioning', {
      file: 'unet/model.onnx',
      expected: `${C} (text-to-image), ${2 * C + 1} (inpainting) or ${2 * C + 2} (defect + object mask)`,
      found: String(inCh),
    });
  }

  const tokenizer: PackManifest['tokenizer'] =
    files.includes('tokenizer/vocab.json') && files.includes('tokenizer/merges.txt')
      ? 'clip-bpe'
      : files.includes('tokenizer/tokenizer.json')
        ? 'word-level'
        : fail('no tokenizer', { file: 'tokenizer/', expected: 'vocab.json + merges.txt (CLIP BPE) or tokenizer.json (word level)' });

  const previewMatrix = C === 4 ? SD_PREVIEW : Array.from({ length: C }, (_, c) => [0, 1, 2].map((k) => (k === c ? 0.5 : 0)));
  const id = opts.id ?? (basename(resolve(from)).replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+/, '') || 'pack');
  const m: Omit<PackManifest, 'files'> = {
    format: 'defect-studio-pack@1',
    id,
    name: opts.name ?? id,
    description: `Made by defect-studio pack from ${basename(resolve(from))}.`,
    conditioning,
    ...(concatChannels ? { concatChannels } : {}),
    resolution,
    latentChannels: C,
    vaeScaleFactor,
    latentScale,
    previewMatrix,
    promptPresets: [],
    tokenizer,
  };
  for (const f of requiredFiles({ ...m, files: {} } as PackManifest)) {
    if (!files.includes(f)) fail('the export lacks a required file', { file: f, expected: 'an Optimum ONNX export folder (optimum-cli export onnx)' });
  }
  return m;
}

/**
 * The manifest's `models`: per model, the type of its weights, the bytes of 16-bit weights its graph casts
 * to float32 and its run-time bytes (its files plus those cast bytes), read from each graph (weightSummary;
 * no tensor data is decoded). One graph in memory at a time.
 */
export function describeModels(from: string, files: string[]): NonNullable<PackManifest['models']> {
  const out: Partial<Record<PackModelName, PackModelInfo>> = {};
  for (const model of PACK_MODELS) {
    const file = `${model}/model.onnx`;
    if (!files.includes(file)) continue;
    const w = weightSummary(graphOf(from, file));
    const fileBytes = files.filter((f) => modelOfFile(f) === model).reduce((a, f) => a + statSync(join(from, f)).size, 0);
    out[model] = { weightType: w.weightType, castToFloat32Bytes: w.castToFloat32Bytes, runtimeBytes: fileBytes + w.castToFloat32Bytes };
  }
  return out;
}

/** Can the project's decoder edit (stage 3) be made on this decoder? Null when yes, else why not. */
function checkDecoder(from: string, files: string[]): string | null {
  const ext = externalData(files, 'vae_decoder');
  try {
    const model = readFileSync(join(from, 'vae_decoder/model.onnx'));
    const external = ext.map((f) => ({ path: f.slice('vae_decoder/'.length), data: readFileSync(join(from, f)) }));
    findFinalConv(readGraph(model), { external });
    return null;
  } catch (e) {
    return `decoder adaptation will be unavailable: ${(e as Error).message}`;
  }
}

/** Build the pack (see the module comment). Throws PackError / UsageError; leaves nothing on failure. */
export async function makePack(opts: PackOptions): Promise<PackResult> {
  const from = resolve(opts.from);
  const out = resolve(opts.out);
  const st = existsSync(from) ? statSync(from) : null;
  if (!st?.isDirectory()) throw new UsageError(`--from ${opts.from}: not a folder`);
  if (existsSync(out)) {
    const o = lstatSync(out);
    if (!o.isDirectory() || readdirSync(out).length > 0) throw new UsageError(`--out ${opts.out}: must be a new or empty folder`);
  }
  const realFrom = realpathSync(from);
  if (resolve(out).startsWith(realFrom + '/') || out === realFrom) throw new UsageError(`--out ${opts.out}: must not be inside --from`);
  const files = listFiles(from);
  const base = describeExport(from, files, opts);
  const adaptationNotice = checkDecoder(from, files);
  const models = describeModels(from, files);

  await mkdir(dirname(out), { recursive: true });
  const tmp = join(dirname(out), `.${basename(out)}.ds-new-${randomBytes(6).toString('hex')}`);
  try {
    await mkdir(tmp);
    const entries: PackManifest['files'] = {};
    let totalBytes = 0;
    for (const f of files) {
      const src = join(from, f);
      const dst = join(tmp, f);
      await mkdir(dirname(dst), { recursive: true });
      let linked = false;
      if (!opts.copy) {
        try {
          await link(realpathSync(src), dst);
          linked = true;
        } catch {
          linked = false; // another file system, or links not allowed: copy
        }
      }
      if (!linked) await copyFile(src, dst);
      const bytes = statSync(dst).size;
      entries[f] = { bytes, sha256: await sha256File(dst) };
      totalBytes += bytes;
    }
    const manifest: PackManifest = { ...base, models, files: entries };
    await writeFileAtomic(join(tmp, MANIFEST_FILE), JSON.stringify(manifest, null, 1) + '\n');
    if (existsSync(out)) await rmdir(out); // empty (checked above); rmdir refuses if it filled up meanwhile
    await rename(tmp, out);
    return { manifest, adaptationNotice, totalBytes };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

export interface RefreshResult {
  manifest: PackManifest;
  /** Files whose entry changed: `+ path` (new), `- path` (gone), `~ path` (other size or sha256). */
  changed: string[];
  totalBytes: number;
}

/**
 * `pack --refresh PACK_DIR`: list the files of an existing pack again (size and sha256 of each, as makePack
 * lists them; hidden files skipped) and, when its manifest has `models`, describe each model again
 * (describeModels); every other field of the manifest is kept as written, in its order and indentation. The
 * result is validated (parseManifest, required files) before the manifest is replaced atomically; on any
 * error the old manifest stays.
 */
export async function refreshPack(dir: string): Promise<RefreshResult> {
  const root = resolve(dir);
  const manifestPath = join(root, MANIFEST_FILE);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UsageError(`--refresh ${dir}: not a folder`);
  if (!existsSync(manifestPath)) throw new UsageError(`--refresh ${dir}: no ${MANIFEST_FILE} (make a pack with --from/--out first)`);
  const text = readFileSync(manifestPath, 'utf8');
  const old = parseManifest(text); // a manifest that does not parse is not refreshed: its fields are the point
  const raw = JSON.parse(text) as Record<string, unknown>;
  const files = listFiles(root);
  const entries: PackManifest['files'] = {};
  let totalBytes = 0;
  for (const f of files) {
    const bytes = statSync(join(root, f)).size;
    entries[f] = { bytes, sha256: await sha256File(join(root, f)) };
    totalBytes += bytes;
  }
  const next: Record<string, unknown> = { ...raw, files: entries };
  if (raw.models !== undefined) next.models = describeModels(root, files);
  const manifest = parseManifest(JSON.stringify(next));
  for (const f of requiredFiles(manifest)) if (!entries[f]) fail('the pack lacks a required file', { file: f });
  const changed = [
    ...files.filter((f) => !old.files[f]).map((f) => `+ ${f}`),
    ...Object.keys(old.files).filter((f) => !entries[f]).map((f) => `- ${f}`),
    ...files.filter((f) => old.files[f] && (old.files[f].bytes !== entries[f].bytes || old.files[f].sha256 !== entries[f].sha256)).map((f) => `~ ${f}`),
  ];
  const indent = /^\{\r?\n( +)"/.exec(text)?.[1].length ?? 1;
  await writeFileAtomic(manifestPath, JSON.stringify(next, null, indent) + (text.endsWith('\n') ? '\n' : ''));
  return { manifest, changed, totalBytes };
}

export async function packCommand(argv: string[]): Promise<number> {
  const { values, flags } = parseFlags(argv, ['from', 'out', 'id', 'name', 'resolution', 'refresh'], ['copy']);
  const refresh = values.get('refresh');
  if (refresh !== undefined) {
    if (values.size > 1 || flags.size > 0) throw new UsageError(`--refresh takes no other option\n${PACK_USAGE}`);
    const r = await refreshPack(refresh);
    process.stdout.write(
      `refreshed ${refresh}/${MANIFEST_FILE}: ${Object.keys(r.manifest.files).length} files, ${(r.totalBytes / 1e6).toFixed(2)} MB; ` +
        `${r.changed.length ? `changed: ${r.changed.join(', ')}` : 'nothing changed'}\n`,
    );
    return 0;
  }
  const from = values.get('from');
  const out = values.get('out');
  if (!from || !out) throw new UsageError(`pack needs --from and --out\n${PACK_USAGE}`);
  let resolution: number | undefined;
  if (values.has('resolution')) {
    const r = Number(values.get('resolution'));
    if (!Number.isInteger(r) || r < 8 || r > 8192) throw new UsageError(`--resolution must be an integer from 8 to 8192, got "${values.get('resolution')}"`);
    resolution = r;
  }
  const r = await makePack({ from, out, id: values.get('id'), name: values.get('name'), resolution, copy: flags.has('copy') });
  const m = r.manifest;
  const cond = m.conditioning === 'concat' ? `concat (${m.concatChannels?.join(', ')})` : m.conditioning;
  process.stdout.write(
    `wrote ${out}: ${Object.keys(m.files).length} files, ${(r.totalBytes / 1e9).toFixed(2)} GB; ${cond}, ${m.resolution}x${m.resolution}, ` +
      `${m.latentChannels} latent channels, VAE x${m.vaeScaleFactor}, scale ${m.latentScale}, ${m.tokenizer}\n`,
  );
  for (const [model, info] of Object.entries(m.models ?? {})) {
    if (info.castToFloat32Bytes > 0) {
      process.stdout.write(
        `note: ${model}: ${(info.castToFloat32Bytes / 1e9).toFixed(2)} GB of 16-bit weights are cast to float32 in the graph: ` +
          `${(info.runtimeBytes / 1e9).toFixed(2)} GB at run time\n`,
      );
    }
  }
  if (r.adaptationNotice) process.stdout.write(`note: ${r.adaptationNotice}\n`);
  return 0;
}
