/**
 * Running the pack's models inside one generation: every model run checks the abort signal before and
 * after, adds its time to `timings` (per key and in `models`), and turns a runtime failure into a PackError
 * naming the file. Also the event-loop yield that lets a Stop message arrive between model runs.
 */
import { AbortedError } from '../../errors';
import { PackError } from '../../models/errors';
import type { SessionIO } from '../../models/pack';
import type { TensorData } from '../../models/runtime';

export function abortError(): AbortedError {
  return new AbortedError('Generation aborted');
}

export function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortError();
}

/** Let queued macrotasks (e.g. a Worker's Stop message) run; MessageChannel avoids timer clamping. */
export function yieldToEventLoop(): Promise<void> {
  if (typeof MessageChannel !== 'undefined') {
    return new Promise((resolve) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        ch.port1.close();
        resolve();
      };
      ch.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export class ModelRunner {
  /** Milliseconds per key ('text', 'encode', 'unet', 'controlnet', 'vae-decode', ...) and in total ('models'). */
  readonly timings: Record<string, number> = {};
  constructor(readonly signal?: AbortSignal) {}

  async run(key: string, io: SessionIO, feeds: Record<string, TensorData>): Promise<Record<string, TensorData>> {
    checkAbort(this.signal);
    const t0 = performance.now();
    let out: Record<string, TensorData>;
    try {
      out = await io.session.run(feeds);
    } catch (e) {
      throw new PackError('model run failed', { file: io.file, found: (e as Error).message?.split('\n')[0] });
    }
    const ms = performance.now() - t0;
    this.timings[key] = (this.timings[key] ?? 0) + ms;
    this.timings.models = (this.timings.models ?? 0) + ms;
    checkAbort(this.signal);
    return out;
  }
}
