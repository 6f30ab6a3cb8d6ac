/**
 * Stage 3 of the method: online decoder adaptation, in closed form for the decoder's final convolution.
 *
 * createDecoderAdapter(runtime, decoderBytes, { latentScale }) edits the decoder graph so that it also
 * outputs the final convolution's input, opens a session on it, and returns a DecoderAdapter for the
 * pipeline; for a decoder that does not end with a convolution it returns a notice instead.
 */
import { abortReason } from '../../errors';
import type { AdaptationReport, AdaptationSettings, DecoderAdapter } from '../types';
import type { ModelSession, Runtime, SessionOptions, TensorData } from '../../models/runtime';
import { type FinalConv, UnsupportedDecoderError, exposeFinalConvInput } from '../../models/onnx/decoder-head';
import type { ExternalFiles } from '../../models/onnx/model';
import { buildGramModel } from '../../models/onnx/build';
import { float32ToHalfArray, halfArrayToFloat32 } from '../../models/onnx/half';
import { conv2d, resolveConv } from './conv';
import { type GramKernel, type HeadSolution, solveHead } from './solve';
import { edgeMetrics, insideDistance, invertMask, maskedMse, seamBand } from './metrics';
import { DEFAULT_ADAPTATION_SETTINGS } from '../../settings';

/** The reference adaptation settings (defined with every other default in src/core/settings). */
export const DEFAULT_ADAPTATION: AdaptationSettings = DEFAULT_ADAPTATION_SETTINGS;

export interface HeadAdaptationInput {
  /** Input of the final convolution, planar [C, H, W]. */
  features: Float32Array;
  featuresShape: [number, number, number];
  conv: FinalConv;
  xGen: Float32Array;
  xOk: Float32Array;
  defect: Uint8Array;
  width: number;
  height: number;
  settings: AdaptationSettings;
  gram?: GramKernel;
  seed?: number;
  signal?: AbortSignal;
  /**
   * Rim term: defect pixels within `px` pixels of the edge are also pulled towards the input, with weight
   * `weight * (px - d + 1) / px` at distance d (on top of the defect term's 1), so that the generated region
   * meets its surroundings where the paste joins them. Default EDGE_BAND.
   */
  edgeBand?: { weight: number; px: number };
}

/** The rim term's default (docs/adaptation.md): off, the reference loss. */
export const EDGE_BAND = { weight: 0, px: 2 };

export interface HeadAdaptationResult {
  image: Float32Array;
  report: AdaptationReport;
  solution: HeadSolution;
}

/** Pixels of the image size at which `mu` is given: 256 x 256 (docs/adaptation.md). */
export const MU_REFERENCE_PIXELS = 256 * 256;

/**
 * The ridge weight used for an image of `pixels` pixels: the data term is a sum over pixels, so mu scales with
 * the pixel count to keep the same balance at every resolution (mu as set applies at 256 x 256).
 */
export function effectiveMu(mu: number, pixels: number): number {
  return (mu * pixels) / MU_REFERENCE_PIXELS;
}

/** Solves for the adapted final convolution and recomputes the decoded image with it. */
export async function adaptDecoderHead(input: HeadAdaptationInput): Promise<HeadAdaptationResult> {
  const t0 = performance.now();
  const [c, h, w] = input.featuresShape;
  const rc = resolveConv(input.conv, h, w);
  if (rc.cin !== c) throw new UnsupportedDecoderError(`features have ${c} channels, the convolution expects ${rc.cin}`);
  if (rc.outH !== input.height || rc.outW !== input.width || rc.cout !== 3) {
    throw new UnsupportedDecoderError(
      `the final convolution gives ${rc.cout}x${rc.outH}x${rc.outW}, the image is 3x${input.height}x${input.width}`,
    );
  }
  const nPix = input.width * input.height;
  const target = new Float32Array(3 * nPix);
  const pixelWeight = new Float32Array(nPix);
  const bgW = input.settings.backgroundWeight;
  const edge = input.edgeBand ?? EDGE_BAND;
  const rim = edge.weight > 0 && edge.px >= 1 ? insideDistance(input.defect, input.width, input.height, edge.px) : null;
  for (let i = 0; i < nPix; i++) {
    const inside = input.defect[i] !== 0;
    if (inside && rim && rim[i]) {
      // w1 |y - x_gen|^2 + w2 |y - x_ok|^2 = (w1 + w2) |y - (w1 x_gen + w2 x_ok) / (w1 + w2)|^2 + const
      const lam = (edge.weight * (edge.px - rim[i] + 1)) / edge.px;
      pixelWeight[i] = 1 + lam;
      for (let ch = 0; ch < 3; ch++) {
        const k = ch * nPix + i;
        target[k] = (input.xGen[k] + lam * input.xOk[k]) / (1 + lam);
      }
      continue;
    }
    pixelWeight[i] = inside ? 1 : bgW;
    const src = inside ? input.xGen : input.xOk;
    for (let ch = 0; ch < 3; ch++) target[ch * nPix + i] = src[ch * nPix + i];
  }
  const solution = await solveHead({
    features: input.features,
    height: h,
    width: w,
    conv: rc,
    weight: input.conv.weight,
    bias: input.conv.bias,
    target,
    pixelWeight,
    mu: effectiveMu(input.settings.mu, nPix),
    maxSamples: input.settings.maxSamples > 0 ? input.settings.maxSamples : DEFAULT_ADAPTATION.maxSamples,
    defect: input.defect,
    seed: input.seed ?? 0,
    gram: input.gram,
    signal: input.signal,
  });
  const image = conv2d(input.features, h, w, rc, solution.weight, solution.bias);
  const ms = performance.now() - t0;
  const bg = invertMask(input.defect);
  const band = seamBand(input.defect, input.width, input.height, 4);
  const before = edgeMetrics(input.xGen, input.xOk, input.defect, input.width, input.height);
  const after = edgeMetrics(image, input.xOk, input.defect, input.width, input.height);
  const report: AdaptationReport = {
    applied: true,
    edgeStepBefore: before.edgeStep,
    edgeStepAfter: after.edgeStep,
    inputEdgeStep: before.inputEdgeStep,
    innerBandBefore: before.innerBand,
    innerBandAfter: after.innerBand,
    backgroundMseBefore: maskedMse(input.xGen, input.xOk, bg),
    backgroundMseAfter: maskedMse(image, input.xOk, bg),
    seamMseBefore: maskedMse(input.xGen, input.xOk, band),
    seamMseAfter: maskedMse(image, input.xOk, band),
    ms,
  };
  return { image, report, solution };
}

/** A Gram kernel that runs G^T G as one Gemm on the given ONNX Runtime backend (WASM, WebGPU or native). */
export async function createRuntimeGram(runtime: Runtime): Promise<{ gram: GramKernel; release(): Promise<void> }> {
  const session = await runtime.createSession(buildGramModel());
  const gram: GramKernel = async (rows, n, k) => {
    const out = await session.run({ rows: { type: 'float32', data: rows, dims: [n, k] } }, ['gram']);
    return out.gram.data as Float32Array;
  };
  return { gram, release: () => session.release() };
}

export interface DecoderAdapterHandle {
  /** Null when the decoder cannot be adapted; `notice` says why. */
  adapter: DecoderAdapter | null;
  notice?: string;
  conv?: FinalConv;
  /** The edited decoder's session (outputs the image and the features); null when unsupported. */
  session: ModelSession | null;
  release(): Promise<void>;
}

export interface DecoderAdapterOptions {
  /** Latent scaling factor of the pack (0.18215 for SD 1.x); the adapter decodes latent / latentScale. */
  latentScale: number;
  /** Companion files of a decoder with external data. */
  externalData?: ExternalFiles;
  sessionOptions?: SessionOptions;
  /** Run the Gram matrix on the runtime (default true); false uses the float64 TypeScript kernel. */
  runtimeGram?: boolean;
  /** The rim term (HeadAdaptationInput.edgeBand); default EDGE_BAND. A call's own `edgeBand` wins. */
  edgeBand?: { weight: number; px: number };
}

function toFloat32(t: TensorData): Float32Array {
  if (t.type === 'float32') return t.data as Float32Array;
  if (t.type === 'float16') return halfArrayToFloat32(t.data as Uint16Array);
  throw new Error(`decoder output has type ${t.type}, expected float32 or float16`);
}

/**
 * Edits the decoder, opens a session on it and returns the stage-3 adapter. An unsupported decoder gives
 * `{ adapter: null, notice }` (the pipeline then skips the stage and shows the notice).
 */
export async function createDecoderAdapter(
  runtime: Runtime,
  decoderModel: Uint8Array,
  options: DecoderAdapterOptions,
): Promise<DecoderAdapterHandle> {
  let edit;
  try {
    edit = exposeFinalConvInput(decoderModel, { external: options.externalData });
  } catch (e) {
    if (e instanceof UnsupportedDecoderError) {
      return { adapter: null, notice: `Decoder adaptation skipped: ${e.message}.`, session: null, release: async () => {} };
    }
    throw e;
  }
  const conv = edit.conv;
  const session = await runtime.createSession(edit.model, {
    ...options.sessionOptions,
    externalData: options.externalData ?? options.sessionOptions?.externalData,
  });
  let gramKernel: { gram: GramKernel; release(): Promise<void> } | null | undefined;
  const getGram = async (): Promise<GramKernel | undefined> => {
    if (options.runtimeGram === false) return undefined;
    if (gramKernel === undefined) {
      try {
        gramKernel = await createRuntimeGram(runtime);
      } catch {
        gramKernel = null; // the TypeScript kernel is always there
      }
    }
    return gramKernel?.gram;
  };
  const input = session.inputs[0];
  const adapter: DecoderAdapter = {
    async adapt(args) {
      if (!args.settings.enabled) {
        return { image: args.xGen, report: { applied: false, notice: 'Decoder adaptation is off.' } };
      }
      const t0 = performance.now();
      const [lc, lh, lw] = args.latentShape;
      const scaled = new Float32Array(args.latent.length);
      for (let i = 0; i < scaled.length; i++) scaled[i] = args.latent[i] / options.latentScale;
      const feed: TensorData =
        input.type === 'float16'
          ? { type: 'float16', data: float32ToHalfArray(scaled), dims: [1, lc, lh, lw] }
          : { type: 'float32', data: scaled, dims: [1, lc, lh, lw] };
      const out = await session.run({ [input.name]: feed }, [conv.featuresName]);
      if (args.signal?.aborted) throw abortReason(args.signal, 'aborted');
      const f = out[conv.featuresName];
      const features = toFloat32(f);
      const dims = f.dims;
      try {
        const res = await adaptDecoderHead({
          features,
          featuresShape: [dims[1], dims[2], dims[3]],
          conv,
          xGen: args.xGen,
          xOk: args.xOk,
          defect: args.defect,
          width: args.width,
          height: args.height,
          settings: args.settings,
          edgeBand: args.edgeBand ?? options.edgeBand,
          gram: await getGram(),
          signal: args.signal,
        });
        res.report.ms = performance.now() - t0;
        return { image: res.image, report: res.report };
      } catch (e) {
        if (e instanceof UnsupportedDecoderError) {
          return { image: args.xGen, report: { applied: false, notice: `Decoder adaptation skipped: ${e.message}.` } };
        }
        throw e;
      }
    },
  };
  return {
    adapter,
    conv,
    session,
    async release() {
      await session.release();
      if (gramKernel) await gramKernel.release();
    },
  };
}
