/** Runtime adapter for onnxruntime-node (the CLI, Node tests and benches). */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import type { Runtime, SessionOptions } from './runtime';
import { baseSessionOptions, wrapSession, type OrtModule } from './ort-common';

export interface NodeRuntimeOptions {
  /** Intra-op threads (default: ORT's choice). */
  threads?: number;
}

export function createNodeRuntime(opts: NodeRuntimeOptions = {}): Runtime {
  const ort = ortNode as unknown as OrtModule & typeof ortNode;
  return {
    name: 'native',
    async createSession(model: Uint8Array, options?: SessionOptions) {
      const so = baseSessionOptions(options);
      if (opts.threads) so.intraOpNumThreads = opts.threads;
      if (options?.externalData?.length) {
        // onnxruntime-node loads external data only from files next to the model file.
        const dir = mkdtempSync(join(tmpdir(), 'ds-model-'));
        try {
          const path = join(dir, 'model.onnx');
          writeFileSync(path, model);
          for (const ext of options.externalData) {
            const p = join(dir, ext.path);
            if (!p.startsWith(dir)) throw new Error(`external data path escapes the model folder: ${ext.path}`);
            mkdirSync(dirname(p), { recursive: true });
            writeFileSync(p, ext.data);
          }
          const session = await ortNode.InferenceSession.create(path, so);
          return wrapSession(ort, session);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
      const session = await ortNode.InferenceSession.create(model, so);
      return wrapSession(ort, session);
    },
  };
}
