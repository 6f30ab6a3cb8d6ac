// Glue between the editor, the generation Worker and the stores. Pixel buffers never enter React state.
import { editor } from '../editorInstance';
import { CancelledError, GenerationClient } from '../../worker/client';
import { errorCode } from '../../core/errors';
import { errorTitle, type BackendSetting, type DoneMessage, type StepMessage } from '../../worker/protocol';
import { categoryFromImageName, defectNameFromPrompt, exportDataset as buildDatasetZip, exportSingle, type DatasetItem } from '../../core/export';
import { DEFECT, type RGBAImage } from '../../core/image';
import { validateSettings } from '../../core/settings';
import { applyPackDefaults, settingsToRequest, useModel, useResults, useRun, useSettings } from './stores';
import { overlay, resultBuffers, thumbnails } from './buffers';
import { downloadBytes } from '../imageIO';
import { registerTestHook } from '../testHook';
import pkg from '../../../package.json';

export const APP_VERSION: string = pkg.version;

/** The built-in pack: public/models/<id>/ (served as static files). `?model=<url>` overrides it. */
export const BUILTIN_MODEL_ID: string = import.meta.env.VITE_BUILTIN_MODEL ?? 'ds-surface-v1';

function builtinPackUrl(): string {
  return new URL(`models/${BUILTIN_MODEL_ID}/`, new URL(import.meta.env.BASE_URL, location.href)).href;
}

export function packUrlFromLocation(): string {
  const param = new URLSearchParams(location.search).get('model');
  const url = new URL(param || builtinPackUrl(), location.href);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.href;
}

/** This page's answer per foreign origin (asked once per page load). */
const originAnswers = new Map<string, boolean>();

/**
 * The pack to load. `?model=` on this origin is used as is. A pack on another site is downloaded and run in
 * this page only after the user agrees (a confirm dialog naming the site; the answer is kept for the page's
 * life); if they decline, or the URL is not http(s), the built-in pack is used and the notice says why.
 */
export function choosePackUrl(): { url: string; notice?: string } {
  const href = packUrlFromLocation();
  const url = new URL(href);
  if (url.origin === location.origin) return { url: href };
  const builtin = builtinPackUrl();
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { url: builtin, notice: `The model address ${url.protocol} is not a web address; using the built-in model.` };
  }
  let ok = originAnswers.get(url.origin);
  if (ok === undefined) {
    ok = window.confirm(
      `Load a model from another site?\n\n${url.href}\n\nIts files are downloaded from ${url.origin} and run in this page. ` +
        'Continue only if you trust that site.',
    );
    originAnswers.set(url.origin, ok);
  }
  return ok ? { url: href } : { url: builtin, notice: `The model from ${url.origin} was not loaded (not confirmed); using the built-in model.` };
}

let client: GenerationClient | null = null;
let clientBackend: BackendSetting | null = null;
let loading: Promise<boolean> | null = null;
let currentRunId: number | null = null;
let stopRequested = false;
let nextResultId = 1;

/** What the worker reported on the last Stop (tests: it stops within one step). */
export const lastCancel = { stepsAtCancel: -1, stepsDone: -1 };

/** Timings of the last run for the benchmark (page-side clock). */
export const lastRunTimings = { clickAt: 0, firstPreviewAt: 0, stepTimes: [] as number[], doneAt: 0 };

function getClient(backend: BackendSetting): GenerationClient {
  if (client && clientBackend === backend) return client;
  client?.dispose();
  clientBackend = backend;
  client = new GenerationClient(undefined, {
    onRestart: (reason) => {
      useModel.setState({ status: 'idle', backend: null });
      useRun.setState({ notice: `${reason[0].toUpperCase()}${reason.slice(1)}; it was restarted and your painting is untouched.` });
      loading = null;
      void ensureModel();
    },
    onBackendChanged: (b, reason) => {
      useModel.setState({ backend: b, backendNote: reason });
      useRun.setState({ notice: reason });
    },
  });
  return client;
}

/** Load the pack (once); resolves true when ready. */
export function ensureModel(force = false): Promise<boolean> {
  const st = useModel.getState();
  if (!force && st.status === 'ready' && clientBackend === useSettings.getState().backend) return Promise.resolve(true);
  if (!force && loading) return loading;
  const backend = useSettings.getState().backend;
  const c = getClient(backend);
  const { url: packUrl, notice } = choosePackUrl();
  if (notice) useRun.setState({ notice });
  useModel.setState({ status: 'loading', packUrl, loaded: 0, total: 0, file: '', error: '' });
  // A load that a newer one replaced (the worker restarted, the backend changed) reports nothing: whoever
  // waits on it gets the newer load's outcome.
  const superseded = () => loading !== null && loading !== p;
  const p: Promise<boolean> = c
    .load(packUrl, backend, (m) => !superseded() && useModel.setState({ loaded: m.loaded, total: m.total, file: m.file, fromCache: m.fromCache }))
    .then((m) => {
      if (superseded()) return loading!;
      useModel.setState({
        status: 'ready',
        backend: m.backend,
        backendNote: m.backendNote ?? '',
        manifest: m.manifest,
        manifestSha256: m.manifestSha256,
        fromCache: m.fromCache,
        loaded: m.bytes,
        total: m.bytes,
        threads: m.threads,
        loadMs: m.ms,
      });
      applyPackDefaults(m.manifest);
      return true;
    })
    .catch((e: Error) => {
      if (superseded()) return loading!;
      if (c !== client) return false;
      useModel.setState({ status: 'error', error: e.message });
      useRun.setState({ error: { title: errorTitle('pack'), message: e.message } });
      return false;
    })
    .finally(() => {
      if (loading === p) loading = null;
    });
  loading = p;
  return p;
}

export function setBackend(b: BackendSetting) {
  useSettings.getState().set({ backend: b });
  try {
    localStorage.setItem('defect-studio.backend', b);
  } catch {
    /* ignore */
  }
  if (!useRun.getState().running) void ensureModel(true);
}

/** The first problem of the settings on the page (the one validation of src/core/settings), or null. */
function settingsProblem(s: ReturnType<typeof useSettings.getState>): string | null {
  const p = validateSettings(s.randomSeed ? { ...s, seed: 0 } : s)[0];
  return p ? `${p.message}.` : null;
}

function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

export async function generate(): Promise<void> {
  if (useRun.getState().running) return;
  const image = editor.getImage();
  const trimapLive = editor.getTrimap();
  const fail = (title: string, message: string) => useRun.setState({ error: { title, message }, notice: '' });
  if (!image || !trimapLive) return fail(errorTitle('input'), 'Open an image first.');
  if (!trimapLive.data.includes(DEFECT)) return fail(errorTitle('input'), 'Paint a defect region (class "Defect") first.');
  const early = settingsProblem(useSettings.getState());
  if (early) return fail(errorTitle('settings'), early);

  lastRunTimings.clickAt = performance.now();
  lastRunTimings.firstPreviewAt = 0;
  lastRunTimings.stepTimes = [];
  stopRequested = false;
  const waitingFor = useSettings.getState();
  useRun.setState({ running: true, error: null, notice: '', step: 0, totalSteps: waitingFor.steps, stage: 'prepare', variant: 1, variants: waitingFor.variants });
  const trimap = { width: trimapLive.width, height: trimapLive.height, data: trimapLive.data.slice() };
  const imageName = editor.getImageName() || 'image.png';
  const sourceKey = currentSourceKey();
  try {
    if (!(await ensureModel())) return;
    // Read the settings once the pack is loaded: its defaults fill the fields the user has not set.
    const s = useSettings.getState();
    const problem = settingsProblem(s);
    if (problem) return fail(errorTitle('settings'), problem);
    const baseSeed = s.randomSeed ? randomSeed() : s.seed;
    if (s.randomSeed) s.set({ seed: baseSeed });
    useRun.setState({ totalSteps: s.steps, variants: s.variants });
    for (let v = 0; v < s.variants && !stopRequested; v++) {
      const seed = (baseSeed + v) >>> 0;
      const settings = settingsToRequest(s, seed);
      useRun.setState({ variant: v + 1, step: 0, stage: 'prepare' });
      const c = getClient(s.backend);
      let lastStepAt = performance.now();
      let decodedShown = false;
      const { id, done } = c.generate(image, trimap, settings, {
        decodePreviewEvery: s.previewEvery,
        onStep: (m: StepMessage) => {
          const now = performance.now();
          if (!lastRunTimings.firstPreviewAt) lastRunTimings.firstPreviewAt = now;
          lastRunTimings.stepTimes.push(now - lastStepAt);
          lastStepAt = now;
          // Once a full-decode preview arrived, keep it until the next one (it is the better picture).
          if (m.preview && currentRunId === id) overlay.showPreview(m.preview, !decodedShown);
          useRun.setState((r) => ({ step: m.step + 1, totalSteps: m.totalSteps, stage: m.stage, previewFrames: r.previewFrames + (m.preview ? 1 : 0) }));
          // The page's own work per step (preview blit + progress render), for the benchmark.
          performance.measure('ds:step', { start: now, end: performance.now() });
        },
        onStage: (m) => useRun.setState({ stage: m.stage }),
        onDecoded: (m) => {
          if (currentRunId !== id) return;
          decodedShown = true;
          overlay.showPreview(m.preview, true, true);
        },
      });
      currentRunId = id;
      let res: DoneMessage;
      try {
        res = await done;
      } catch (e) {
        overlay.showResult(useResults.getState().selectedId);
        if (e instanceof CancelledError) {
          lastCancel.stepsAtCancel = e.stepsAtCancel ?? -1;
          lastCancel.stepsDone = e.stepsDone ?? -1;
          useRun.setState({ notice: 'Stopped; nothing was kept from the unfinished run.' });
          break;
        }
        const code = errorCode(e);
        fail(errorTitle(code), (e as Error).message);
        break;
      }
      lastRunTimings.doneAt = performance.now();
      const t0 = performance.now();
      addResult(res, { image, trimap, imageName, sourceKey, seed, settings });
      performance.measure('ds:result', { start: t0, end: performance.now() });
      useRun.setState({ stage: '', step: res ? useRun.getState().totalSteps : 0 });
    }
  } finally {
    currentRunId = null;
    useRun.setState({ running: false });
    if (!useResults.getState().results.length) overlay.clear();
  }
}

function addResult(
  res: DoneMessage,
  ctx: { image: RGBAImage; trimap: { width: number; height: number; data: Uint8Array }; imageName: string; sourceKey: string; seed: number; settings: ReturnType<typeof settingsToRequest> },
) {
  const id = nextResultId++;
  const buffers = {
    image: { width: res.image.width, height: res.image.height, data: new Uint8ClampedArray(res.image.data) },
    mask: new Uint8Array(res.mask),
    trimap: ctx.trimap,
    original: ctx.image,
    crop: res.crop,
    adaptation: res.adaptation,
  };
  resultBuffers.set(id, buffers);
  thumbnails.set(id, { width: res.thumbnail.width, height: res.thumbnail.height, data: new Uint8ClampedArray(res.thumbnail.data) });
  overlay.addResultPatch(id, res.patch);
  useResults.setState((st) => ({
    results: [
      ...st.results,
      { id, seed: ctx.seed, settings: ctx.settings, imageName: ctx.imageName, sourceKey: ctx.sourceKey, status: 'new', backend: res.backend, timings: res.timings },
    ],
    selectedId: id,
    wipe: 1,
  }));
  overlay.showResult(id);
}

export function stop(): void {
  stopRequested = true;
  if (currentRunId !== null) client?.cancel(currentRunId);
}

export function selectResult(id: number | null) {
  useResults.setState({ selectedId: id, wipe: 1 });
  overlay.showResult(id);
}

export function setResultStatus(id: number, status: 'accepted' | 'discarded') {
  useResults.setState((st) => ({ results: st.results.map((r) => (r.id === id ? { ...r, status } : r)) }));
  if (status === 'discarded') {
    const st = useResults.getState();
    const key = currentSourceKey();
    const next = st.results.find((r) => r.status !== 'discarded' && r.sourceKey === key);
    selectResult(next ? next.id : null);
  }
}

/** The key of the document on the canvas: results are shown only over the photo they were made from. */
export function currentSourceKey(): string {
  return `${editor.getImageName() || 'image.png'}#${editor.imageRevision}`;
}

/** A new image (or none): stop a run, hide the overlay, select nothing; accepted results stay for the dataset. */
export function onDocumentChanged() {
  if (useRun.getState().running) stop();
  useResults.setState({ selectedId: null });
  overlay.clear();
}

function recordBase(meta: { imageName: string; settings: ReturnType<typeof settingsToRequest>; backend: string; timings: Record<string, number> }, crop: { x: number; y: number; size: number }, adaptation?: import('../../core/diffusion/types').AdaptationReport) {
  const m = useModel.getState();
  return {
    appVersion: APP_VERSION,
    sourceName: meta.imageName,
    request: meta.settings,
    model: { id: m.manifest?.id ?? '', name: m.manifest?.name ?? '', sha256: m.manifestSha256 },
    backend: meta.backend,
    crop,
    timings: meta.timings,
    adaptation,
  };
}

export function exportSelected(): void {
  const st = useResults.getState();
  const meta = st.results.find((r) => r.id === st.selectedId);
  const buf = meta && resultBuffers.get(meta.id);
  if (!meta || !buf) return;
  const files = exportSingle({ image: buf.image, mask: buf.mask, trimap: buf.trimap, record: recordBase(meta, buf.crop, buf.adaptation) });
  for (const f of files) downloadBytes(f.bytes, f.name, f.mime);
}

export function datasetItems(): DatasetItem[] {
  const s = useSettings.getState();
  const items: DatasetItem[] = [];
  for (const meta of useResults.getState().results) {
    if (meta.status !== 'accepted') continue;
    const buf = resultBuffers.get(meta.id);
    if (!buf) continue;
    items.push({
      category: s.category.trim() || categoryFromImageName(meta.imageName),
      defect: s.defectName.trim() || defectNameFromPrompt(meta.settings.prompt),
      sourceKey: meta.sourceKey,
      original: buf.original,
      image: buf.image,
      mask: buf.mask,
      record: recordBase(meta, buf.crop, buf.adaptation),
    });
  }
  return items;
}

export function exportDatasetZip(): void {
  const items = datasetItems();
  if (!items.length) {
    useRun.setState({ error: { title: 'Nothing to export', message: 'Accept at least one result first.' } });
    return;
  }
  const zip = buildDatasetZip(items);
  downloadBytes(zip, `defect-studio-dataset-${items[0].category}.zip`, 'application/zip');
}

// Tests and benchmarks read counters here (never pixels through React).
registerTestHook({
  generation: {
    overlay,
    timings: lastRunTimings,
    lastCancel,
    results: resultBuffers,
    crashWorker: () => client?.crash('the generation worker was stopped (test)'),
    simulateDeviceLost: () => client?.simulateDeviceLost(),
  },
});
