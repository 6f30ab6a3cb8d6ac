/** A minimal onnxruntime-node Runtime for the adaptation tests and bench (no dependency on the CLI's adapter). */
import * as ort from 'onnxruntime-node';
import type { ModelSession, Runtime, SessionOptions, TensorData } from '../../src/core/models/runtime';

function toOrt(t: TensorData): ort.Tensor {
  return new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims);
}

function fromOrt(t: ort.Tensor): TensorData {
  return { type: t.type as TensorData['type'], data: t.data as Float32Array, dims: [...t.dims] };
}

export class OrtNodeTestRuntime implements Runtime {
  readonly name = 'native';
  constructor(private readonly options: ort.InferenceSession.SessionOptions = {}) {}
  async createSession(model: Uint8Array, options?: SessionOptions): Promise<ModelSession> {
    const so: ort.InferenceSession.SessionOptions = { ...this.options };
    if (options?.externalData) so.externalData = options.externalData.map((f) => ({ path: f.path, data: f.data }));
    if (options?.freeDimensionOverrides) so.freeDimensionOverrides = options.freeDimensionOverrides;
    const s = await ort.InferenceSession.create(model, so);
    const meta = (list: readonly ort.InferenceSession.ValueMetadata[]) =>
      list.map((m) => (m.isTensor ? { name: m.name, type: m.type, shape: [...m.shape] } : { name: m.name, type: 'unknown' }));
    return {
      inputs: meta(s.inputMetadata),
      outputs: meta(s.outputMetadata),
      async run(feeds, outputNames) {
        const f: Record<string, ort.Tensor> = {};
        for (const [k, v] of Object.entries(feeds)) f[k] = toOrt(v);
        const out = outputNames ? await s.run(f, outputNames) : await s.run(f);
        const r: Record<string, TensorData> = {};
        for (const [k, v] of Object.entries(out)) r[k] = fromOrt(v);
        return r;
      },
      release: () => s.release(),
    };
  }
}
