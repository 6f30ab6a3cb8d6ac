/**
 * The platform src/core may use: only globals that Node (>= 20) and Web Workers BOTH provide.
 * tsconfig.core.json type-checks src/core with `lib: ["ES2023"]`, no DOM and no @types/node, plus this
 * file, so a `document`, `window`, `HTMLCanvasElement`, `Buffer` or `process` in the core fails
 * `npm run typecheck`. Node-only code goes in *.node.ts files (excluded there). Add a global here only
 * when it really exists in both environments, and declare only the members the core uses.
 */

declare function setTimeout(handler: () => void, ms?: number): unknown;

declare const performance: { now(): number };

declare class TextEncoder {
  encode(input?: string): Uint8Array<ArrayBuffer>;
}

declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: ArrayBufferView | ArrayBuffer, options?: { stream?: boolean }): string;
}

declare class DOMException extends Error {
  constructor(message?: string, name?: string);
  readonly code: number;
}

interface AbortSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  throwIfAborted(): void;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

interface MessagePort {
  onmessage: ((ev: { data: unknown }) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
}

declare class MessageChannel {
  readonly port1: MessagePort;
  readonly port2: MessagePort;
}

declare const crypto: {
  readonly subtle: { digest(algorithm: 'SHA-256', data: ArrayBufferView<ArrayBuffer> | ArrayBuffer): Promise<ArrayBuffer> };
};

interface ReadableStreamDefaultReader<R> {
  read(): Promise<{ done: true; value?: undefined } | { done: false; value: R }>;
  cancel(reason?: unknown): Promise<void>;
  releaseLock(): void;
}

interface ReadableStream<R = Uint8Array> {
  getReader(): ReadableStreamDefaultReader<R>;
  cancel(reason?: unknown): Promise<void>;
}

interface ReadableStreamDefaultController<R> {
  enqueue(chunk: R): void;
  close(): void;
  error(reason?: unknown): void;
}

declare var ReadableStream: {
  prototype: ReadableStream;
  new <R = Uint8Array>(
    source: {
      start?(c: ReadableStreamDefaultController<R>): void | Promise<void>;
      pull?(c: ReadableStreamDefaultController<R>): void | Promise<void>;
      cancel?(reason?: unknown): void | Promise<void>;
    },
    strategy?: { highWaterMark?: number },
  ): ReadableStream<R>;
};

interface Headers {
  get(name: string): string | null;
}

interface RequestInit {
  method?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  cache?: 'default' | 'no-store' | 'reload' | 'no-cache' | 'force-cache' | 'only-if-cached';
}

interface Response {
  readonly ok: boolean;
  readonly status: number;
  readonly headers: Headers;
  readonly body: ReadableStream<Uint8Array> | null;
  arrayBuffer(): Promise<ArrayBuffer>;
}

declare function fetch(input: string, init?: RequestInit): Promise<Response>;
