// Page-side handle on the generation Worker: promises over the typed protocol, transfers for buffers,
// and a restart when the worker dies (the user's painting lives on the page and is never touched).
import { DefectStudioError } from '../core/errors';
import type { RGBAImage, Trimap } from '../core/image';
import type {
  BackendSetting,
  DecodedPreviewMessage,
  DoneMessage,
  ErrorCode,
  FromWorker,
  GenerateSettings,
  LoadedMessage,
  LoadProgressMessage,
  AddProgressMessage,
  PacksResultMessage,
  StepMessage,
  StageMessage,
  ToWorker,
} from './protocol';
import type { PackOrigin } from './addPack';

/** An error the worker reported, with the core's stable code. */
export class WorkerError extends DefectStudioError {
  constructor(code: ErrorCode, message: string) {
    super(code, message);
    this.name = 'WorkerError';
  }
}

/** A run that was stopped (code 'aborted'). */
export class CancelledError extends DefectStudioError {
  constructor(
    readonly stepsAtCancel?: number,
    readonly stepsDone?: number,
  ) {
    super('aborted', 'cancelled');
    this.name = 'CancelledError';
  }
}

interface Pending {
  resolve: (m: never) => void;
  reject: (e: Error) => void;
  onProgress?: (m: LoadProgressMessage) => void;
  onStep?: (m: StepMessage) => void;
  onStage?: (m: StageMessage) => void;
  onDecoded?: (m: DecodedPreviewMessage) => void;
  onAddProgress?: (m: AddProgressMessage) => void;
}

export type WorkerFactory = () => Worker;

export const defaultWorkerFactory: WorkerFactory = () =>
  new Worker(new URL('./generate.worker.ts', import.meta.url), { type: 'module', name: 'defect-studio-generate' });

export interface ClientEvents {
  /** The worker died and a fresh one was started; any loaded model must be loaded again. */
  onRestart?: (reason: string) => void;
  onBackendChanged?: (backend: 'webgpu' | 'wasm', reason: string) => void;
}

export class GenerationClient {
  private worker: Worker;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private disposed = false;
  restarts = 0;

  constructor(
    private readonly factory: WorkerFactory = defaultWorkerFactory,
    private readonly events: ClientEvents = {},
  ) {
    this.worker = this.spawn();
  }

  private spawn(): Worker {
    const w = this.factory();
    w.onmessage = (e: MessageEvent<FromWorker>) => this.onMessage(e.data);
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault?.();
      this.crash(`the generation worker crashed${e.message ? `: ${e.message}` : ''}`);
    };
    w.onmessageerror = () => this.crash('the generation worker sent an unreadable message');
    return w;
  }

  /** Kill the worker (crashed or stuck), fail what was pending, start a fresh one. */
  crash(reason: string): void {
    if (this.disposed) return;
    this.worker.terminate();
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(new WorkerError('internal', `${reason}. It was restarted; your painting is untouched.`));
    this.restarts++;
    this.worker = this.spawn();
    this.events.onRestart?.(reason);
  }

  private post(msg: ToWorker, transfer: Transferable[] = []) {
    this.worker.postMessage(msg, transfer);
  }

  private onMessage(m: FromWorker) {
    if (m.type === 'backend-changed') {
      this.events.onBackendChanged?.(m.backend, m.reason);
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    switch (m.type) {
      case 'load-progress':
        p.onProgress?.(m);
        break;
      case 'step':
        p.onStep?.(m);
        break;
      case 'stage':
        p.onStage?.(m);
        break;
      case 'decoded-preview':
        p.onDecoded?.(m);
        break;
      case 'add-progress':
        p.onAddProgress?.(m);
        break;
      case 'loaded':
      case 'done':
      case 'packs':
        this.pending.delete(m.id);
        p.resolve(m as never);
        break;
      case 'cancelled':
        this.pending.delete(m.id);
        p.reject(new CancelledError(m.stepsAtCancel, m.stepsDone));
        break;
      case 'error':
        this.pending.delete(m.id);
        p.reject(new WorkerError(m.code, m.message));
        break;
    }
  }

  load(packUrl: string, backend: BackendSetting, onProgress?: (m: LoadProgressMessage) => void, noCache = false, storedId?: string): Promise<LoadedMessage> {
    const id = this.nextId++;
    return new Promise<LoadedMessage>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as Pending['resolve'], reject, onProgress });
      this.post({ type: 'load', id, packUrl, backend, noCache, storedId });
    });
  }

  /** "Add model": the worker checks the pack, then keeps it; resolves with the kept packs. */
  addPack(origin: PackOrigin, backend: BackendSetting, reservedIds: string[], onAddProgress?: (m: AddProgressMessage) => void): Promise<PacksResultMessage> {
    const id = this.nextId++;
    return new Promise<PacksResultMessage>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as Pending['resolve'], reject, onAddProgress });
      this.post({ type: 'add-pack', id, origin, backend, reservedIds });
    });
  }

  /** The kept packs and the storage estimate, after deleting `del` when given. */
  packs(del?: string): Promise<PacksResultMessage> {
    const id = this.nextId++;
    return new Promise<PacksResultMessage>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as Pending['resolve'], reject });
      this.post({ type: 'packs', id, delete: del });
    });
  }

  /** Start a generation; the image and trimap are copied once and their copies transferred. */
  generate(
    image: RGBAImage,
    trimap: Trimap,
    settings: GenerateSettings,
    opts: {
      decodePreviewEvery?: number;
      onStep?: (m: StepMessage) => void;
      onStage?: (m: StageMessage) => void;
      onDecoded?: (m: DecodedPreviewMessage) => void;
    } = {},
  ): { id: number; done: Promise<DoneMessage> } {
    const id = this.nextId++;
    const img = image.data.slice().buffer as ArrayBuffer;
    const tri = trimap.data.slice().buffer as ArrayBuffer;
    const done = new Promise<DoneMessage>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as Pending['resolve'], reject, onStep: opts.onStep, onStage: opts.onStage, onDecoded: opts.onDecoded });
      this.post(
        {
          type: 'generate',
          id,
          image: { width: image.width, height: image.height, data: img },
          trimap: { width: trimap.width, height: trimap.height, data: tri },
          settings,
          decodePreviewEvery: opts.decodePreviewEvery ?? 0,
        },
        [img, tri],
      );
    });
    return { id, done };
  }

  /** Test hook: make the worker act as if its GPU device was lost. */
  simulateDeviceLost(): void {
    this.post({ type: 'simulate-device-lost' });
  }

  cancel(id: number): void {
    this.post({ type: 'cancel', id });
  }

  dispose(): void {
    this.disposed = true;
    this.worker.terminate();
    for (const p of this.pending.values()) p.reject(new Error('disposed'));
    this.pending.clear();
  }
}
