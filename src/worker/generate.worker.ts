/// <reference lib="webworker" />
// The generation Worker: owns the ONNX Runtime sessions and runs the diffusion pipeline. The page never
// runs a model. Messages are typed (protocol.ts); pixels and previews cross as transferred buffers.
import { createEngine, type Engine } from './engine';
import { openPackStore, type PackStore } from './packStore';
import { FetchPackSource, type PackProgress, type PackSource } from '../core/models/pack-source';
import { PackFileError } from '../core/models/errors';
import { assertFitsWasm } from '../core/models/memory';
import { cropThumbnail, previewFromLatent, regionOf, resultPatch, rgbGridToPatch } from './preview';
import { defectBounds } from '../core/diffusion/crop';
import { importOrt, resolveBackend, threadCount } from './ortEnv';
import { validateSettings, type ActiveBackend, type AddPackMessage, type ErrorCode, type FromWorker, type GenerateMessage, type LoadMessage, type PacksMessage, type ToWorker } from './protocol';
import { addPack, type KeptPack, type PackKeeper } from './addPack';
import { createWebRuntime } from '../core/models/ort-web';
import { DEFECT, type RGBAImage, type Trimap } from '../core/image';
import { abortReason, DefectStudioError, errorCode } from '../core/errors';

declare const self: DedicatedWorkerGlobalScope;

let engine: Engine | null = null;
let lastLoad: LoadMessage | null = null;
let current: { id: number; abort: AbortController; stepsDone: number; stepsAtCancel?: number } | null = null;
let queue: Promise<void> = Promise.resolve();

function post(msg: FromWorker, transfer: Transferable[] = []) {
  self.postMessage(msg, transfer);
}

/** The error message for the page: the error's stable code (src/core/errors.ts), never its text. */
export function classifyError(e: unknown): { code: ErrorCode; message: string } {
  const code = errorCode(e);
  const message = (e as Error)?.message ?? String(e);
  if (code === 'out-of-memory') return { code, message: `${message}. Try fewer steps, a smaller context, or the WASM backend.` };
  return { code, message };
}

/** Progress to the page, at most every 100 ms per load (and always at a file's start and end). */
function progressPoster(id: number): (p: PackProgress) => void {
  let last = 0;
  return (progress) => {
    const now = Date.now();
    const edge = progress.fileLoadedBytes === 0 || progress.fileLoadedBytes === progress.fileTotalBytes;
    if (!edge && now - last < 100) return;
    last = now;
    post({ type: 'load-progress', id, progress });
  };
}

async function load(m: LoadMessage) {
  const t0 = performance.now();
  lastLoad = m;
  try {
    if (engine) {
      await engine.release();
      engine = null;
    }
    const choice = await resolveBackend(m.backend);
    const onProgress = progressPoster(m.id);
    const fitsBackend = (manifest: Parameters<typeof assertFitsWasm>[0]) => {
      if (choice.backend === 'wasm') assertFitsWasm(manifest);
    };
    const store = m.noCache && m.storedId === undefined ? null : await openStore();
    // The bytes: the pack store's copy (downloaded into it first when missing or outdated; resumed when an
    // earlier download was cut), or, without a store, straight from the network. The core's loader reads
    // and checks them either way.
    let downloaded = true;
    const fromStore = async (s: PackStore): Promise<PackSource> => {
      if (m.storedId) {
        const kept = await s.get(m.storedId);
        if (!kept) throw new DefectStudioError('pack', `The model "${m.storedId}" is not in this browser's storage.`);
        fitsBackend(kept.manifest);
        downloaded = false;
        return kept;
      }
      const r = await s.ensure(new FetchPackSource(m.packUrl, { cache: 'no-store' }), { onProgress, beforeDownload: fitsBackend });
      downloaded = r.downloaded;
      return r.source;
    };
    if (m.storedId && !store) throw new DefectStudioError('pack', `The model "${m.storedId}" is kept in this browser's storage, which this browser does not offer here.`);
    let source: PackSource = store ? await fromStore(store) : new FetchPackSource(m.packUrl);
    const open = async (backend: ActiveBackend) => {
      try {
        return await createEngine(source, backend, onDeviceLost, onProgress);
      } catch (e) {
        // A stored copy whose bytes went bad (storage can rot): drop it and download it again, once.
        if (!(e instanceof PackFileError) || !store || downloaded || m.storedId) throw e;
        const id = (source as { manifest?: { id: string } }).manifest?.id;
        if (id !== undefined) await store.delete(id);
        source = await fromStore(store);
        return createEngine(source, backend, onDeviceLost, onProgress);
      }
    };
    let backend: ActiveBackend = choice.backend;
    let note = choice.note;
    try {
      engine = await open(backend);
    } catch (e) {
      if (backend !== 'webgpu') throw e;
      note = `WebGPU failed (${(e as Error).message}); using WASM`;
      backend = 'wasm';
      engine = await open('wasm');
    }
    const manifest = engine.loaded.manifest;
    post({
      type: 'loaded',
      id: m.id,
      backend,
      backendNote: note,
      manifest,
      manifestSha256: engine.loaded.sha256,
      fromCache: !downloaded,
      storage: store ? 'store' : 'memory',
      bytes: Object.values(manifest.files).reduce((a, f) => a + f.bytes, 0),
      ms: performance.now() - t0,
      threads: engine.threads,
      vocabulary: engine.loaded.tokenizer.vocabulary(),
    });
  } catch (e) {
    const c = classifyError(e);
    // Whatever stops a load (a bad pack, a runtime that cannot build a session) reads as a model problem.
    post({ type: 'error', id: m.id, code: c.code === 'internal' || c.code === 'runtime' ? 'pack' : c.code, message: c.message });
  }
}

/** The pack store (packStore.ts, OPFS), opened once: the built-in pack's copy and the packs "Add model" keeps (null where the browser has none). */
let packStore: Promise<PackStore | null> | null = null;
function openStore(): Promise<PackStore | null> {
  return (packStore ??= openPackStore().catch(() => null));
}

async function packsReply(id: number, extra: { added?: KeptPack; already?: boolean } = {}) {
  const store = await openStore();
  const packs = store ? await store.list() : [];
  const storage = store ? await store.usage() : null;
  post({ type: 'packs', id, packs, storage: storage && { usage: storage.usage, quota: storage.quota }, ...extra });
}

/** "Add model": check the pack with real sessions (on the backend in use), then keep it. */
async function addPackMessage(m: AddPackMessage) {
  try {
    const backend: ActiveBackend = engine?.backend ?? (await resolveBackend(m.backend)).backend;
    const { ort, wasmPaths } = await importOrt(backend);
    const runtime = createWebRuntime(ort, { backend, numThreads: threadCount(), wasmPaths });
    const store = await openStore();
    const keeper: PackKeeper = store ?? {
      list: async () => [],
      put: () => Promise.reject(new DefectStudioError('storage', 'This browser cannot keep models (it has no origin-private file system).')),
    };
    const r = await addPack(m.origin, runtime, keeper, (p) => post({ type: 'add-progress', id: m.id, ...p }), m.reservedIds);
    await packsReply(m.id, { added: r.pack, already: r.already });
  } catch (e) {
    const c = classifyError(e);
    post({ type: 'error', id: m.id, code: c.code === 'internal' || c.code === 'runtime' ? 'pack' : c.code, message: c.message });
  }
}

async function packsMessage(m: PacksMessage) {
  try {
    if (m.delete) await (await openStore())?.delete(m.delete);
    await packsReply(m.id);
  } catch (e) {
    const c = classifyError(e);
    post({ type: 'error', id: m.id, code: c.code, message: c.message });
  }
}

/** The GPU device went away: rebuild the sessions on WASM and tell the page. */
function onDeviceLost(reason: string) {
  current?.abort.abort(new DefectStudioError('device-lost', `GPU device lost: ${reason}`));
  queue = queue.then(async () => {
    if (!engine) return;
    try {
      const source = engine.source;
      await engine.release().catch(() => undefined);
      engine = await createEngine(source, 'wasm', onDeviceLost);
      post({ type: 'backend-changed', backend: 'wasm', reason: `The GPU device was lost (${reason}); switched to WASM.` });
    } catch (e) {
      engine = null;
      post({ type: 'backend-changed', backend: 'wasm', reason: `The GPU device was lost and WASM failed too: ${(e as Error).message}` });
    }
  });
}

async function generate(m: GenerateMessage) {
  const t0 = performance.now();
  if (!engine) {
    post({ type: 'error', id: m.id, code: 'pack', message: lastLoad ? 'The model is not loaded.' : 'No model loaded yet.' });
    return;
  }
  const problem = validateSettings(m.settings);
  if (problem) {
    post({ type: 'error', id: m.id, code: 'settings', message: problem });
    return;
  }
  const image: RGBAImage = { width: m.image.width, height: m.image.height, data: new Uint8ClampedArray(m.image.data) };
  const trimap: Trimap = { width: m.trimap.width, height: m.trimap.height, data: new Uint8Array(m.trimap.data) };
  if (image.data.length !== image.width * image.height * 4 || trimap.width !== image.width || trimap.height !== image.height) {
    post({ type: 'error', id: m.id, code: 'input', message: 'The trimap does not match the image size.' });
    return;
  }
  const box = defectBounds(trimap);
  if (!box) {
    post({ type: 'error', id: m.id, code: 'input', message: 'Paint a defect region (class "Defect") first.' });
    return;
  }
  const region = regionOf(box);
  const abort = new AbortController();
  const run: { id: number; abort: AbortController; stepsDone: number; stepsAtCancel?: number } = { id: m.id, abort, stepsDone: 0 };
  current = run;
  const manifest = engine.loaded.manifest;
  const eng = engine;
  try {
    post({ type: 'stage', id: m.id, stage: 'prepare' });
    const request = { ...m.settings, image, trimap };
    const result = await eng.generate(
      request,
      {
        signal: abort.signal,
        onStep: (ev) => {
          run.stepsDone = ev.step + 1;
          if (abort.signal.aborted) return;
          // One cheap preview per step: x0-hat through the pack's preview matrix, inside the defect only.
          const preview = previewFromLatent({
            x0Hat: ev.x0Hat,
            latentShape: ev.latentShape,
            matrix: manifest.previewMatrix,
            bias: manifest.previewBias,
            crop: ev.crop,
            trimap,
            region,
          });
          const buf = preview.data.buffer as ArrayBuffer;
          post(
            {
              type: 'step',
              id: m.id,
              step: ev.step,
              totalSteps: ev.totalSteps,
              stage: ev.stage,
              timestep: ev.timestep,
              crop: ev.crop,
              preview: { x: preview.x, y: preview.y, width: preview.width, height: preview.height, data: buf, decoded: false },
              elapsedMs: performance.now() - t0,
            },
            [buf],
          );
          // Optionally a full VAE decode every N steps. The pipeline awaits onStep, so this decode never
          // overlaps the pipeline's own model runs.
          const every = m.decodePreviewEvery;
          if (every > 0 && eng.decodePreview && (ev.step + 1) % every === 0 && ev.step + 1 < ev.totalSteps) {
            return eng
              .decodePreview(ev.x0Hat, ev.latentShape)
              .then((rgb) => {
                if (abort.signal.aborted) return;
                const p = rgbGridToPatch(rgb.data, rgb.height, rgb.width, ev.crop, trimap, region);
                const b = p.data.buffer as ArrayBuffer;
                post({ type: 'decoded-preview', id: m.id, step: ev.step, preview: { x: p.x, y: p.y, width: p.width, height: p.height, data: b } }, [b]);
              })
              .catch(() => undefined);
          }
          return undefined;
        },
        onStage: (stage) => post({ type: 'stage', id: m.id, stage }),
      },
    );
    if (abort.signal.aborted) throw abortReason(abort.signal);
    // The promise of the method: outside the defect, the input's pixels, bit for bit. Check it, never patch it.
    const out = result.image.data;
    let changedOutside = 0;
    for (let i = 0, p = 0; i < trimap.data.length; i++, p += 4) {
      if (trimap.data[i] !== DEFECT && (out[p] !== image.data[p] || out[p + 1] !== image.data[p + 1] || out[p + 2] !== image.data[p + 2] || out[p + 3] !== image.data[p + 3]))
        changedOutside++;
    }
    if (changedOutside) throw new Error(`the pipeline changed ${changedOutside} pixels outside the defect region`);
    const imgBuf = out.buffer as ArrayBuffer;
    const maskBuf = result.mask.buffer as ArrayBuffer;
    const patch = resultPatch(result.image, trimap, region);
    const patchBuf = patch.data.buffer as ArrayBuffer;
    const THUMB = 96;
    const thumbBuf = cropThumbnail(result.image, result.crop, THUMB).buffer as ArrayBuffer;
    post(
      {
        type: 'done',
        id: m.id,
        image: { width: result.image.width, height: result.image.height, data: imgBuf },
        mask: maskBuf,
        crop: result.crop,
        timings: { ...result.timings, workerTotal: performance.now() - t0 },
        adaptation: result.adaptation,
        backend: eng.backend,
        patch: { x: patch.x, y: patch.y, width: patch.width, height: patch.height, data: patchBuf },
        thumbnail: { width: THUMB, height: THUMB, data: thumbBuf },
      },
      [imgBuf, maskBuf, patchBuf, thumbBuf],
    );
  } catch (e) {
    if (abort.signal.aborted) {
      const reason = abort.signal.reason;
      if (errorCode(reason) === 'device-lost') {
        post({ type: 'error', id: m.id, code: 'device-lost', message: `${(reason as Error).message}. Switched to WASM; press Generate again.` });
      } else post({ type: 'cancelled', id: m.id, stepsAtCancel: run.stepsAtCancel, stepsDone: run.stepsDone });
    } else {
      const c = classifyError(e);
      post({ type: 'error', id: m.id, code: c.code, message: c.message });
    }
  } finally {
    if (current?.id === m.id) current = null;
  }
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  switch (m.type) {
    case 'cancel':
      if (current?.id === m.id) {
        current.stepsAtCancel ??= current.stepsDone;
        current.abort.abort();
      }
      else cancelledBeforeStart.add(m.id);
      return;
    case 'load':
      queue = queue.then(() => load(m));
      return;
    case 'add-pack':
      queue = queue.then(() => addPackMessage(m));
      return;
    case 'packs':
      void packsMessage(m);
      return;
    case 'simulate-device-lost':
      if (engine?.backend === 'webgpu') onDeviceLost('simulated by a test');
      return;
    case 'generate':
      queue = queue.then(() => {
        if (cancelledBeforeStart.delete(m.id)) {
          post({ type: 'cancelled', id: m.id });
          return;
        }
        return generate(m);
      });
      return;
  }
};

const cancelledBeforeStart = new Set<number>();
