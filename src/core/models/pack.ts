/**
 * Load a model pack, as named steps (each exported and testable alone; `loadPack` runs them in order):
 *   1. `readPackManifest`   read and validate `defect-studio.json`, hash it (the pack's identity), check the
 *                           required files are listed; `checkRuntimeFits` refuses a pack too big for WASM
 *   2. `verifiedReader`     read one listed file with its size and sha256 checked;
 *      `readPackFiles`      every listed file, with progress
 *   3. `buildTokenizer`     the tokenizer from the tokenizer files
 *   4. `readSchedulerConfig` the scheduler config
 *   5. `createSessions`     the ONNX sessions, in `sessionLoadOrder` (largest first), each through
 *                           `readModelFiles` + `createModelSession`; `releaseSessions` frees them
 *   6. `resolvePackIO`      (pack-io.ts) how to talk to each session, from its metadata
 */
import { runtimeError } from '../errors';
import { parseSchedulerConfig, type SchedulerConfig } from '../diffusion/schedulers/config';
import { PackError, PackFileError } from './errors';
import { MANIFEST_FILE, MAX_MANIFEST_BYTES, canonicalPackPath, parseManifest, requiredFiles, sha256Hex } from './manifest';
import { externalDataLocations } from './onnx/external-refs';
import { OnnxFormatError } from './onnx/model';
import { assertFitsWasm, EXTERNAL_DATA, modelOfFile } from './memory';
import type { PackManifest } from './manifest-types';
import { resolvePackIO, type ModelName, type OpenedSession, type PackIO, type PackSessions } from './pack-io';
import { fileReadError, sha256Error, sizeError, type PackProgress, type PackSource } from './pack-source';
import type { ModelSession, Runtime, SessionOptions } from './runtime';
import { ClipBpeTokenizer, WordLevelTokenizer, parseWordLevelConfig, type Tokenizer } from './tokenizers';

export type { ModelName, OpenedSession, PackIO, PackSessions, SessionIO } from './pack-io';

export interface LoadedPack {
  manifest: PackManifest;
  /** sha256 of defect-studio.json (which pins every file's sha256): the pack's identity. */
  sha256: string;
  runtime: Runtime;
  tokenizer: Tokenizer;
  schedulerConfig: SchedulerConfig;
  io: PackIO;
  /** Latent side at native resolution. */
  latentSize: number;
  /** Milliseconds spent validating files and creating sessions. */
  loadMs: number;
  /**
   * A listed file again, from the pack's source: its manifest size checked before reading, its sha256
   * (unless hashes are skipped) after; e.g. the VAE decoder and its external data for decoder adaptation.
   */
  readFile(name: string): Promise<Uint8Array>;
  /**
   * Release one model's session before the rest (a one-shot run that no longer needs it: the text encoder
   * after conditioning, the VAE encoder after its last use). Idempotent; a later run of that model is a
   * PackError naming it, and `release` skips it.
   */
  releaseModel(model: ModelName): Promise<void>;
  /** The models released by `releaseModel`, in that order. */
  readonly released: readonly ModelName[];
  release(): Promise<void>;
}

export interface LoadPackOptions {
  /** Skip sha256 checks (sizes are still checked). Default false. */
  skipHashes?: boolean;
  /** Byte progress while the files are read and checked (phase 'read'): the core's one progress event. */
  onProgress?: (event: PackProgress) => void;
  /** Extra session options per model, e.g. freeDimensionOverrides ({ batch: 2 }) for WebGPU. */
  sessionOptions?: (model: ModelName) => SessionOptions | undefined;
}

/** Reads one listed file of a pack (checked against the manifest). */
/** `onBytes`: byte progress of this file, where the source reads in chunks. */
export type FileRead = (name: string, onBytes?: (loaded: number) => void) => Promise<Uint8Array>;
/** Every listed file of a pack, read and verified, by canonical name. */
export type PackFiles = Map<string, Uint8Array>;

/** The external data files of one model folder (e.g. `unet/model.onnx_data`), as listed in the manifest. */
export function externalDataFiles(manifest: PackManifest, model: ModelName): string[] {
  return Object.keys(manifest.files).filter((n) => n.startsWith(`${model}/`) && EXTERNAL_DATA.test(n));
}

// ---- 1. manifest ----------------------------------------------------------------------------------------

/**
 * Read and validate `defect-studio.json`: parsed (field by field), hashed (the sha256 of its bytes is the
 * pack's identity) and with every file the pack needs listed. Anything unreadable is "not a model pack".
 */
export async function readPackManifest(source: PackSource): Promise<{ manifest: PackManifest; sha256: string; text: string }> {
  let text: string;
  try {
    text = await source.readText(MANIFEST_FILE, { maxBytes: MAX_MANIFEST_BYTES });
  } catch (e) {
    if (e instanceof PackError || (e as Error)?.name === 'AbortError') throw e;
    // `cause`: the source's own error (the pack store tells "unreachable" from "broken" by it).
    throw new PackError(`not a model pack (${source.location})`, { file: MANIFEST_FILE, found: (e as Error).message, cause: e });
  }
  const manifest = parseManifest(text);
  const sha256 = await sha256Hex(new TextEncoder().encode(text));
  for (const f of requiredFiles(manifest)) {
    if (!manifest.files[f]) throw new PackError('required file not listed in the manifest', { file: f, expected: 'an entry in "files"', found: 'none' });
  }
  return { manifest, sha256, text };
}

/** One wasm32 heap: a pack that cannot fit is refused from its declared sizes, before any file is read. */
export function checkRuntimeFits(manifest: PackManifest, runtime: Runtime): void {
  if (runtime.name === 'wasm') assertFitsWasm(manifest);
}

// ---- 2. files -------------------------------------------------------------------------------------------

/**
 * A reader of the pack's listed files: the manifest's size is passed to the source (checked before reading
 * where it can) and checked again after; the sha256 after, unless `skipHashes`.
 */
export function verifiedReader(source: PackSource, manifest: PackManifest, options: { skipHashes?: boolean } = {}): FileRead {
  return async (name, onBytes) => {
    const entry = manifest.files[name];
    if (!entry) throw new PackError('file not listed in the manifest', { file: name });
    let data: Uint8Array;
    let hashed: string | undefined;
    try {
      if (source.readFileHashed && !options.skipHashes) ({ data, sha256: hashed } = await source.readFileHashed(name, { bytes: entry.bytes, onBytes }));
      else data = await source.readFile(name, { bytes: entry.bytes, onBytes });
    } catch (e) {
      throw fileReadError(name, e);
    }
    const sizeErr = sizeError(name, data.byteLength, { bytes: entry.bytes });
    if (sizeErr) throw sizeErr;
    if (!options.skipHashes) {
      const err = sha256Error(name, entry.sha256, hashed ?? (await sha256Hex(data)));
      if (err) throw err;
    }
    return data;
  };
}

/**
 * `read` with byte progress (phase 'read'): each file from 0 to its size, the pack's total counting up over
 * every file read through it, in whatever order (small files first, then each model before its session).
 */
export function withReadProgress(manifest: PackManifest, read: FileRead, onProgress?: LoadPackOptions['onProgress']): FileRead {
  if (!onProgress) return read;
  const track = readProgress(manifest, onProgress);
  return (name) => track(name, (onBytes) => read(name, onBytes));
}

/**
 * One pack's read progress (phase 'read'), shared by every way its files are read or checked: `track(name,
 * work)` reports the file from 0 to its size (`work` gets the byte callback) and counts it into the total.
 */
export function readProgress(manifest: PackManifest, onProgress?: LoadPackOptions['onProgress']) {
  const totalBytes = Object.values(manifest.files).reduce((a, f) => a + f.bytes, 0);
  let doneBytes = 0;
  return async <T>(name: string, work: (onBytes?: (loaded: number) => void) => Promise<T>): Promise<T> => {
    if (!onProgress) return work();
    const fileTotalBytes = manifest.files[name]?.bytes ?? 0;
    const report = (fileLoadedBytes: number) =>
      onProgress({ phase: 'read', file: name, fileLoadedBytes, fileTotalBytes, loadedBytes: doneBytes + fileLoadedBytes, totalBytes });
    report(0);
    const out = await work(report);
    report(fileTotalBytes);
    doneBytes += fileTotalBytes;
    return out;
  };
}

/**
 * A model's graph file on disk, verified, for `Runtime.createSessionFromFile`, and `recheck`, to call once the
 * session exists: refuses (PackFileError naming the file) a file of the model that changed on disk since it
 * was verified. null: hand its bytes over instead.
 */
export type ModelPath = (model: ModelName) => Promise<{ path: string; recheck: () => Promise<void> } | null>;

/**
 * Models by path (onnxruntime-node on a pack folder): available when the runtime can create a session from a
 * file and the source can give files by path (FsPackSource). For each model, before its session: every file of
 * the model (graph + listed external data) is at its place in the pack (`localPath`, size checked), each is
 * hashed streaming, nothing kept (`hashFile`; its sha256 against the manifest unless `skipHashes`), and the
 * external data the graph names (read from its headers only, `externalDataLocations`) are this model's listed
 * files, so onnxruntime reads exactly the verified files. A file that cannot be given by path (a symbolic link
 * inside the pack) makes that model go the bytes way. Each file's `fileStamp` (size, mtime, ctime, inode:
 * one stat) is recorded before its hash and compared by `recheck` after the session is created, so a file
 * changed on disk between its check and onnxruntime's read is refused (README, "Memory discipline").
 */
export function localModelPaths(
  source: PackSource,
  runtime: Runtime,
  manifest: PackManifest,
  options: { skipHashes?: boolean; track?: ReturnType<typeof readProgress> } = {},
): ModelPath | undefined {
  if (!runtime.createSessionFromFile || !source.localPath || !source.hashFile || !source.readRange) return undefined;
  const track = options.track ?? readProgress(manifest);
  return async (model) => {
    const graph = `${model}/model.onnx`;
    const files = [graph, ...externalDataFiles(manifest, model)];
    const paths: string[] = [];
    for (const f of files) {
      let p: string | null;
      try {
        p = await source.localPath!(f, { bytes: manifest.files[f].bytes });
      } catch (e) {
        throw fileReadError(f, e);
      }
      if (p === null) return null;
      paths.push(p);
    }
    const stamp = async (f: string): Promise<string | null> => {
      if (!source.fileStamp) return null;
      try {
        return await source.fileStamp(f);
      } catch (e) {
        throw fileReadError(f, e);
      }
    };
    const stamps = new Map<string, string | null>();
    for (const f of files) stamps.set(f, await stamp(f));
    for (const f of files) {
      const entry = manifest.files[f];
      await track(f, async (onBytes) => {
        if (options.skipHashes) return;
        let hash: string;
        try {
          hash = await source.hashFile!(f, { bytes: entry.bytes, onBytes });
        } catch (e) {
          throw fileReadError(f, e);
        }
        const err = sha256Error(f, entry.sha256, hash);
        if (err) throw err;
      });
    }
    let refs: string[];
    try {
      refs = await externalDataLocations((offset, length) => source.readRange!(graph, offset, length), manifest.files[graph].bytes);
    } catch (e) {
      if (e instanceof OnnxFormatError) throw new PackError('cannot load the ONNX model', { file: graph, found: e.message });
      throw fileReadError(graph, e);
    }
    for (const loc of refs) {
      const listed = canonicalPackPath(`${model}/${loc}`);
      if (!listed || listed === graph || !files.includes(listed)) {
        throw new PackError('the model names external data that the manifest does not list', {
          file: graph,
          expected: files.length > 1 ? files.slice(1).join(', ') : 'no external data',
          found: loc,
        });
      }
    }
    const recheck = async () => {
      for (const f of files) {
        const now = await stamp(f);
        if (now !== stamps.get(f)) {
          throw new PackFileError('file changed on disk after it was checked', { file: f, expected: stamps.get(f) ?? undefined, found: now ?? undefined });
        }
      }
    };
    return { path: paths[0], recheck };
  };
}

/**
 * Read every listed file (or those `which` selects), one after another in the manifest's order (names are
 * canonical and unique: parseManifest merged the spellings), with byte progress (withReadProgress).
 */
export async function readPackFiles(
  manifest: PackManifest,
  read: FileRead,
  onProgress?: LoadPackOptions['onProgress'],
  which: (name: string) => boolean = () => true,
): Promise<PackFiles> {
  const files: PackFiles = new Map();
  const readP = withReadProgress(manifest, read, onProgress);
  for (const name of Object.keys(manifest.files).filter(which)) files.set(name, await readP(name));
  return files;
}

const packText = (files: PackFiles, f: string) => new TextDecoder().decode(files.get(f)!);

function packJson(files: PackFiles, f: string): unknown {
  try {
    return JSON.parse(packText(files, f));
  } catch (e) {
    throw new PackError('invalid JSON', { file: f, found: (e as Error).message });
  }
}

// ---- 3. tokenizer ---------------------------------------------------------------------------------------

/** The manifest's tokenizer (CLIP BPE from vocab.json + merges.txt, or word-level from tokenizer.json). */
export function buildTokenizer(manifest: PackManifest, files: PackFiles): Tokenizer {
  if (manifest.tokenizer === 'clip-bpe') {
    const vocab = packJson(files, 'tokenizer/vocab.json') as Record<string, number>;
    let padToken: string | undefined;
    if (files.has('tokenizer/special_tokens_map.json')) {
      const sp = packJson(files, 'tokenizer/special_tokens_map.json') as { pad_token?: string | { content?: string } };
      padToken = typeof sp.pad_token === 'string' ? sp.pad_token : sp.pad_token?.content;
    }
    try {
      return new ClipBpeTokenizer(vocab, packText(files, 'tokenizer/merges.txt'), { padToken });
    } catch (e) {
      throw new PackError('invalid tokenizer', { file: 'tokenizer/vocab.json', found: (e as Error).message });
    }
  }
  try {
    return new WordLevelTokenizer(parseWordLevelConfig(packJson(files, 'tokenizer/tokenizer.json')));
  } catch (e) {
    if (e instanceof PackError) throw e;
    throw new PackError('invalid tokenizer', { file: 'tokenizer/tokenizer.json', found: (e as Error).message });
  }
}

// ---- 4. scheduler config --------------------------------------------------------------------------------

export function readSchedulerConfig(files: PackFiles): SchedulerConfig {
  try {
    return parseSchedulerConfig(packJson(files, 'scheduler/scheduler_config.json'));
  } catch (e) {
    if (e instanceof PackError) throw e;
    throw new PackError('invalid scheduler config', { file: 'scheduler/scheduler_config.json', found: (e as Error).message });
  }
}

// ---- 5. sessions ----------------------------------------------------------------------------------------

/** The order sessions are created in: the largest model first (one wasm heap; memory.ts estimates this order). */
export function sessionLoadOrder(manifest: PackManifest): ModelName[] {
  return manifest.conditioning === 'controlnet'
    ? ['unet', 'controlnet', 'text_encoder', 'vae_encoder', 'vae_decoder']
    : ['unet', 'text_encoder', 'vae_encoder', 'vae_decoder'];
}

/** What one session is made of: its graph and its external data files (paths relative to the model's folder). */
export interface ModelFiles {
  model: ModelName;
  file: string;
  bytes: Uint8Array;
  externalData: { path: string; data: Uint8Array }[];
}

/** One model's files through `read` (the files already read, or the pack's `readFile` to read them again). */
export async function readModelFiles(manifest: PackManifest, model: ModelName, read: FileRead): Promise<ModelFiles> {
  const file = `${model}/model.onnx`;
  const bytes = await read(file);
  const externalData: ModelFiles['externalData'] = [];
  for (const n of externalDataFiles(manifest, model)) externalData.push({ path: n.slice(model.length + 1), data: await read(n) });
  return { model, file, bytes, externalData };
}

/**
 * Create one session. A runtime failure that is out-of-memory, device-lost or aborted keeps that code;
 * anything else is a PackError "cannot load the ONNX model" naming the file.
 */
export async function createModelSession(runtime: Runtime, files: ModelFiles, extra?: SessionOptions): Promise<OpenedSession> {
  const { file } = files;
  try {
    const session = await runtime.createSession(files.bytes, { ...extra, externalData: files.externalData });
    return { session, file };
  } catch (e) {
    throw sessionError(e, file);
  }
}

/** Create one session from a verified graph file on disk (`localModelPaths`); failures as createModelSession's. */
export async function createModelSessionFromFile(runtime: Runtime, file: string, path: string, extra?: SessionOptions): Promise<OpenedSession> {
  try {
    const session = await runtime.createSessionFromFile!(path, { freeDimensionOverrides: extra?.freeDimensionOverrides });
    return { session, file };
  } catch (e) {
    throw sessionError(e, file);
  }
}

function sessionError(e: unknown, file: string): Error {
  const code = runtimeError(e, file).code;
  if (code === 'out-of-memory' || code === 'device-lost' || code === 'aborted') return runtimeError(e, `cannot load ${file}`);
  return new PackError('cannot load the ONNX model', { file, found: (e as Error).message?.split('\n')[0] });
}

/** Release sessions in order; a failing release does not stop the others when `quiet`. */
export async function releaseSessions(sessions: Iterable<OpenedSession>, quiet = false): Promise<void> {
  for (const s of sessions) {
    if (quiet) await s.session.release().catch(() => undefined);
    else await s.session.release();
  }
}

/**
 * Create every session of the pack in `sessionLoadOrder`, each model by path where `byPath` gives one
 * (localModelPaths), else from its bytes through `read`; when one fails, those already created are released.
 */
export async function createSessions(
  runtime: Runtime,
  manifest: PackManifest,
  read: FileRead,
  sessionOptions?: LoadPackOptions['sessionOptions'],
  byPath?: ModelPath,
): Promise<PackSessions> {
  const opened: Partial<Record<ModelName, OpenedSession>> = {};
  try {
    for (const model of sessionLoadOrder(manifest)) {
      const file = byPath ? await byPath(model) : null;
      if (file) {
        opened[model] = await createModelSessionFromFile(runtime, `${model}/model.onnx`, file.path, sessionOptions?.(model));
        // The runtime read the files itself: refuse (and release, below) if one changed since it was verified.
        await file.recheck();
      } else {
        opened[model] = await createModelSession(runtime, await readModelFiles(manifest, model, read), sessionOptions?.(model));
      }
    }
  } catch (e) {
    await releaseSessions(Object.values(opened), true);
    throw e;
  }
  return opened as PackSessions;
}

// ---- the whole load -------------------------------------------------------------------------------------

export async function loadPack(source: PackSource, runtime: Runtime, options: LoadPackOptions = {}): Promise<LoadedPack> {
  const t0 = performance.now();
  const { manifest, sha256 } = await readPackManifest(source);
  checkRuntimeFits(manifest, runtime);
  const readFile = verifiedReader(source, manifest, options);
  // The small files first (tokenizer, configs); each model's graph and external data are read right before
  // its session is created and dropped after, so no model's bytes are held twice (file bytes + session),
  // and none stay in memory after the load.
  const order: string[] = sessionLoadOrder(manifest);
  const ofSession = (n: string) => order.includes(modelOfFile(n) ?? '');
  const track = readProgress(manifest, options.onProgress);
  const read: FileRead = (name) => track(name, (onBytes) => readFile(name, onBytes));
  const files = await readPackFiles(manifest, read, undefined, (n) => !ofSession(n));
  const tokenizer = buildTokenizer(manifest, files);
  const schedulerConfig = readSchedulerConfig(files);
  files.clear();
  // onnxruntime-node on a folder: each model by its verified path (no model byte in JavaScript).
  const byPath = localModelPaths(source, runtime, manifest, { skipHashes: options.skipHashes, track });
  const sessions = await createSessions(runtime, manifest, read, options.sessionOptions, byPath);
  const released: ModelName[] = [];
  for (const model of sessionLoadOrder(manifest)) {
    const s = sessions[model as keyof PackSessions]!;
    s.session = releasable(s.session, s.file, () => released.includes(model));
  }
  // in creation order, for release
  const opened = sessionLoadOrder(manifest).map((m) => sessions[m as keyof PackSessions]!);
  let io: PackIO;
  try {
    io = resolvePackIO(sessions, manifest, tokenizer.maxLength);
  } catch (e) {
    await releaseSessions(opened, true);
    throw e;
  }
  return {
    manifest,
    sha256,
    runtime,
    tokenizer,
    schedulerConfig,
    io,
    latentSize: manifest.resolution / manifest.vaeScaleFactor,
    loadMs: performance.now() - t0,
    readFile,
    released,
    async releaseModel(model) {
      const s = sessions[model as keyof PackSessions];
      if (!s || released.includes(model)) return;
      released.push(model);
      await s.session.release();
    },
    release: () => releaseSessions(opened.filter((s) => !released.some((m) => sessions[m as keyof PackSessions] === s))),
  };
}

/** A session whose runs after `isReleased()` fail with a PackError naming the model (not the runtime's own error). */
function releasable(session: ModelSession, file: string, isReleased: () => boolean): ModelSession {
  return {
    inputs: session.inputs,
    outputs: session.outputs,
    run(feeds, outputNames) {
      if (isReleased()) return Promise.reject(new PackError('the model was released after its last use in this run', { file }));
      return session.run(feeds, outputNames);
    },
    release: () => session.release(),
  };
}
