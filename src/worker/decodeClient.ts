/**
 * The page's side of the decode Worker: one lazily started worker, requests matched by id. A worker that
 * dies (e.g. out of memory on a huge file) fails its pending requests and is replaced on the next call.
 */
import type { RGBAImage, Trimap } from '../core/image';
import { ImageDecodeError } from '../core/imageLimits';
import type { DecodeKind, DecodeRequest, DecodeResponse } from './imageDecode';

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, { resolve: (r: DecodeResponse) => void; reject: (e: Error) => void }>();

function spawn(): Worker {
  const w = new Worker(new URL('./decode.worker.ts', import.meta.url), { type: 'module', name: 'defect-studio-decode' });
  w.onmessage = (e: MessageEvent<DecodeResponse>) => {
    const p = pending.get(e.data.id);
    pending.delete(e.data.id);
    p?.resolve(e.data);
  };
  const fail = (why: string) => {
    w.terminate();
    if (worker === w) worker = null;
    for (const p of pending.values()) p.reject(new Error(`the image decoder stopped (${why})`));
    pending.clear();
  };
  w.onerror = (e) => {
    e.preventDefault();
    fail(e.message || 'worker error');
  };
  w.onmessageerror = () => fail('unreadable message');
  return w;
}

async function request(kind: DecodeKind, file: Blob, size?: { width: number; height: number }): Promise<{ width: number; height: number; data: Uint8ClampedArray | Uint8Array }> {
  worker ??= spawn();
  const id = nextId++;
  const req: DecodeRequest = { id, kind, file, size };
  const res = await new Promise<DecodeResponse>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker!.postMessage(req);
  });
  if (!res.ok) throw res.decodeError ? new ImageDecodeError(res.message) : new Error(res.message);
  return res;
}

/** A photo (PNG, JPEG, WebP, BMP) as 8-bit RGBA, decoded off the page's thread. */
export async function decodeImageOffThread(file: Blob): Promise<RGBAImage> {
  const r = await request('image', file);
  return { width: r.width, height: r.height, data: r.data as Uint8ClampedArray };
}

/** A trimap PNG (any depth / colour type) as class ids; its size must be `size`. */
export async function decodeTrimapOffThread(file: Blob, size: { width: number; height: number }): Promise<Trimap> {
  const r = await request('trimap', file, size);
  return { width: r.width, height: r.height, data: r.data as Uint8Array };
}

/** A mask PNG as a 0/1 buffer; its size must be `size`. */
export async function decodeMaskOffThread(file: Blob, size: { width: number; height: number }): Promise<{ width: number; height: number; data: Uint8Array }> {
  const r = await request('mask', file, size);
  return { width: r.width, height: r.height, data: r.data as Uint8Array };
}
