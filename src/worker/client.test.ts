import { describe, expect, it } from 'vitest';
import { CancelledError, GenerationClient, WorkerError } from './client';
import type { FromWorker, GenerateSettings, ToWorker } from './protocol';

/** A stand-in Worker: records what the page sends and lets the test answer. */
class FakeWorker {
  sent: { msg: ToWorker; transfer: Transferable[] }[] = [];
  terminated = false;
  onmessage: ((e: MessageEvent<FromWorker>) => void) | null = null;
  onerror: ((e: ErrorEvent) => void) | null = null;
  onmessageerror: (() => void) | null = null;
  postMessage(msg: ToWorker, transfer: Transferable[] = []) {
    this.sent.push({ msg, transfer });
  }
  terminate() {
    this.terminated = true;
  }
  reply(m: FromWorker) {
    this.onmessage?.({ data: m } as MessageEvent<FromWorker>);
  }
}

const settings: GenerateSettings = {
  prompt: 'a scratch',
  negativePrompt: '',
  seed: 1,
  scheduler: 'ddim',
  eta: 0,
  steps: 2,
  guidance: 1,
  stages: { latentEditStart: 0.5, pixelEditStart: 0.9 },
  dilationPx: 8,
  contextMargin: 8,
  seamPx: 0,
  seamSpareStrokes: false,
  adaptation: { enabled: false, backgroundWeight: 100, mu: 0, maxSamples: 1 },
};

function setup() {
  const workers: FakeWorker[] = [];
  const restarts: string[] = [];
  const client = new GenerationClient(
    () => {
      const w = new FakeWorker();
      workers.push(w);
      return w as unknown as Worker;
    },
    { onRestart: (r) => restarts.push(r) },
  );
  return { client, workers, restarts };
}

describe('GenerationClient', () => {
  it('transfers copies of the pixels, streams steps and resolves on done', async () => {
    const { client, workers } = setup();
    const image = { width: 2, height: 1, data: new Uint8ClampedArray([1, 2, 3, 4, 5, 6, 7, 8]) };
    const trimap = { width: 2, height: 1, data: new Uint8Array([2, 1]) };
    const steps: number[] = [];
    const { id, done } = client.generate(image, trimap, settings, { onStep: (m) => steps.push(m.step) });
    const sent = workers[0].sent[0];
    expect(sent.msg.type).toBe('generate');
    expect(sent.transfer).toHaveLength(2);
    expect(image.data[0]).toBe(1); // the caller's buffers are not detached
    const w = workers[0];
    w.reply({ type: 'step', id, step: 0, totalSteps: 2, stage: 'free', timestep: 999, crop: { x: 0, y: 0, size: 2 }, preview: null, elapsedMs: 1 });
    w.reply({ type: 'step', id: id + 100, step: 5, totalSteps: 2, stage: 'free', timestep: 1, crop: { x: 0, y: 0, size: 2 }, preview: null, elapsedMs: 1 });
    const patch = { x: 0, y: 0, width: 1, height: 1, data: new ArrayBuffer(4) };
    w.reply({
      type: 'done', id, image: { width: 2, height: 1, data: new ArrayBuffer(8) }, mask: new ArrayBuffer(2), crop: { x: 0, y: 0, size: 2 },
      timings: {}, backend: 'wasm', patch, thumbnail: { width: 1, height: 1, data: new ArrayBuffer(4) },
    });
    await expect(done).resolves.toMatchObject({ type: 'done', id });
    expect(steps).toEqual([0]);
  });

  it('maps cancelled and error replies to typed rejections', async () => {
    const { client, workers } = setup();
    const a = client.generate({ width: 1, height: 1, data: new Uint8ClampedArray(4) }, { width: 1, height: 1, data: new Uint8Array(1) }, settings);
    client.cancel(a.id);
    expect(workers[0].sent.at(-1)!.msg).toEqual({ type: 'cancel', id: a.id });
    workers[0].reply({ type: 'cancelled', id: a.id, stepsAtCancel: 3, stepsDone: 4 });
    await expect(a.done).rejects.toBeInstanceOf(CancelledError);
    const b = client.load('http://x/pack/', 'auto');
    workers[0].reply({ type: 'error', id: 2, code: 'pack', message: 'unet/model.onnx: sha256 mismatch' });
    await expect(b).rejects.toMatchObject({ code: 'pack' });
    await expect(b).rejects.toBeInstanceOf(WorkerError);
  });

  it('restarts a crashed worker and fails what was pending', async () => {
    const { client, workers, restarts } = setup();
    const run = client.generate({ width: 1, height: 1, data: new Uint8ClampedArray(4) }, { width: 1, height: 1, data: new Uint8Array(1) }, settings);
    workers[0].onerror?.({ message: 'boom', preventDefault() {} } as unknown as ErrorEvent);
    await expect(run.done).rejects.toThrow(/crashed: boom.*restarted/);
    expect(workers[0].terminated).toBe(true);
    expect(workers).toHaveLength(2);
    expect(restarts).toHaveLength(1);
    const again = client.load('http://x/pack/', 'wasm');
    expect(workers[1].sent[0].msg.type).toBe('load');
    client.dispose();
    await expect(again).rejects.toThrow();
  });
});
