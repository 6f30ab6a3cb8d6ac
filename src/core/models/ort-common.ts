/**
 * Glue shared by the onnxruntime-node and onnxruntime-web adapters (both expose the onnxruntime-common API).
 * Only types are imported here; the module object is passed in, so the core stays free of a hard dependency.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { runtimeError } from '../errors';
import type { IOMeta, ModelSession, SessionOptions, TensorData } from './runtime';

/** The subset of an onnxruntime module this adapter uses. */
export interface OrtModule {
  InferenceSession: { create(model: Uint8Array, options?: InferenceSession.SessionOptions): Promise<InferenceSession> };
  Tensor: new (type: Tensor.Type, data: Tensor.DataType, dims: readonly number[]) => Tensor;
}

export function metaOf(list: readonly InferenceSession.ValueMetadata[]): IOMeta[] {
  return list.map((m) =>
    m.isTensor ? { name: m.name, type: m.type, shape: [...m.shape] } : { name: m.name, type: 'non-tensor' },
  );
}

/** Wraps an onnxruntime InferenceSession as a ModelSession. */
export function wrapSession(ort: OrtModule, session: InferenceSession): ModelSession {
  const inputs = metaOf(session.inputMetadata);
  const outputs = metaOf(session.outputMetadata);
  return {
    inputs,
    outputs,
    async run(feeds, outputNames) {
      const ortFeeds: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) {
        ortFeeds[name] = new ort.Tensor(t.type, t.data as Tensor.DataType, t.dims);
      }
      let result: InferenceSession.ReturnType;
      try {
        result = outputNames ? await session.run(ortFeeds, outputNames) : await session.run(ortFeeds);
      } catch (e) {
        throw runtimeError(e, 'model run'); // out-of-memory / device-lost / runtime, by code
      }
      const out: Record<string, TensorData> = {};
      for (const [name, t] of Object.entries(result)) {
        let data = t.data as TensorData['data'];
        // float16 may come back as Float16Array where the engine has it: normalise to raw bits.
        if (t.type === 'float16' && !(data instanceof Uint16Array)) {
          data = new Uint16Array((data as unknown as { buffer: ArrayBuffer; byteOffset: number; length: number }).buffer,
            (data as unknown as { byteOffset: number }).byteOffset, (data as unknown as { length: number }).length);
        }
        out[name] = { type: t.type as TensorData['type'], data, dims: [...t.dims] };
      }
      return out;
    },
    async release() {
      await session.release();
    },
  };
}

export function baseSessionOptions(options?: SessionOptions): InferenceSession.SessionOptions {
  const o: InferenceSession.SessionOptions = { graphOptimizationLevel: 'all' };
  if (options?.freeDimensionOverrides) o.freeDimensionOverrides = options.freeDimensionOverrides;
  return o;
}
