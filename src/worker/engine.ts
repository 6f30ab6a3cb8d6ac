// The Worker's engine: a loaded pack on one ORT backend, the decoder adapter, and the core pipeline.
import { createWebRuntime } from '../core/models/ort-web';
import type { PackProgress, PackSource } from '../core/models/pack-source';
import { loadPack, type LoadedPack } from '../core/models/pack';
import { generate as runPipeline, yieldToEventLoop } from '../core/diffusion/pipeline';
import { ModelRunner } from '../core/diffusion/parts/runner';
import { vaeDecode } from '../core/diffusion/parts/vae';
import { createPackDecoderAdapter, type DecoderAdapterHandle } from '../core/diffusion/adaptation';
import type { GenerateRequest, GenerateResult, Stage, StepEvent } from '../core/diffusion/types';
import type { ModelSession, Runtime } from '../core/models/runtime';
import { importOrt, threadCount } from './ortEnv';
import type { ActiveBackend } from './protocol';

export interface Engine {
  backend: ActiveBackend;
  threads: number;
  /** Where the pack's bytes are (the pack store's copy, or the network): read again after a device loss. */
  source: PackSource;
  loaded: LoadedPack;
  adapterNotice?: string;
  generate(
    request: GenerateRequest,
    opts: { signal: AbortSignal; onStep: (e: StepEvent) => unknown; onStage?: (s: Stage) => void },
  ): Promise<GenerateResult>;
  /** Full VAE decode of x0-hat: planar RGB [3, H, W] in [-1, 1]. */
  decodePreview?(x0Hat: Float32Array, shape: [number, number, number]): Promise<{ data: Float32Array; width: number; height: number }>;
  release(): Promise<void>;
}

export async function createEngine(
  source: PackSource,
  backend: ActiveBackend,
  onDeviceLost: (reason: string) => void,
  onProgress?: (p: PackProgress) => void,
): Promise<Engine> {
  const { ort, wasmPaths } = await importOrt(backend);
  const threads = backend === 'wasm' ? threadCount() : 1;
  const runtime = yieldingRuntime(createWebRuntime(ort, { backend, numThreads: threadCount(), wasmPaths }));
  // The core's loader reads and checks (size, sha256) every file from the source: the one pack reader.
  const loaded = await loadPack(source, runtime, { onProgress });

  if (backend === 'webgpu') watchDevice(ort, onDeviceLost);

  // Stage 3: the closed-form decoder-head adapter (METHOD.md), made on the first run that asks for it (its
  // edited decoder is a second decoder session). Unsupported decoders run without it, with a notice.
  let adapterHandle: Promise<DecoderAdapterHandle | null> | null = null;
  let adapterNotice: string | undefined;
  const getAdapter = () =>
    (adapterHandle ??= (async () => {
      try {
        const h = await createPackDecoderAdapter(loaded, runtime);
        adapterNotice = h.notice;
        return h;
      } catch (e) {
        adapterNotice = `Decoder adaptation unavailable: ${(e as Error).message}`;
        return null;
      }
    })());

  return {
    backend,
    threads: backend === 'wasm' ? threads : 1,
    source,
    loaded,
    get adapterNotice() {
      return adapterNotice;
    },
    async generate(request, opts) {
      const adapter = request.adaptation.enabled ? ((await getAdapter())?.adapter ?? undefined) : undefined;
      // Our runtime already yields before every model run; the pipeline's own per-step yield is kept too.
      // releaseAfterUse false: every session stays for the next Generate (the CLI's one-shot run frees them).
      return runPipeline(loaded, request, { signal: opts.signal, onStep: opts.onStep, onStage: opts.onStage, adapter, releaseAfterUse: false });
    },
    async decodePreview(x0Hat) {
      // The pipeline's own VAE decode part (x0-hat / latentScale through the pack's decoder, size checked).
      const R = loaded.manifest.resolution;
      return { data: await vaeDecode(loaded, new ModelRunner(), x0Hat), width: R, height: R };
    },
    async release() {
      const h = adapterHandle ? await adapterHandle : null;
      await h?.release().catch(() => undefined);
      await loaded.release();
    },
  };
}

/**
 * ORT's WASM runs can resolve through microtasks only, which would starve the Worker's message queue for a
 * whole generation: Stop would arrive after the end. Yield one macrotask before every model run, so a
 * cancel message is handled between any two model calls (within one step). (The one yieldToEventLoop is
 * the core's.)
 */
function yieldingRuntime(rt: Runtime): Runtime {
  return {
    name: rt.name,
    async createSession(model, options) {
      const s = await rt.createSession(model, options);
      return {
        inputs: s.inputs,
        outputs: s.outputs,
        async run(feeds, outputNames) {
          await yieldToEventLoop();
          return s.run(feeds, outputNames);
        },
        release: () => s.release(),
      } satisfies ModelSession;
    },
  };
}

function watchDevice(ort: unknown, onLost: (reason: string) => void) {
  const env = (ort as { env?: { webgpu?: { device?: unknown } } }).env;
  const pending = env?.webgpu?.device;
  void Promise.resolve(pending)
    .then((device) => {
      const d = device as { lost?: Promise<{ message?: string; reason?: string }> } | undefined;
      d?.lost?.then((info) => {
        if (info?.reason === 'destroyed') return; // our own release
        onLost(info?.message || info?.reason || 'unknown reason');
      });
    })
    .catch(() => undefined);
}
