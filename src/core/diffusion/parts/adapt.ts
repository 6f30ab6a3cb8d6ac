/**
 * Part 6, decoder adaptation (stage 3 of METHOD.md) through the DecoderAdapter seam: between the final
 * decode and the paste, when the request enables it. Without an adapter the report says so and the plain
 * decode is kept.
 */
import type { AdaptationReport, DecoderAdapter, GenerateRequest } from '../types';
import type { GenerationContext } from './context';

export interface AdaptedDecode {
  xGen: Float32Array;
  report?: AdaptationReport;
  /** Milliseconds in the adapter (undefined when it did not run). */
  ms?: number;
}

/** The defect of the context as 0/1 bytes (R * R), as the adapter takes it. */
export function defectBytes(defectNative: Float32Array): Uint8Array {
  const defect = new Uint8Array(defectNative.length);
  for (let p = 0; p < defect.length; p++) defect[p] = defectNative[p] ? 1 : 0;
  return defect;
}

export async function adaptDecoder(
  adapter: DecoderAdapter | undefined,
  settings: GenerateRequest['adaptation'],
  ctx: GenerationContext,
  z: Float32Array,
  xGen: Float32Array,
  signal?: AbortSignal,
  onAdapt?: () => void,
): Promise<AdaptedDecode> {
  if (!settings.enabled) return { xGen };
  if (!adapter) return { xGen, report: { applied: false, notice: 'no decoder adapter available' } };
  onAdapt?.();
  const { R, C, l } = ctx.dims;
  const t0 = performance.now();
  const res = await adapter.adapt({
    latent: z,
    latentShape: [C, l, l],
    xGen,
    xOk: ctx.xOk,
    defect: defectBytes(ctx.masks.defectNative),
    width: R,
    height: R,
    settings,
    signal,
  });
  const ms = performance.now() - t0;
  return { xGen: res.report.applied ? res.image : xGen, report: { ...res.report, ms: res.report.ms ?? ms }, ms };
}
