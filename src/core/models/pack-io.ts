/**
 * How to talk to each session of a pack, read from the sessions' metadata (the last step of loading a pack,
 * pack.ts): dtypes, timestep rank, batch, ControlNet residual names, and every shape the manifest promises,
 * checked with a PackError naming file, tensor, expected and found. Plain functions of the opened sessions:
 * no file is read and no model is run here.
 */
import { PackError } from './errors';
import type { PackManifest } from './manifest-types';
import type { IOMeta, ModelSession } from './runtime';

export type ModelName = 'text_encoder' | 'unet' | 'vae_encoder' | 'vae_decoder' | 'controlnet';

/** A created session and the pack file it came from (`<model>/model.onnx`). */
export interface OpenedSession {
  session: ModelSession;
  file: string;
}

/** How to call one session, read from its metadata. */
export interface SessionIO extends OpenedSession {
  /** Leading dimension of the main input: a number when fixed, null when free. */
  batch: number | null;
}

export type TextEncoderIO = SessionIO & { idsType: string; output: string; hiddenDim: number | null };
export type UnetIO = SessionIO & {
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
export type VaeEncoderIO = SessionIO & { inputType: string; output: string; takeMean: boolean };
export type VaeDecoderIO = SessionIO & { inputType: string; output: string };
export type ControlNetIO = SessionIO & {
  sampleType: string;
  timestepType: string;
  timestepRank: number;
  timestepLength: number | null;
  hiddenType: string;
  condType: string;
  outputs: string[];
};

export interface PackIO {
  textEncoder: TextEncoderIO;
  unet: UnetIO;
  vaeEncoder: VaeEncoderIO;
  vaeDecoder: VaeDecoderIO;
  controlnet?: ControlNetIO;
}

/** The opened sessions of a pack (controlnet only for conditioning "controlnet"). */
export type PackSessions = Record<Exclude<ModelName, 'controlnet'>, OpenedSession> & { controlnet?: OpenedSession };

function isFloatType(t: string): boolean {
  return t === 'float32' || t === 'float16';
}

const isTimestepType = (t: string) => isFloatType(t) || t === 'int64' || t === 'int32';

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

/** The text encoder: int32/int64 `input_ids` of the tokenizer's length; the width of its hidden states. */
export function textEncoderIO(s: OpenedSession, maxLength: number): TextEncoderIO {
  const te = s.session;
  const ids = need(te.inputs, 'input_ids', s.file, 'input');
  const idsType = checkType(ids, (t) => t === 'int32' || t === 'int64', 'int32 or int64', s.file);
  checkDim(ids, 1, maxLength, s.file, 'sequence length');
  const teOut = te.outputs.find((o) => o.name === 'last_hidden_state') ?? te.outputs[0];
  if (!teOut) throw new PackError('model has no outputs', { file: s.file, expected: 'last_hidden_state' });
  const hd = teOut.shape?.[2];
  return { ...s, batch: batchOf(ids), idsType, output: teOut.name, hiddenDim: typeof hd === 'number' ? hd : null };
}

/**
 * The UNet: sample / timestep / encoder_hidden_states with the manifest's channels (latent plus concat
 * channels) and latent size. `residualInputs` is left empty here: `controlnetIO` matches them, and
 * `unetResidualCandidates` lists the inputs that may be residuals.
 */
export function unetIO(s: OpenedSession, manifest: PackManifest, hiddenDim: number | null): UnetIO {
  const R = manifest.resolution;
  const f = manifest.vaeScaleFactor;
  const l = R / f;
  const C = manifest.latentChannels;
  const un = s.session;
  const sample = need(un.inputs, 'sample', s.file, 'input');
  const ts = need(un.inputs, 'timestep', s.file, 'input');
  const ehs = need(un.inputs, 'encoder_hidden_states', s.file, 'input');
  const sampleType = checkType(sample, isFloatType, 'float32 or float16', s.file);
  const timestepType = checkType(ts, isTimestepType, 'int64, int32 or float', s.file);
  const hiddenType = checkType(ehs, isFloatType, 'float32 or float16', s.file);
  const extra = manifest.conditioning === 'concat'
    ? (manifest.concatChannels ?? []).reduce((a, c) => a + (c === 'masked_image_latent' ? C : 1), 0)
    : 0;
  const inChannels = C + extra;
  checkDim(sample, 1, inChannels, s.file, `UNet input channels (${C} latent + ${extra} concat from the manifest)`);
  checkDim(sample, 2, l, s.file, `latent size (resolution ${R} / vaeScaleFactor ${f})`);
  checkDim(sample, 3, l, s.file, `latent size (resolution ${R} / vaeScaleFactor ${f})`);
  if (hiddenDim !== null) checkDim(ehs, 2, hiddenDim, s.file, 'text embedding width (text_encoder last_hidden_state)');
  const unOut = un.outputs.find((o) => o.name === 'out_sample') ?? un.outputs[0];
  checkDim(unOut, 1, C, s.file, 'UNet output channels');
  return {
    ...s,
    batch: batchOf(sample),
    sampleType,
    timestepType,
    timestepRank: ts.shape?.length ?? 1,
    timestepLength: batchOf(ts),
    hiddenType,
    inChannels,
    output: unOut.name,
    residualInputs: [],
  };
}

/** UNet inputs other than sample, timestep and encoder_hidden_states: the ControlNet residuals, if any. */
export function unetResidualCandidates(unet: OpenedSession): string[] {
  return unet.session.inputs
    .filter((m) => !['sample', 'timestep', 'encoder_hidden_states'].includes(m.name))
    .map((m) => m.name);
}

/**
 * The ControlNet (conditioning "controlnet"): its inputs, its 3-channel hint at the native resolution, and
 * its outputs matched to the UNet's residual inputs (by name when they agree, else in the UNet's order).
 */
export function controlnetIO(
  s: OpenedSession,
  manifest: PackManifest,
  unet: OpenedSession,
): { controlnet: ControlNetIO; residualInputs: string[] } {
  const C = manifest.latentChannels;
  const cn = s.session;
  const cs = need(cn.inputs, 'sample', s.file, 'input');
  const ct = need(cn.inputs, 'timestep', s.file, 'input');
  const ce = need(cn.inputs, 'encoder_hidden_states', s.file, 'input');
  const cc = need(cn.inputs, 'controlnet_cond', s.file, 'input');
  checkDim(cc, 1, 3, s.file, 'ControlNet hint channels');
  checkDim(cc, 2, manifest.resolution, s.file, 'ControlNet hint size (resolution)');
  checkDim(cs, 1, C, s.file, 'ControlNet sample channels');
  const outputs = cn.outputs.map((o) => o.name);
  const candidates = unetResidualCandidates(unet);
  if (candidates.length !== outputs.length) {
    throw new PackError('ControlNet residuals do not match the UNet', {
      file: unet.file,
      expected: `${outputs.length} residual inputs (${s.file} outputs)`,
      found: `${candidates.length}`,
    });
  }
  const residualInputs = outputs.every((o) => candidates.includes(o)) ? outputs : candidates;
  const controlnet: ControlNetIO = {
    ...s,
    batch: batchOf(cs),
    sampleType: checkType(cs, isFloatType, 'float32 or float16', s.file),
    timestepType: checkType(ct, isTimestepType, 'int64, int32 or float', s.file),
    timestepRank: ct.shape?.length ?? 1,
    timestepLength: batchOf(ct),
    hiddenType: checkType(ce, isFloatType, 'float32 or float16', s.file),
    condType: checkType(cc, isFloatType, 'float32 or float16', s.file),
    outputs,
  };
  return { controlnet, residualInputs };
}

/** Without a ControlNet the UNet must take nothing beyond sample, timestep and encoder_hidden_states. */
export function checkNoResiduals(unet: OpenedSession, manifest: PackManifest): void {
  const candidates = unetResidualCandidates(unet);
  if (candidates.length) {
    throw new PackError('UNet has inputs this conditioning mode does not provide', {
      file: unet.file,
      tensor: candidates[0],
      expected: `only sample, timestep, encoder_hidden_states (conditioning "${manifest.conditioning}")`,
      found: candidates.join(', '),
    });
  }
}

/** The VAE encoder: a 3-channel `sample`; `latent_sample`, or `latent_parameters` (mean and log-variance). */
export function vaeEncoderIO(s: OpenedSession, manifest: PackManifest): VaeEncoderIO {
  const C = manifest.latentChannels;
  const en = s.session;
  const encIn = need(en.inputs, 'sample', s.file, 'input');
  checkDim(encIn, 1, 3, s.file, 'image channels');
  const encOut = en.outputs.find((o) => o.name === 'latent_sample') ?? en.outputs.find((o) => o.name === 'latent_parameters');
  if (!encOut) {
    throw new PackError('VAE encoder output not found', {
      file: s.file,
      expected: 'latent_sample or latent_parameters',
      found: en.outputs.map((o) => o.name).join(', '),
    });
  }
  const takeMean = encOut.name === 'latent_parameters';
  checkDim(encOut, 1, takeMean ? 2 * C : C, s.file, 'VAE encoder output channels');
  return { ...s, batch: batchOf(encIn), inputType: checkType(encIn, isFloatType, 'float32 or float16', s.file), output: encOut.name, takeMean };
}

/** The VAE decoder: `latent_sample` with the latent channels in, 3 channels out. */
export function vaeDecoderIO(s: OpenedSession, manifest: PackManifest): VaeDecoderIO {
  const de = s.session;
  const decIn = need(de.inputs, 'latent_sample', s.file, 'input');
  checkDim(decIn, 1, manifest.latentChannels, s.file, 'VAE decoder input channels');
  const decOut = de.outputs.find((o) => o.name === 'sample') ?? de.outputs[0];
  checkDim(decOut, 1, 3, s.file, 'VAE decoder output channels');
  return { ...s, batch: batchOf(decIn), inputType: checkType(decIn, isFloatType, 'float32 or float16', s.file), output: decOut.name };
}

/** Every session's IO, checked against the manifest and the tokenizer, in the order above. */
export function resolvePackIO(sessions: PackSessions, manifest: PackManifest, maxLength: number): PackIO {
  const textEncoder = textEncoderIO(sessions.text_encoder, maxLength);
  const unet = unetIO(sessions.unet, manifest, textEncoder.hiddenDim);
  let controlnet: ControlNetIO | undefined;
  if (sessions.controlnet) {
    const matched = controlnetIO(sessions.controlnet, manifest, sessions.unet);
    controlnet = matched.controlnet;
    unet.residualInputs = matched.residualInputs;
  } else {
    checkNoResiduals(sessions.unet, manifest);
  }
  return {
    textEncoder,
    unet,
    vaeEncoder: vaeEncoderIO(sessions.vae_encoder, manifest),
    vaeDecoder: vaeDecoderIO(sessions.vae_decoder, manifest),
    controlnet,
  };
}
