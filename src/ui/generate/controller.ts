// Glue between the editor, the generation Worker and the stores. Pixel buffers never enter React state.
//
// `GenerationController` holds every piece of a page's generation state (the worker client, the load in
// flight, the run in flight, the result ids, the timings the tests read); nothing lives at module level.
// The app makes one (`createAppGenerationController` in ./appController.ts) and hands it down through
// React context (./context.ts) and the command table; tests make their own over an in-memory transport.
import type { Editor } from '../../editor/Editor';
import type { ClientEvents } from '../../worker/client';
import { errorCode } from '../../core/errors';
import type { BackendSetting, DoneMessage, LoadedMessage, LoadProgressMessage, StepMessage, DecodedPreviewMessage, StageMessage } from '../../worker/protocol';
import { categoryFromImageName, defectNameFromPrompt, exportDataset as buildDatasetZip, exportSingle, type DatasetItem } from '../../core/export';
import { DEFECT, type RGBAImage, type Trimap } from '../../core/image';
import type { AdaptationReport, CropWindow } from '../../core/diffusion/types';
import { validateSettings } from '../../core/settings';
import { applyPackDefaults, settingsToRequest, type useModel, type useResults, type useRun, type useSettings } from './stores';
import type { ResultBuffers } from './buffers';
import { ERROR_TITLES, type useMessages } from '../messages';
import type { GenerationHook } from '../testHook';

/** What the controller needs of the worker client (`GenerationClient` implements it). */
export interface GenerationTransport {
  /** `kept`: load the pack kept in the browser under this id ("Add model") instead of `packUrl`. */
  load(packUrl: string, backend: BackendSetting, onProgress?: (m: LoadProgressMessage) => void, noCache?: boolean, kept?: string): Promise<LoadedMessage>;
  generate(
    image: RGBAImage,
    trimap: Trimap,
    settings: ReturnType<typeof settingsToRequest>,
    opts: { decodePreviewEvery?: number; onStep?: (m: StepMessage) => void; onStage?: (m: StageMessage) => void; onDecoded?: (m: DecodedPreviewMessage) => void },
  ): { id: number; done: Promise<DoneMessage> };
  cancel(id: number): void;
  dispose(): void;
  crash(reason: string): void;
  simulateDeviceLost(): void;
}

/** Makes a transport; `events` report a worker restart and a backend change. */
export type TransportFactory = (events: ClientEvents) => GenerationTransport;

/** The canvas overlay the controller draws previews and results on (`overlay` of ./buffers.ts). */
export interface OverlayPort {
  showPreview(p: { x: number; y: number; width: number; height: number; data: ArrayBuffer }, draw?: boolean, decoded?: boolean): void;
  showResult(id: number | null): void;
  addResultPatch(id: number, patch: { x: number; y: number; width: number; height: number; data: ArrayBuffer }): void;
  clear(): void;
}

export interface GenerationControllerDeps {
  editor: Pick<Editor, 'getImage' | 'getTrimap' | 'getImageName' | 'imageRevision'>;
  transport: TransportFactory;
  stores: { settings: typeof useSettings; model: typeof useModel; run: typeof useRun; results: typeof useResults; messages: typeof useMessages };
  overlay: OverlayPort;
  results: Map<number, ResultBuffers>;
  thumbnails: Map<number, { width: number; height: number; data: Uint8ClampedArray }>;
  /**
   * Which pack to load now: a URL, or `kept`, the id of a pack kept in the browser ("Add model"); and why
   * it is not the one asked for (a notice), if so.
   */
  choosePack(): { url: string; notice?: string; kept?: string };
  download(bytes: Uint8Array, name: string, mime: string): void;
  appVersion: string;
  /** The seed of a "Random" run. */
  randomSeed?(): number;
  /** Persists the backend choice (localStorage in the app). */
  saveBackend?(b: BackendSetting): void;
}

type RequestSettings = ReturnType<typeof settingsToRequest>;

export class GenerationController {
  private client: GenerationTransport | null = null;
  private clientBackend: BackendSetting | null = null;
  private loading: Promise<boolean> | null = null;
  private currentRunId: number | null = null;
  private stopRequested = false;
  private nextResultId = 1;

  /** What the worker reported on the last Stop (tests: it stops within one step). */
  readonly lastCancel = { stepsAtCancel: -1, stepsDone: -1 };
  /** Timings of the last run for the benchmark (page-side clock). */
  readonly lastRunTimings = { clickAt: 0, firstPreviewAt: 0, stepTimes: [] as number[], doneAt: 0 };

  constructor(private readonly deps: GenerationControllerDeps) {}

  private get s() {
    return this.deps.stores;
  }

  private notice(text: string): void {
    this.s.messages.getState().notice(text, 'generation');
  }

  private getClient(backend: BackendSetting): GenerationTransport {
    if (this.client && this.clientBackend === backend) return this.client;
    this.client?.dispose();
    this.clientBackend = backend;
    this.client = this.deps.transport({
      onRestart: (reason) => {
        this.s.model.setState({ status: 'idle', backend: null });
        this.notice(`${reason[0].toUpperCase()}${reason.slice(1)}; it was restarted and your painting is untouched.`);
        this.loading = null;
        void this.ensureModel();
      },
      onBackendChanged: (b, reason) => {
        this.s.model.setState({ backend: b, backendNote: reason });
        this.notice(reason);
      },
    });
    return this.client;
  }

  /** Load the pack (once); resolves true when ready. */
  ensureModel(force = false): Promise<boolean> {
    const { model, settings, messages } = this.s;
    if (!force && model.getState().status === 'ready' && this.clientBackend === settings.getState().backend) return Promise.resolve(true);
    if (!force && this.loading) return this.loading;
    const backend = settings.getState().backend;
    const c = this.getClient(backend);
    const { url: packUrl, notice, kept } = this.deps.choosePack();
    if (notice) this.notice(notice);
    model.setState({ status: 'loading', packUrl, keptId: kept ?? '', progress: null, error: '' });
    // A load that a newer one replaced (the worker restarted, the backend changed) reports nothing: whoever
    // waits on it gets the newer load's outcome.
    const superseded = () => this.loading !== null && this.loading !== p;
    const p: Promise<boolean> = c
      .load(packUrl, backend, (m) => !superseded() && model.setState({ progress: m.progress }), false, kept)
      .then((m) => {
        if (superseded()) return this.loading!;
        model.setState({
          status: 'ready',
          backend: m.backend,
          backendNote: m.backendNote ?? '',
          manifest: m.manifest,
          manifestSha256: m.manifestSha256,
          vocabulary: m.vocabulary,
          fromCache: m.fromCache,
          progress: null,
          threads: m.threads,
          loadMs: m.ms,
        });
        applyPackDefaults(m.manifest);
        return true;
      })
      .catch((e: unknown) => {
        if (superseded()) return this.loading!;
        if (c !== this.client) return false;
        model.setState({ status: 'error', error: e instanceof Error ? e.message : String(e) });
        messages.getState().report(e, 'generation', { titled: 'load' });
        return false;
      })
      .finally(() => {
        if (this.loading === p) this.loading = null;
      });
    this.loading = p;
    return p;
  }

  setBackend(b: BackendSetting): void {
    this.s.settings.getState().set({ backend: b });
    this.deps.saveBackend?.(b);
    if (!this.s.run.getState().running) void this.ensureModel(true);
  }

  /** The first problem of the settings on the page (the one validation of src/core/settings), or null. */
  private settingsProblem(): string | null {
    const s = this.s.settings.getState();
    const p = validateSettings(s.randomSeed ? { ...s, seed: 0 } : s)[0];
    return p ? `${p.message}.` : null;
  }

  /** Whether a run is under way. */
  get running(): boolean {
    return this.s.run.getState().running;
  }

  /**
   * Generates the selected number of variants from the photo and trimap on the canvas. A call while a run
   * is under way does nothing. Problems become one message of the channel; the painting and the settings
   * are never changed by a failure.
   */
  async generate(): Promise<void> {
    const { run, settings, results, messages } = this.s;
    if (run.getState().running) return;
    const { editor } = this.deps;
    const image = editor.getImage();
    const trimapLive = editor.getTrimap();
    const fail = (code: 'input' | 'settings', text: string) => {
      messages.getState().clear('generation');
      messages.getState().error(text, 'generation', ERROR_TITLES[code]);
    };
    if (!image || !trimapLive) return fail('input', 'Open an image first.');
    if (!trimapLive.data.includes(DEFECT)) return fail('input', 'Paint a defect region (class "Defect") first.');
    const early = this.settingsProblem();
    if (early) return fail('settings', early);

    const t = this.lastRunTimings;
    t.clickAt = performance.now();
    t.firstPreviewAt = 0;
    t.stepTimes = [];
    this.stopRequested = false;
    const waitingFor = settings.getState();
    messages.getState().clear('generation');
    run.setState({ running: true, step: 0, totalSteps: waitingFor.steps, stage: 'prepare', variant: 1, variants: waitingFor.variants });
    const trimap = { width: trimapLive.width, height: trimapLive.height, data: trimapLive.data.slice() };
    const imageName = editor.getImageName() || 'image.png';
    const sourceKey = this.currentSourceKey();
    try {
      if (!(await this.ensureModel())) return;
      // Read the settings once the pack is loaded: its defaults fill the fields the user has not set.
      const problem = this.settingsProblem();
      if (problem) return fail('settings', problem);
      const s = settings.getState();
      const baseSeed = s.randomSeed ? (this.deps.randomSeed ?? cryptoSeed)() : s.seed;
      if (s.randomSeed) s.set({ seed: baseSeed });
      run.setState({ totalSteps: s.steps, variants: s.variants });
      for (let v = 0; v < s.variants && !this.stopRequested; v++) {
        const seed = (baseSeed + v) >>> 0;
        const request = settingsToRequest(s, seed);
        run.setState({ variant: v + 1, step: 0, stage: 'prepare' });
        const res = await this.runOne(image, trimap, request, s.backend, s.previewEvery);
        if (!res) break;
        const t0 = performance.now();
        this.addResult(res, { image, trimap, imageName, sourceKey, seed, settings: request });
        performance.measure?.('ds:result', { start: t0, end: performance.now() });
        run.setState({ stage: '', step: run.getState().totalSteps });
      }
    } finally {
      this.currentRunId = null;
      run.setState({ running: false });
      if (!results.getState().results.length) this.deps.overlay.clear();
    }
  }

  /** One variant on the worker; null when it was stopped or failed (the message is posted). */
  private async runOne(image: RGBAImage, trimap: Trimap, request: RequestSettings, backend: BackendSetting, previewEvery: number): Promise<DoneMessage | null> {
    const { run, results, messages } = this.s;
    const { overlay } = this.deps;
    const t = this.lastRunTimings;
    let lastStepAt = performance.now();
    let decodedShown = false;
    const c = this.getClient(backend);
    const { id, done } = c.generate(image, trimap, request, {
      decodePreviewEvery: previewEvery,
      onStep: (m: StepMessage) => {
        const now = performance.now();
        if (!t.firstPreviewAt) t.firstPreviewAt = now;
        t.stepTimes.push(now - lastStepAt);
        lastStepAt = now;
        // Once a full-decode preview arrived, keep it until the next one (it is the better picture).
        if (m.preview && this.currentRunId === id) overlay.showPreview(m.preview, !decodedShown);
        run.setState((r) => ({ step: m.step + 1, totalSteps: m.totalSteps, stage: m.stage, previewFrames: r.previewFrames + (m.preview ? 1 : 0) }));
        // The page's own work per step (preview blit + progress render), for the benchmark.
        performance.measure?.('ds:step', { start: now, end: performance.now() });
      },
      onStage: (m) => run.setState({ stage: m.stage }),
      onDecoded: (m) => {
        if (this.currentRunId !== id) return;
        decodedShown = true;
        overlay.showPreview(m.preview, true, true);
      },
    });
    this.currentRunId = id;
    try {
      const res = await done;
      t.doneAt = performance.now();
      return res;
    } catch (e) {
      overlay.showResult(results.getState().selectedId);
      if (errorCode(e) === 'aborted') {
        const steps = e as { stepsAtCancel?: number; stepsDone?: number };
        this.lastCancel.stepsAtCancel = steps.stepsAtCancel ?? -1;
        this.lastCancel.stepsDone = steps.stepsDone ?? -1;
        this.notice('Stopped; nothing was kept from the unfinished run.');
      } else {
        messages.getState().report(e, 'generation', { titled: 'run' });
      }
      return null;
    }
  }

  private addResult(res: DoneMessage, ctx: { image: RGBAImage; trimap: Trimap; imageName: string; sourceKey: string; seed: number; settings: RequestSettings }) {
    const id = this.nextResultId++;
    this.deps.results.set(id, {
      image: { width: res.image.width, height: res.image.height, data: new Uint8ClampedArray(res.image.data) },
      mask: new Uint8Array(res.mask),
      trimap: ctx.trimap,
      original: ctx.image,
      crop: res.crop,
      adaptation: res.adaptation,
    });
    this.deps.thumbnails.set(id, { width: res.thumbnail.width, height: res.thumbnail.height, data: new Uint8ClampedArray(res.thumbnail.data) });
    this.deps.overlay.addResultPatch(id, res.patch);
    this.s.results.setState((st) => ({
      results: [
        ...st.results,
        { id, seed: ctx.seed, settings: ctx.settings, imageName: ctx.imageName, sourceKey: ctx.sourceKey, status: 'new', backend: res.backend, timings: res.timings },
      ],
      selectedId: id,
      wipe: 1,
    }));
    this.deps.overlay.showResult(id);
  }

  /** Stops the run under way (within one step); nothing of it is kept. */
  stop(): void {
    this.stopRequested = true;
    if (this.currentRunId !== null) this.client?.cancel(this.currentRunId);
  }

  selectResult(id: number | null): void {
    this.s.results.setState({ selectedId: id, wipe: 1 });
    this.deps.overlay.showResult(id);
  }

  setResultStatus(id: number, status: 'accepted' | 'discarded'): void {
    const { results } = this.s;
    results.setState((st) => ({ results: st.results.map((r) => (r.id === id ? { ...r, status } : r)) }));
    if (status === 'discarded') {
      const key = this.currentSourceKey();
      const next = results.getState().results.find((r) => r.status !== 'discarded' && r.sourceKey === key);
      this.selectResult(next ? next.id : null);
    }
  }

  /** Compare: how much of the selected result is shown over the original (1 = all of it). */
  setWipe(wipe: number): void {
    this.s.results.setState({ wipe: Math.min(1, Math.max(0, wipe)) });
  }

  /** Shows the original photo instead of the selected result while `on` (a held key). */
  showOriginal(on: boolean): void {
    const r = this.s.results.getState();
    if (on && r.selectedId === null) return;
    if (r.showOriginal !== on) this.s.results.setState({ showOriginal: on });
  }

  /** The key of the document on the canvas: results are shown only over the photo they were made from. */
  currentSourceKey(): string {
    const { editor } = this.deps;
    return `${editor.getImageName() || 'image.png'}#${editor.imageRevision}`;
  }

  /** A new image (or none): stop a run, hide the overlay, select nothing; accepted results stay for the dataset. */
  onDocumentChanged(): void {
    if (this.s.run.getState().running) this.stop();
    this.s.results.setState({ selectedId: null });
    this.deps.overlay.clear();
  }

  private recordBase(meta: { imageName: string; settings: RequestSettings; backend: string; timings: Record<string, number> }, crop: CropWindow, adaptation?: AdaptationReport) {
    const m = this.s.model.getState();
    return {
      appVersion: this.deps.appVersion,
      sourceName: meta.imageName,
      request: meta.settings,
      model: { id: m.manifest?.id ?? '', name: m.manifest?.name ?? '', sha256: m.manifestSha256 },
      backend: meta.backend,
      crop,
      timings: meta.timings,
      adaptation,
    };
  }

  /** Whether a result is selected (Export has something to write). */
  hasSelection(): boolean {
    const st = this.s.results.getState();
    return st.selectedId !== null && this.deps.results.has(st.selectedId);
  }

  /** Downloads the selected result: image, mask, trimap and record. */
  exportSelected(): void {
    const st = this.s.results.getState();
    const meta = st.results.find((r) => r.id === st.selectedId);
    const buf = meta && this.deps.results.get(meta.id);
    if (!meta || !buf) return;
    const files = exportSingle({ image: buf.image, mask: buf.mask, trimap: buf.trimap, record: this.recordBase(meta, buf.crop, buf.adaptation) });
    for (const f of files) this.deps.download(f.bytes, f.name, f.mime);
  }

  datasetItems(): DatasetItem[] {
    const s = this.s.settings.getState();
    const items: DatasetItem[] = [];
    for (const meta of this.s.results.getState().results) {
      if (meta.status !== 'accepted') continue;
      const buf = this.deps.results.get(meta.id);
      if (!buf) continue;
      items.push({
        category: s.category.trim() || categoryFromImageName(meta.imageName),
        defect: s.defectName.trim() || defectNameFromPrompt(meta.settings.prompt),
        sourceKey: meta.sourceKey,
        original: buf.original,
        image: buf.image,
        mask: buf.mask,
        record: this.recordBase(meta, buf.crop, buf.adaptation),
      });
    }
    return items;
  }

  exportDatasetZip(): void {
    const items = this.datasetItems();
    if (!items.length) {
      this.s.messages.getState().error('Accept at least one result first.', 'generation', 'Nothing to export');
      return;
    }
    const zip = buildDatasetZip(items);
    this.deps.download(zip, `defect-studio-dataset-${items[0].category}.zip`, 'application/zip');
  }

  /** The `generation` part of the test hook (src/ui/testHook.ts). */
  testHook(): GenerationHook {
    return {
      overlay: this.deps.overlay as GenerationHook['overlay'],
      timings: this.lastRunTimings,
      lastCancel: this.lastCancel,
      results: this.deps.results,
      crashWorker: () => this.client?.crash('the generation worker was stopped (test)'),
      simulateDeviceLost: () => this.client?.simulateDeviceLost(),
    };
  }

  dispose(): void {
    this.client?.dispose();
    this.client = null;
  }
}

function cryptoSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}
