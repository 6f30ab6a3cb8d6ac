/**
 * In Chromium (bench/browser-fullsize.bench.ts): one full-size pack through the app's own browser path on
 * onnxruntime-web's WASM backend: loadPack straight over the network (FetchPackSource, as the worker does
 * without the pack store, `noCache`; on 'wasm' the "too big for WASM" refusal comes from the manifest before
 * any model file is requested; each model's files are downloaded right before its session, so download and
 * load are one phase, `loadMs`), then the same evaluations as bench/full-size-node.ts: ControlNet
 * (batch 1) and UNet (batch 2, guidance) at the native resolution. `force` loads a refused pack anyway (the
 * estimate bypassed) to see what really happens at the 4 GB heap.
 */
import * as ort from 'onnxruntime-web/wasm';
import { loadPack } from '../../src/core/models/pack';
import { FetchPackSource } from '../../src/core/models/pack-source';
import { createWebRuntime, type WebOrtModule } from '../../src/core/models/ort-web';
import { makeTensor } from '../../src/core/models/tensor';
import type { Runtime, TensorData } from '../../src/core/models/runtime';

declare global {
  // eslint-disable-next-line no-var
  var __mark: (label: string) => Promise<void>;
}

export interface BrowserResult {
  refused?: string;
  error?: string;
  phase?: string;
  downloadMs?: number;
  loadMs?: number;
  unetMs: number[];
  controlnetMs: number[];
  threads: number;
}

async function run(packUrl: string, opts: { runs: number; force: boolean }): Promise<BrowserResult> {
  const out: BrowserResult = { unetMs: [], controlnetMs: [], threads: 1 };
  let phase = 'load';
  try {
    const wasm = createWebRuntime(ort as unknown as WebOrtModule, { backend: 'wasm', numThreads: 1, wasmPaths: '/ort/' });
    // `force`: the same runtime under another name, so loadPack does not apply the estimate.
    const runtime: Runtime = opts.force ? { name: 'wasm-forced', createSession: (m, o) => wasm.createSession(m, o) } : wasm;
    const t1 = performance.now();
    let loaded;
    try {
      loaded = await loadPack(new FetchPackSource(packUrl, { cache: 'no-store' }), runtime);
    } catch (e) {
      if (/WASM can hold/.test((e as Error).message)) return { ...out, refused: (e as Error).message.split(';').slice(0, 3).join(';') };
      throw e;
    }
    out.loadMs = performance.now() - t1;
    await globalThis.__mark('loaded');
    phase = 'evaluate';
    const u = loaded.io.unet;
    const L = loaded.latentSize;
    const R = loaded.manifest.resolution;
    const C = loaded.manifest.latentChannels;
    const seq = loaded.tokenizer.maxLength;
    const ctxDim = loaded.io.textEncoder.hiddenDim ?? 768;
    const fill = (type: string, dims: number[], v = 0.1) => makeTensor(type, new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(v), dims);
    const ts = (type: string, rank: number, fixed: number | null, n: number) =>
      rank === 0 ? makeTensor(type, [999], []) : makeTensor(type, new Array(fixed ?? n).fill(999), [fixed ?? n]);
    const B = u.batch ?? 2;
    for (let r = 0; r < opts.runs; r++) {
      const feeds: Record<string, TensorData> = {
        sample: fill(u.sampleType, [B, u.inChannels, L, L]),
        timestep: ts(u.timestepType, u.timestepRank, u.timestepLength, B),
        encoder_hidden_states: fill(u.hiddenType, [B, seq, ctxDim], 0.01),
      };
      const cn = loaded.io.controlnet;
      if (cn) {
        const t2 = performance.now();
        const res = await cn.session.run({
          sample: fill(cn.sampleType, [1, C, L, L]),
          timestep: ts(cn.timestepType, cn.timestepRank, cn.timestepLength, 1),
          encoder_hidden_states: fill(cn.hiddenType, [1, seq, ctxDim], 0.01),
          controlnet_cond: fill(cn.condType, [1, 3, R, R], 0.5),
        });
        out.controlnetMs.push(performance.now() - t2);
        cn.outputs.forEach((name, k) => {
          const src = res[name].data as Float32Array | Uint16Array;
          const data = new (src.constructor as Float32ArrayConstructor | Uint16ArrayConstructor)(src.length * B);
          for (let b = 0; b < B; b++) data.set(src, b * src.length);
          feeds[u.residualInputs[k]] = { type: res[name].type, data, dims: [B, ...res[name].dims.slice(1)] };
        });
      }
      const t3 = performance.now();
      await u.session.run(feeds);
      out.unetMs.push(performance.now() - t3);
      await globalThis.__mark(`run ${r}`);
    }
    await loaded.release();
    return out;
  } catch (e) {
    return { ...out, phase, error: String((e as Error)?.message ?? e).slice(0, 400) };
  }
}

(globalThis as unknown as { runFullSize: typeof run }).runFullSize = run;
