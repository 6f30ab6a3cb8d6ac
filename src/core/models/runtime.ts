/**
 * The one small interface between the diffusion core and an ONNX Runtime build.
 * Adapters: onnxruntime-node (CLI), onnxruntime-web/wasm and onnxruntime-web/webgpu (browser Worker, Node).
 */
export type TensorType = 'float32' | 'float16' | 'int32' | 'int64' | 'bool' | 'uint8';

export type TensorArray = Float32Array | Uint16Array | Int32Array | BigInt64Array | Uint8Array;

export interface TensorData {
  type: TensorType;
  data: TensorArray; // float16 is stored as raw IEEE half bits in a Uint16Array
  dims: number[];
}

export interface IOMeta {
  name: string;
  type: TensorType | string;
  /** Dimensions; strings are symbolic (free) dimensions such as "batch". Undefined when not a tensor. */
  shape?: (number | string)[];
}

export interface ModelSession {
  readonly inputs: IOMeta[];
  readonly outputs: IOMeta[];
  run(feeds: Record<string, TensorData>, outputNames?: string[]): Promise<Record<string, TensorData>>;
  release(): Promise<void>;
}

export interface SessionOptions {
  /** External data files referenced by the model (e.g. `model.onnx_data`), by their path relative to the model. */
  externalData?: { path: string; data: Uint8Array }[];
  /** Symbolic dimension values to fix at load time (e.g. { batch: 2 }). */
  freeDimensionOverrides?: Record<string, number>;
}

export interface Runtime {
  /** 'native' (onnxruntime-node), 'wasm' or 'webgpu' (onnxruntime-web). */
  readonly name: string;
  createSession(model: Uint8Array, options?: SessionOptions): Promise<ModelSession>;
  /**
   * Optional (onnxruntime-node): the session from the model's file on disk. onnxruntime reads the graph and
   * the external data beside it itself, so no model byte passes through JavaScript (no second copy while the
   * session is created). The loader uses it only for files it has verified (pack.ts, `localModelPaths`).
   */
  createSessionFromFile?(path: string, options?: Omit<SessionOptions, 'externalData'>): Promise<ModelSession>;
}
