// The generation controller's state machine (issue 11): load -> run -> progress -> done, Stop, errors by
// code, a second Generate while running, and nothing of the user's work lost on a failure.
//
// Everything here is the real thing (the headless Editor, the app's zustand stores, the message channel,
// the settings validation, the pack manifest parser, the client's error classes) except the transport: a
// Worker does not exist in Node, so `MemoryTransport` plays the worker's side of the protocol in memory,
// driven step by step by each test. No inference is faked: the controller never sees any.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Editor } from '../../editor/Editor';
import { DEFECT, type RGBAImage, type Trimap } from '../../core/image';
import { parseManifest } from '../../core/models/manifest';
import { ERROR_CODES, type ErrorCode } from '../../core/errors';
import { CancelledError, WorkerError, type ClientEvents } from '../../worker/client';
import type { BackendSetting, DoneMessage, LoadedMessage, StepMessage } from '../../worker/protocol';
import { GenerationController, type GenerationTransport, type OverlayPort } from './controller';
import type { ResultBuffers } from './buffers';
import * as stores from './stores';
import { ERROR_TITLES, useMessages } from '../messages';

/** Every store as a fresh page has it (restored before each page). */
const initial = {
  settings: stores.useSettings.getState(),
  model: stores.useModel.getState(),
  run: stores.useRun.getState(),
  results: stores.useResults.getState(),
  messages: useMessages.getState(),
};

const manifest = parseManifest(readFileSync('tests/fixtures/packs/tiny-sd/defect-studio.json', 'utf8'));

interface Run {
  id: number;
  settings: Parameters<GenerationTransport['generate']>[2];
  opts: Parameters<GenerationTransport['generate']>[3];
  stepsDone: number;
  resolve(m: DoneMessage): void;
  reject(e: Error): void;
}

/** The worker's side of the protocol, in memory: loads answer at once (or with `loadError`); runs wait for the test. */
class MemoryTransport implements GenerationTransport {
  loads: { packUrl: string; backend: BackendSetting }[] = [];
  runs: Run[] = [];
  cancelled: number[] = [];
  loadError: Error | null = null;
  disposed = false;
  private nextId = 1;
  constructor(readonly events: ClientEvents) {}

  load(packUrl: string, backend: BackendSetting): Promise<LoadedMessage> {
    this.loads.push({ packUrl, backend });
    const id = this.nextId++;
    if (this.loadError) return Promise.reject(this.loadError);
    return Promise.resolve({ type: 'loaded', id, backend: 'wasm', manifest, manifestSha256: 'ab'.repeat(32), fromCache: false, bytes: 1234, ms: 5, threads: 1, vocabulary: { words: ['a', 'scratch'], split: '[^a-z]+', lowercase: true } });
  }

  generate(_image: RGBAImage, _trimap: Trimap, settings: Run['settings'], opts: Run['opts']) {
    const id = this.nextId++;
    let run!: Run;
    const done = new Promise<DoneMessage>((resolve, reject) => (run = { id, settings, opts, stepsDone: 0, resolve, reject }));
    this.runs.push(run);
    return { id, done };
  }

  /** The worker finished a step of `run` (with a preview patch). */
  step(run: Run): void {
    const m: StepMessage = {
      type: 'step',
      id: run.id,
      step: run.stepsDone,
      totalSteps: run.settings.steps,
      stage: 'free',
      timestep: 999 - run.stepsDone,
      crop: { x: 0, y: 0, size: 16 },
      preview: { x: 2, y: 2, width: 4, height: 4, data: new ArrayBuffer(64), decoded: false },
      elapsedMs: run.stepsDone,
    };
    run.stepsDone++;
    run.opts.onStep?.(m);
  }

  /** The worker finished `run`: a 16x16 result whose pixels are the seed's low byte. */
  finish(run: Run): void {
    const image = new Uint8ClampedArray(16 * 16 * 4).fill(run.settings.seed & 255);
    run.resolve({
      type: 'done',
      id: run.id,
      image: { width: 16, height: 16, data: image.buffer },
      mask: new Uint8Array(256).fill(255).buffer,
      crop: { x: 0, y: 0, size: 16 },
      timings: { totalMs: 1 },
      backend: 'wasm',
      patch: { x: 0, y: 0, width: 16, height: 16, data: new ArrayBuffer(16 * 16 * 4) },
      thumbnail: { width: 4, height: 4, data: new ArrayBuffer(64) },
    });
  }

  cancel(id: number): void {
    this.cancelled.push(id);
    const run = this.runs.find((r) => r.id === id)!;
    run.reject(new CancelledError(run.stepsDone, run.stepsDone + 1));
  }
  dispose(): void {
    this.disposed = true;
  }
  crash(reason: string): void {
    for (const r of this.runs) r.reject(new WorkerError('internal', `${reason}. It was restarted; your painting is untouched.`));
    this.events.onRestart?.(reason);
  }
  simulateDeviceLost(): void {}
}

/** What the canvas overlay was asked to do (the real one draws on DOM canvases, absent in Node). */
class OverlayLog implements OverlayPort {
  previews = 0;
  patches: number[] = [];
  shown: (number | null)[] = [];
  clears = 0;
  showPreview() {
    this.previews++;
  }
  showResult(id: number | null) {
    this.shown.push(id);
  }
  addResultPatch(id: number) {
    this.patches.push(id);
  }
  clear() {
    this.clears++;
  }
}

/** Waits for the controller to reach a state (microtasks and the loaded promise chain), never on time. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 0));
  expect(cond()).toBe(true);
}

/** A fresh page: fresh store modules and one controller over a memory transport, an editor with a painted defect. */
async function page(opts: { paint?: boolean } = {}) {
  stores.useSettings.setState(initial.settings, true);
  stores.useModel.setState(initial.model, true);
  stores.useRun.setState(initial.run, true);
  stores.useResults.setState(initial.results, true);
  useMessages.setState(initial.messages, true);
  const editor = new Editor();
  const image: RGBAImage = { width: 16, height: 16, data: new Uint8ClampedArray(16 * 16 * 4).fill(90) };
  editor.loadImage(image, 'plate.png');
  if (opts.paint !== false) {
    editor.setClass(DEFECT);
    editor.pointerDown({ x: 4, y: 8, button: 0 });
    editor.pointerMove({ x: 12, y: 8 });
    editor.pointerUp({ x: 12, y: 8 });
  }
  const transports: MemoryTransport[] = [];
  const overlay = new OverlayLog();
  const results = new Map<number, ResultBuffers>();
  const downloads: { name: string; bytes: Uint8Array }[] = [];
  const controller = new GenerationController({
    editor,
    transport: (events) => {
      const t = new MemoryTransport(events);
      transports.push(t);
      return t;
    },
    stores: { settings: stores.useSettings, model: stores.useModel, run: stores.useRun, results: stores.useResults, messages: useMessages },
    overlay,
    results,
    thumbnails: new Map(),
    choosePack: () => ({ url: 'https://example.test/packs/tiny-sd/' }),
    download: (bytes, name) => downloads.push({ name, bytes }),
    appVersion: '0.0.0-test',
    randomSeed: () => 4242,
  });
  stores.useSettings.getState().set({ steps: 3, prompt: 'a scratch', backend: 'wasm' });
  const transport = () => transports[transports.length - 1];
  const messages = () => useMessages.getState().messages.map((m) => ({ kind: m.kind, source: m.source, title: m.title, text: m.text }));
  return { editor, stores, controller, transports, transport, overlay, results, downloads, messages, useMessages };
}

describe('GenerationController', () => {
  it('run -> progress -> done: steps reach the progress store, the result lands selected', async () => {
    const p = await page();
    const run = p.controller.generate();
    expect(p.stores.useRun.getState().running).toBe(true);
    await until(() => p.transport()?.runs.length === 1);
    const r = p.transport().runs[0];
    expect(p.transport().loads).toEqual([{ packUrl: 'https://example.test/packs/tiny-sd/', backend: 'wasm' }]);
    expect(p.stores.useModel.getState().status).toBe('ready');
    expect(p.stores.useModel.getState().vocabulary).toEqual({ words: ['a', 'scratch'], split: '[^a-z]+', lowercase: true }); // the pack's vocabulary, for the prompt's unknown-word marker
    expect(r.settings).toMatchObject({ steps: 3, prompt: 'a scratch', seed: 0 });
    p.transport().step(r);
    expect(p.stores.useRun.getState()).toMatchObject({ running: true, step: 1, totalSteps: 3, stage: 'free', previewFrames: 1 });
    p.transport().step(r);
    p.transport().step(r);
    expect(p.stores.useRun.getState()).toMatchObject({ step: 3, totalSteps: 3 });
    p.transport().finish(r);
    await run;
    expect(p.stores.useRun.getState()).toMatchObject({ running: false, step: 3, stage: '' });
    const res = p.stores.useResults.getState();
    expect(res.results.map((x) => ({ id: x.id, seed: x.seed, status: x.status, imageName: x.imageName }))).toEqual([{ id: 1, seed: 0, status: 'new', imageName: 'plate.png' }]);
    expect(res.selectedId).toBe(1);
    expect(p.results.get(1)!.mask.length).toBe(256);
    expect(p.overlay.previews).toBe(3);
    expect(p.overlay.patches).toEqual([1]);
    expect(p.messages()).toEqual([]);
    expect(p.controller.lastRunTimings.stepTimes.length).toBe(3);
    // Export writes the selected result through the download port
    p.controller.exportSelected();
    expect(p.downloads.map((d) => d.name)).toEqual(['plate_defect.png', 'plate_mask.png', 'plate_trimap.png', 'plate_record.json']);
  });

  it('variants: one run per seed, one after the other', async () => {
    const p = await page();
    p.stores.useSettings.getState().set({ variants: 2, seed: 7 });
    const run = p.controller.generate();
    await until(() => p.transport()?.runs.length === 1);
    p.transport().finish(p.transport().runs[0]);
    await until(() => p.transport().runs.length === 2);
    expect(p.stores.useRun.getState().variant).toBe(2);
    p.transport().finish(p.transport().runs[1]);
    await run;
    expect(p.stores.useResults.getState().results.map((r) => r.seed)).toEqual([7, 8]);
  });

  it('Stop during a run cancels it within the step, keeps nothing and starts no further variant', async () => {
    const p = await page();
    p.stores.useSettings.getState().set({ variants: 3 });
    const run = p.controller.generate();
    await until(() => p.transport()?.runs.length === 1);
    const r = p.transport().runs[0];
    p.transport().step(r);
    p.transport().step(r);
    p.controller.stop();
    await run;
    expect(p.transport().cancelled).toEqual([r.id]);
    expect(p.transport().runs.length).toBe(1);
    expect(p.controller.lastCancel).toEqual({ stepsAtCancel: 2, stepsDone: 3 });
    expect(p.stores.useRun.getState().running).toBe(false);
    expect(p.stores.useResults.getState().results).toEqual([]);
    expect(p.results.size).toBe(0);
    expect(p.overlay.clears).toBeGreaterThan(0);
    expect(p.messages()).toEqual([{ kind: 'notice', source: 'generation', title: '', text: 'Stopped; nothing was kept from the unfinished run.' }]);
    // Stop with nothing running does nothing
    p.controller.stop();
    expect(p.transport().cancelled).toEqual([r.id]);
  });

  it('maps a failed run to its message by error code, never by message text', async () => {
    const titles = ERROR_TITLES;
    // Each text names another kind of failure: only the code may decide the title.
    const cases: [ErrorCode, string][] = [
      ['out-of-memory', 'the device was lost'],
      ['device-lost', 'out of memory'],
      ['runtime', 'out of memory: allocation failed'],
      ['internal', 'GPU device lost'],
      ['pack', 'runtime error'],
    ];
    for (const [code, text] of cases) {
      const p = await page();
      const run = p.controller.generate();
      await until(() => p.transport()?.runs.length === 1);
      p.transport().runs[0].reject(new WorkerError(code, text));
      await run;
      expect(p.messages()).toEqual([{ kind: 'error', source: 'generation', title: titles[code], text }]);
      expect(p.stores.useRun.getState().running).toBe(false);
    }
    // While the model loads, a failure is the model not loading, unless it is memory or the device.
    for (const [code, title] of [
      ['pack', 'The model could not be loaded'],
      ['runtime', 'The model could not be loaded'],
      ['out-of-memory', 'Out of memory'],
      ['device-lost', 'The GPU device was lost'],
    ] as const) {
      const p = await page();
      await p.controller.ensureModel();
      p.transport().loadError = new WorkerError(code, 'the model could not be loaded');
      expect(await p.controller.ensureModel(true)).toBe(false);
      expect(p.messages()).toEqual([{ kind: 'error', source: 'generation', title, text: 'the model could not be loaded' }]);
      expect(p.stores.useModel.getState()).toMatchObject({ status: 'error', error: 'the model could not be loaded' });
    }
    // every code has its own words in the one table
    for (const c of ERROR_CODES) expect(titles[c]).toMatch(/\w/);
    expect(new Set(cases.map(([c]) => titles[c])).size).toBe(4); // runtime and internal share "Generation failed"
  });

  it('a second Generate while a run is under way starts nothing', async () => {
    const p = await page();
    const first = p.controller.generate();
    await until(() => p.transport()?.runs.length === 1);
    let secondDone = false;
    await p.controller.generate().then(() => (secondDone = true));
    expect(secondDone).toBe(true);
    expect(p.transport().runs.length).toBe(1);
    expect(p.stores.useRun.getState().running).toBe(true);
    p.transport().finish(p.transport().runs[0]);
    await first;
    expect(p.stores.useResults.getState().results.length).toBe(1);
    // and once it is over, Generate runs again
    const again = p.controller.generate();
    await until(() => p.transport().runs.length === 2);
    p.transport().finish(p.transport().runs[1]);
    await again;
    expect(p.stores.useResults.getState().results.length).toBe(2);
  });

  it("never loses the user's painting, prompt or settings on an error", async () => {
    const p = await page();
    p.stores.useSettings.getState().set({ prompt: 'a deep dent', guidance: 4.5, seed: 99 });
    const trimapBefore = p.editor.getTrimap()!.data.slice();
    const undoBefore = p.editor.history.undoCount;
    const settingsBefore = { ...p.stores.useSettings.getState() };
    // a failed run
    const run = p.controller.generate();
    await until(() => p.transport()?.runs.length === 1);
    p.transport().step(p.transport().runs[0]);
    p.transport().runs[0].reject(new WorkerError('out-of-memory', 'Out of memory: the UNet needs 2 GB'));
    await run;
    // a failed model load
    p.transport().loadError = new WorkerError('pack', 'sha256 differs from the manifest');
    await p.controller.ensureModel(true);
    expect(p.stores.useModel.getState().status).toBe('error');
    expect(p.messages()).toEqual([{ kind: 'error', source: 'generation', title: 'The model could not be loaded', text: 'sha256 differs from the manifest' }]);
    // a worker crash
    p.controller.testHook().crashWorker();
    expect(Buffer.from(p.editor.getTrimap()!.data).equals(Buffer.from(trimapBefore))).toBe(true);
    expect(p.editor.getTrimap()!.data.includes(DEFECT)).toBe(true);
    expect(p.editor.history.undoCount).toBe(undoBefore);
    const s = p.stores.useSettings.getState();
    for (const k of ['prompt', 'guidance', 'seed', 'steps', 'negativePrompt', 'scheduler'] as const) expect(s[k]).toEqual(settingsBefore[k]);
    expect(p.stores.useResults.getState().results).toEqual([]);
  });

  it('input and settings problems are one message each, before any model load', async () => {
    const none = await page({ paint: false });
    await none.controller.generate();
    expect(none.messages()).toEqual([{ kind: 'error', source: 'generation', title: 'Nothing to generate', text: 'Paint a defect region (class "Defect") first.' }]);
    expect(none.transports).toEqual([]);
    const bad = await page();
    bad.stores.useSettings.getState().set({ steps: 0 });
    await bad.controller.generate();
    expect(bad.messages()).toHaveLength(1);
    expect(bad.messages()[0]).toMatchObject({ kind: 'error', title: 'Bad settings' });
    expect(bad.messages()[0].text).toMatch(/^Steps must be/);
    expect(bad.transports).toEqual([]);
    expect(bad.stores.useRun.getState().running).toBe(false);
    // the next good run clears the old message
    bad.stores.useSettings.getState().set({ steps: 2 });
    const run = bad.controller.generate();
    await until(() => bad.transport()?.runs.length === 1);
    expect(bad.messages()).toEqual([]);
    bad.transport().finish(bad.transport().runs[0]);
    await run;
  });

  it('a worker restart reloads the model and says so; a random seed is written back', async () => {
    const p = await page();
    p.stores.useSettings.getState().set({ randomSeed: true });
    const run = p.controller.generate();
    await until(() => p.transport()?.runs.length === 1);
    expect(p.transport().runs[0].settings.seed).toBe(4242);
    expect(p.stores.useSettings.getState().seed).toBe(4242);
    p.controller.testHook().crashWorker();
    await run;
    expect(p.messages().map((m) => [m.kind, m.title])).toEqual([
      ['notice', ''],
      ['error', 'Generation failed'],
    ]);
    expect(p.messages()[0].text).toMatch(/restarted and your painting is untouched/);
    await until(() => p.transport().loads.length === 2);
    await until(() => p.stores.useModel.getState().status === 'ready');
  });

  it('Compare, selection and discard go through the controller', async () => {
    const p = await page();
    p.stores.useSettings.getState().set({ variants: 2 });
    const run = p.controller.generate();
    await until(() => p.transport()?.runs.length === 1);
    p.transport().finish(p.transport().runs[0]);
    await until(() => p.transport().runs.length === 2);
    p.transport().finish(p.transport().runs[1]);
    await run;
    p.controller.setWipe(0.25);
    expect(p.stores.useResults.getState().wipe).toBe(0.25);
    p.controller.showOriginal(true);
    expect(p.stores.useResults.getState().showOriginal).toBe(true);
    p.controller.showOriginal(false);
    p.controller.setResultStatus(2, 'discarded');
    expect(p.stores.useResults.getState().selectedId).toBe(1);
    p.controller.setResultStatus(1, 'accepted');
    p.controller.exportDatasetZip();
    expect(p.downloads.map((d) => d.name)).toEqual(['defect-studio-dataset-plate.zip']);
    // a new image: selection gone, overlay cleared
    p.editor.loadImage({ width: 8, height: 8, data: new Uint8ClampedArray(256) }, 'other.png');
    p.controller.onDocumentChanged();
    expect(p.stores.useResults.getState().selectedId).toBeNull();
  });
});
