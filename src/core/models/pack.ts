/**
 * Load a model pack: validate `defect-studio.json` and every listed file (size, sha256), build the
 * tokenizer and scheduler config, create the ONNX sessions once, and resolve how to talk to each
 * (dtypes, timestep rank, batch, ControlNet residual names) from the sessions' metadata.
 */
import { runtimeError } from '../errors';
import { parseSchedulerConfig, type SchedulerConfig } from '../diffusion/schedulers/config';
import { PackError } from './errors';
import { MANIFEST_FILE, MAX_MANIFEST_BYTES, parseManifest, requiredFiles, sha256Hex } from './manifest';
import { assertFitsWasm } from './memory';
import type { PackManifest } from './manifest-types';
import { MissingFileError, type PackSource } from './pack-source';
import type { IOMeta, ModelSession, Runtime, SessionOptions } from './runtime';
import { ClipBpeTokenizer, WordLevelTokenizer, parseWordLevelConfig, type Tokenizer } from './tokenizers';

export type ModelName = 'text_encoder' | 'unet' | 'vae_encoder' | 'vae_decoder' | 'controlnet';

/** How to call one session, read from its metadata. */
export interface SessionIO {
  session: ModelSession;
  file: string;
  /** Leading dimension of the main input: a number when fixed, null when free. */
  batch: number | null;
}

export interface PackIO {
  textEncoder: SessionIO & { idsType: string; output: string; hiddenDim: number | null };
  unet: SessionIO & {
    sampleType: string;
    timestepType: string;
    timestepRank: number;
    /** Length of a rank-1 timestep input when it is fixed (e.g. [1] in some exports), else null (= batch). */
    timestepLength: number | null;
    hiddenType: string;
    inChannels: number;
    output: string;
    /** ControlNet residual inputs of the UNet, in the order of `controlnet.outputs`. */
    residualInputs: string[];
  };
  vaeEncoder: SessionIO & { inputType: string; output: string; takeMean: boolean };
  vaeDecoder: SessionIO & { inputType: string; output: string };
  controlnet?: SessionIO & {
    sampleType: string;
    timestepType: string;
    timestepRank: number;
    timestepLength: number | null;
    hiddenType: string;
    condType: string;
    outputs: string[];
  };
}

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
  release(): Promise<void>;
}

export interface LoadPackOptions {
  /** Skip sha256 checks (sizes are still checked). Default false. */
  skipHashes?: boolean;
  onProgress?: (event: { file: string; done: number; total: number }) => void;
  /** Extra session options per model, e.g. freeDimensionOverrides ({ batch: 2 }) for WebGPU. */
  sessionOptions?: (model: ModelName) => SessionOptions | undefined;
}

const EXTERNAL_DATA = /(_data|\.data|\.onnx\.data|\.weights)$/;

/** The external data files of one model folder (e.g. `unet/model.onnx_data`), as listed in the manifest. */
export function externalDataFiles(manifest: PackManifest, model: ModelName): string[] {
  return Object.keys(manifest.files).filter((n) => n.startsWith(`${model}/`) && EXTERNAL_DATA.test(n));
}

function isFloatType(t: string): boolean {
  return t === 'float32' || t === 'float16';
}

function need(meta: IOMeta[], name: string, file: string, what: string): IOMeta {
  const m = meta.find((x) => x.name === name);
  if (!m) {
    throw new PackError(`model lacks ${what} "${name}"`, {
      file,
      tensor: name,
      expected: `${what} "${name}"`,
      found: meta.map((x) => x.name).join(', ') || 'none',
    });
  }
  return m;
}

function batchOf(meta: IOMeta): number | null {
  const d = meta.shape?.[0];
  return typeof d === 'number' && d > 0 ? d : null;
}

function checkDim(meta: IOMeta, axis: number, expected: number, file: string, what: string): void {
  const d = meta.shape?.[axis];
  if (typeof d === 'number' && d > 0 && d !== expected) {
    throw new PackError(`${what} mismatch`, {
      file,
      tensor: meta.name,
      expected: `dimension ${axis} = ${expected}`,
      found: `${d} (shape [${meta.shape?.join(', ')}])`,
    });
  }
}

function checkType(meta: IOMeta, ok: (t: string) => boolean, expected: string, file: string): string {
  if (!ok(String(meta.type))) throw new PackError('unsupported tensor type', { file, tensor: meta.name, expected, found: String(meta.type) });
  return String(meta.type);
}

export async function loadPack(source: PackSource, runtime: Runtime, options: LoadPackOptions = {}): Promise<LoadedPack> {
  const t0 = performance.now();
  let manifestText: string;
  try {
    manifestText = await source.readText(MANIFEST_FILE, { maxBytes: MAX_MANIFEST_BYTES });
  } catch (e) {
    if (e instanceof PackError) throw e;
    throw new PackError(`not a model pack (${source.location})`, { file: MANIFEST_FILE, found: (e as Error).message });
  }
  const manifest = parseManifest(manifestText);
  const sha256 = await sha256Hex(new TextEncoder().encode(manifestText));
  for (const f of requiredFiles(manifest)) {
    if (!manifest.files[f]) throw new PackError('required file not listed in the manifest', { file: f, expected: 'an entry in "files"', found: 'none' });
  }
  // One wasm32 heap: a pack that cannot fit is refused from its declared sizes, before any file is read.
  if (runtime.name === 'wasm') assertFitsWasm(manifest);

  // Read and verify every listed file (names are canonical and unique: parseManifest merged the spellings).
  const readVerified = async (name: string): Promise<Uint8Array> => {
    const entry = manifest.files[name];
    if (!entry) throw new PackError('file not listed in the manifest', { file: name });
    let data: Uint8Array;
    try {
      data = await source.readFile(name, { bytes: entry.bytes });
    } catch (e) {
      if (e instanceof PackError) throw e;
      throw new PackError('missing file', { file: name, found: e instanceof MissingFileError ? e.message : String(e) });
    }
    if (data.byteLength !== entry.bytes) {
      throw new PackError('file size differs from the manifest', { file: name, expected: `${entry.bytes} bytes`, found: `${data.byteLength} bytes` });
    }
    if (!options.skipHashes) {
      const h = await sha256Hex(data);
      if (h !== entry.sha256) throw new PackError('sha256 differs from the manifest', { file: name, expected: entry.sha256, found: h });
    }
    return data;
  };
  const files = new Map<string, Uint8Array>();
  const names = Object.keys(manifest.files);
  let done = 0;
  for (const name of names) {
    files.set(name, await readVerified(name));
    options.onProgress?.({ file: name, done: ++done, total: names.length });
  }
  const text = (f: string) => new TextDecoder().decode(files.get(f)!);
  const json = (f: string): unknown => {
    try {
      return JSON.parse(text(f));
    } catch (e) {
      throw new PackError('invalid JSON', { file: f, found: (e as Error).message });
    }
  };

  // Tokenizer.
  let tokenizer: Tokenizer;
  if (manifest.tokenizer === 'clip-bpe') {
    const vocab = json('tokenizer/vocab.json') as Record<string, number>;
    let padToken: string | undefined;
    if (files.has('tokenizer/special_tokens_map.json')) {
      const sp = json('tokenizer/special_tokens_map.json') as { pad_token?: string | { content?: string } };
      padToken = typeof sp.pad_token === 'string' ? sp.pad_token : sp.pad_token?.content;
    }
    try {
      tokenizer = new ClipBpeTokenizer(vocab, text('tokenizer/merges.txt'), { padToken });
    } catch (e) {
      throw new PackError('invalid tokenizer', { file: 'tokenizer/vocab.json', found: (e as Error).message });
    }
  } else {
    try {
      tokenizer = new WordLevelTokenizer(parseWordLevelConfig(json('tokenizer/tokenizer.json')));
    } catch (e) {
      if (e instanceof PackError) throw e;
      throw new PackError('invalid tokenizer', { file: 'tokenizer/tokenizer.json', found: (e as Error).message });
    }
  }

  let schedulerConfig: SchedulerConfig;
  try {
    schedulerConfig = parseSchedulerConfig(json('scheduler/scheduler_config.json'));
  } catch (e) {
    if (e instanceof PackError) throw e;
    throw new PackError('invalid scheduler config', { file: 'scheduler/scheduler_config.json', found: (e as Error).message });
  }

  // Sessions, created once.
  const sessions: ModelSession[] = [];
  const create = async (model: ModelName): Promise<{ session: ModelSession; file: string }> => {
    const file = `${model}/model.onnx`;
    const externalData = externalDataFiles(manifest, model).map((n) => ({ path: n.slice(model.length + 1), data: files.get(n)! }));
    try {
      const extra = options.sessionOptions?.(model);
      const session = await runtime.createSession(files.get(file)!, { ...extra, externalData });
      sessions.push(session);
      return { session, file };
    } catch (e) {
      const code = runtimeError(e, file).code;
      if (code === 'out-of-memory' || code === 'device-lost' || code === 'aborted') throw runtimeError(e, `cannot load ${file}`);
      throw new PackError('cannot load the ONNX model', { file, found: (e as Error).message?.split('\n')[0] });
    }
  };
  try {
    const R = manifest.resolution;
    const f = manifest.vaeScaleFactor;
    const l = R / f;
    const C = manifest.latentChannels;
    // Load the largest model first (one wasm heap).
    const unetS = await create('unet');
    const cnS = manifest.conditioning === 'controlnet' ? await create('controlnet') : undefined;
    const teS = await create('text_encoder');
    const encS = await create('vae_encoder');
    const decS = await create('vae_decoder');

    // text encoder
    const te = teS.session;
    const ids = need(te.inputs, 'input_ids', teS.file, 'input');
    const idsType = checkType(ids, (t) => t === 'int32' || t === 'int64', 'int32 or int64', teS.file);
    checkDim(ids, 1, tokenizer.maxLength, teS.file, 'sequence length');
    const teOut = te.outputs.find((o) => o.name === 'last_hidden_state') ?? te.outputs[0];
    if (!teOut) throw new PackError('model has no outputs', { file: teS.file, expected: 'last_hidden_state' });
    const hd = teOut.shape?.[2];
    const hiddenDim = typeof hd === 'number' ? hd : null;

    // unet
    const un = unetS.session;
    const sample = need(un.inputs, 'sample', unetS.file, 'input');
    const ts = need(un.inputs, 'timestep', unetS.file, 'input');
    const ehs = need(un.inputs, 'encoder_hidden_states', unetS.file, 'input');
    const sampleType = checkType(sample, isFloatType, 'float32 or float16', unetS.file);
    const timestepType = checkType(ts, (t) => isFloatType(t) || t === 'int64' || t === 'int32', 'int64, int32 or float', unetS.file);
    const hiddenType = checkType(ehs, isFloatType, 'float32 or float16', unetS.file);
    const extra = manifest.conditioning === 'concat'
      ? (manifest.concatChannels ?? []).reduce((a, c) => a + (c === 'masked_image_latent' ? C : 1), 0)
      : 0;
    const inChannels = C + extra;
    checkDim(sample, 1, inChannels, unetS.file, `UNet input channels (${C} latent + ${extra} concat from the manifest)`);
    checkDim(sample, 2, l, unetS.file, `latent size (resolution ${R} / vaeScaleFactor ${f})`);
    checkDim(sample, 3, l, unetS.file, `latent size (resolution ${R} / vaeScaleFactor ${f})`);
    if (hiddenDim !== null) checkDim(ehs, 2, hiddenDim, unetS.file, 'text embedding width (text_encoder last_hidden_state)');
    const unOut = un.outputs.find((o) => o.name === 'out_sample') ?? un.outputs[0];
    checkDim(unOut, 1, C, unetS.file, 'UNet output channels');
    const residualCandidates = un.inputs
      .filter((m) => !['sample', 'timestep', 'encoder_hidden_states'].includes(m.name))
      .map((m) => m.name);

    let controlnet: PackIO['controlnet'];
    let residualInputs: string[] = [];
    if (cnS) {
      const cn = cnS.session;
      const cs = need(cn.inputs, 'sample', cnS.file, 'input');
      const ct = need(cn.inputs, 'timestep', cnS.file, 'input');
      const ce = need(cn.inputs, 'encoder_hidden_states', cnS.file, 'input');
      const cc = need(cn.inputs, 'controlnet_cond', cnS.file, 'input');
      checkDim(cc, 1, 3, cnS.file, 'ControlNet hint channels');
      checkDim(cc, 2, R, cnS.file, 'ControlNet hint size (resolution)');
      checkDim(cs, 1, C, cnS.file, 'ControlNet sample channels');
      const outputs = cn.outputs.map((o) => o.name);
      if (residualCandidates.length !== outputs.length) {
        throw new PackError('ControlNet residuals do not match the UNet', {
          file: unetS.file,
          expected: `${outputs.length} residual inputs (${cnS.file} outputs)`,
          found: `${residualCandidates.length}`,
        });
      }
      residualInputs = outputs.every((o) => residualCandidates.includes(o)) ? outputs : residualCandidates;
      controlnet = {
        ...cnS,
        batch: batchOf(cs),
        sampleType: checkType(cs, isFloatType, 'float32 or float16', cnS.file),
        timestepType: checkType(ct, (t) => isFloatType(t) || t === 'int64' || t === 'int32', 'int64, int32 or float', cnS.file),
        timestepRank: ct.shape?.length ?? 1,
        timestepLength: batchOf(ct),
        hiddenType: checkType(ce, isFloatType, 'float32 or float16', cnS.file),
        condType: checkType(cc, isFloatType, 'float32 or float16', cnS.file),
        outputs,
      };
    } else if (residualCandidates.length) {
      throw new PackError('UNet has inputs this conditioning mode does not provide', {
        file: unetS.file,
        tensor: residualCandidates[0],
        expected: `only sample, timestep, encoder_hidden_states (conditioning "${manifest.conditioning}")`,
        found: residualCandidates.join(', '),
      });
    }

    // vae encoder
    const en = encS.session;
    const encIn = need(en.inputs, 'sample', encS.file, 'input');
    checkDim(encIn, 1, 3, encS.file, 'image channels');
    const encOut = en.outputs.find((o) => o.name === 'latent_sample') ?? en.outputs.find((o) => o.name === 'latent_parameters');
    if (!encOut) {
      throw new PackError('VAE encoder output not found', {
        file: encS.file,
        expected: 'latent_sample or latent_parameters',
        found: en.outputs.map((o) => o.name).join(', '),
      });
    }
    const takeMean = encOut.name === 'latent_parameters';
    checkDim(encOut, 1, takeMean ? 2 * C : C, encS.file, 'VAE encoder output channels');

    // vae decoder
    const de = decS.session;
    const decIn = need(de.inputs, 'latent_sample', decS.file, 'input');
    checkDim(decIn, 1, C, decS.file, 'VAE decoder input channels');
    const decOut = de.outputs.find((o) => o.name === 'sample') ?? de.outputs[0];
    checkDim(decOut, 1, 3, decS.file, 'VAE decoder output channels');

    const io: PackIO = {
      textEncoder: { ...teS, batch: batchOf(ids), idsType, output: teOut.name, hiddenDim },
      unet: {
        ...unetS,
        batch: batchOf(sample),
        sampleType,
        timestepType,
        timestepRank: ts.shape?.length ?? 1,
        timestepLength: batchOf(ts),
        hiddenType,
        inChannels,
        output: unOut.name,
        residualInputs,
      },
      vaeEncoder: { ...encS, batch: batchOf(encIn), inputType: checkType(encIn, isFloatType, 'float32 or float16', encS.file), output: encOut.name, takeMean },
      vaeDecoder: { ...decS, batch: batchOf(decIn), inputType: checkType(decIn, isFloatType, 'float32 or float16', decS.file), output: decOut.name },
      controlnet,
    };
    return {
      manifest,
      sha256,
      runtime,
      tokenizer,
      schedulerConfig,
      io,
      latentSize: l,
      loadMs: performance.now() - t0,
      readFile: readVerified,
      async release() {
        for (const s of sessions) await s.release();
      },
    };
  } catch (e) {
    for (const s of sessions) await s.release().catch(() => undefined);
    throw e;
  }
}
