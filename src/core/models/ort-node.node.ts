/** Runtime adapter for onnxruntime-node (the CLI, Node tests and benches). */
import * as ortNode from 'onnxruntime-node';
import type { Runtime, SessionOptions } from './runtime';
import { baseSessionOptions, wrapSession, type OrtModule } from './ort-common';

/**
 * onnxruntime-node 1.29+ collects telemetry on Linux and macOS by default (a device id and an event store
 * under ~/.cache/Microsoft/DeveloperTools/.onnxruntime, a session folder and a log file in the temp folder).
 * `ORT_DISABLE_TELEMETRY=1` turns all of it off when set before the first session is created; we set it
 * unless the user has set the variable themselves (`ORT_DISABLE_TELEMETRY=0` opts back in).
 */
export function disableOrtTelemetry(env: Record<string, string | undefined> = process.env): void {
  if (env.ORT_DISABLE_TELEMETRY === undefined) env.ORT_DISABLE_TELEMETRY = '1';
}
disableOrtTelemetry();

export interface NodeRuntimeOptions {
  /** Intra-op threads (default: ORT's choice). */
  threads?: number;
}

export function createNodeRuntime(opts: NodeRuntimeOptions = {}): Runtime {
  disableOrtTelemetry();
  const ort = ortNode as unknown as OrtModule & typeof ortNode;
  return {
    name: 'native',
    async createSession(model: Uint8Array, options?: SessionOptions) {
      const so = baseSessionOptions(options);
      if (opts.threads) so.intraOpNumThreads = opts.threads;
      // External data (e.g. `model.onnx_data`) is handed over in memory, by its path relative to the model:
      // the bytes already read and verified by loadPack, no copy on disk, nothing to clean up. (loadPack uses
      // createSessionFromFile instead where the pack is a folder on disk.)
      if (options?.externalData?.length) so.externalData = options.externalData.map((f) => ({ path: f.path, data: f.data }));
      const session = await ortNode.InferenceSession.create(model, so);
      return wrapSession(ort, session);
    },
    async createSessionFromFile(path: string, options?: SessionOptions) {
      const so = baseSessionOptions(options);
      if (opts.threads) so.intraOpNumThreads = opts.threads;
      // onnxruntime opens the file and its external data (resolved beside it, never outside its folder) itself.
      const session = await ortNode.InferenceSession.create(path, so);
      return wrapSession(ort, session);
    },
  };
}
