/** The same request through onnxruntime-node and onnxruntime-web (WASM build, in Node) agrees within float tolerance. */
import { describe, expect, it } from 'vitest';
import * as ortWeb from 'onnxruntime-web/wasm';
import { DEFECT } from '../src/core/image';
import { generate } from '../src/core/diffusion/pipeline';
import type { StepEvent } from '../src/core/diffusion/types';
import { loadPack } from '../src/core/models/pack';
import { createWebRuntime, type WebOrtModule } from '../src/core/models/ort-web';
import { FsPackSource } from '../src/core/models/pack-source.node.ts';
import { createNodeRuntime } from '../src/core/models/ort-node.node.ts';
import { makeRequest, packDir } from './helpers';

const nativeRt = createNodeRuntime({ threads: 1 });
const wasmRt = createWebRuntime(ortWeb as unknown as WebOrtModule, { backend: 'wasm', numThreads: 1 });

async function runOn(runtimeName: 'native' | 'wasm', pack: string) {
  const p = await loadPack(new FsPackSource(packDir(pack)), runtimeName === 'native' ? nativeRt : wasmRt);
  try {
    const events: StepEvent[] = [];
    const res = await generate(p, makeRequest({ steps: 5, guidance: 3 }), { onStep: (e) => events.push(e) });
    return { res, events };
  } finally {
    await p.release();
  }
}

describe('native vs wasm parity', () => {
  it.each(['tiny-sd', 'tiny-controlnet', 'tiny-inpaint-fp16', 'tiny-builtin'])('%s', async (pack) => {
    const a = await runOn('native', pack);
    const b = await runOn('wasm', pack);
    expect(b.events.length).toBe(a.events.length);
    const tol = 1e-4; // measured: about 5e-7
    for (let s = 0; s < a.events.length; s++) {
      const x = a.events[s].latent;
      const y = b.events[s].latent;
      let maxDiff = 0;
      let maxAbs = 0;
      for (let i = 0; i < x.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(x[i] - y[i]));
        maxAbs = Math.max(maxAbs, Math.abs(x[i]));
      }
      expect(maxDiff / Math.max(1, maxAbs), `step ${s}`).toBeLessThan(tol);
    }
    const req = makeRequest();
    let maxPix = 0;
    for (let p = 0; p < req.trimap.data.length; p++) {
      for (let c = 0; c < 4; c++) {
        const d = Math.abs(a.res.image.data[p * 4 + c] - b.res.image.data[p * 4 + c]);
        if (req.trimap.data[p] !== DEFECT) expect(d).toBe(0);
        maxPix = Math.max(maxPix, d);
      }
    }
    expect(maxPix).toBeLessThanOrEqual(1); // measured: 0
  });
});
