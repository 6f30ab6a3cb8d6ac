import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../core/models/manifest';
import { fetchPack, type BlobCache } from './packFetch';

class MemCache implements BlobCache {
  store = new Map<string, Uint8Array>();
  async match(k: string) {
    const b = this.store.get(k);
    return b ? new Response(b as Uint8Array<ArrayBuffer>) : undefined;
  }
  async put(k: string, r: Response) {
    this.store.set(k, new Uint8Array(await r.arrayBuffer()));
  }
  async delete(k: string) {
    return this.store.delete(k);
  }
}

async function makeServer(files: Record<string, Uint8Array>, tamper?: string) {
  const manifest = { format: 'defect-studio-pack@1', id: 't', files: {} as Record<string, { bytes: number; sha256: string }> };
  for (const [k, v] of Object.entries(files)) manifest.files[k] = { bytes: v.length, sha256: await sha256Hex(v) };
  const served: Record<string, Uint8Array> = { ...files, 'defect-studio.json': new TextEncoder().encode(JSON.stringify(manifest)) };
  if (tamper) served[tamper] = new Uint8Array(served[tamper].length).fill(9);
  const hits: string[] = [];
  const fetchImpl = (async (url: string | URL | Request) => {
    const path = new URL(String(url)).pathname.replace('/pack/', '');
    hits.push(path);
    const b = served[decodeURIComponent(path)];
    return b ? new Response(b as Uint8Array<ArrayBuffer>) : new Response('nope', { status: 404 });
  }) as typeof fetch;
  return { fetchImpl, hits };
}

describe('fetchPack', () => {
  const files = { 'unet/model.onnx': new Uint8Array(5000).map((_, i) => i & 255), 'tokenizer/vocab.json': new TextEncoder().encode('{"a":1}') };

  it('downloads with byte progress, then loads from the cache', async () => {
    const { fetchImpl, hits } = await makeServer(files);
    const cache = new MemCache();
    const progress: number[] = [];
    const a = await fetchPack('http://x/pack/', { cache, fetchImpl, onProgress: (p) => progress.push(p.loaded) });
    expect(a.fromCache).toBe(false);
    expect(a.bytes).toBe(5007);
    expect(progress.at(-1)).toBe(5007);
    expect(a.files.get('unet/model.onnx')).toEqual(files['unet/model.onnx']);
    hits.length = 0;
    const b = await fetchPack('http://x/pack/', { cache, fetchImpl });
    expect(b.fromCache).toBe(true);
    expect(hits).toEqual(['defect-studio.json']);
    expect(b.manifestSha256).toBe(a.manifestSha256);
  });

  it('rejects a file whose sha256 does not match, and refetches a corrupt cache entry', async () => {
    const bad = await makeServer(files, 'unet/model.onnx');
    await expect(fetchPack('http://x/pack/', { cache: null, fetchImpl: bad.fetchImpl })).rejects.toThrow(/sha256 mismatch/);
    const { fetchImpl } = await makeServer(files);
    const cache = new MemCache();
    await fetchPack('http://x/pack/', { cache, fetchImpl });
    for (const k of cache.store.keys()) if (k.includes('unet')) cache.store.set(k, new Uint8Array(5000));
    const c = await fetchPack('http://x/pack/', { cache, fetchImpl });
    expect(c.fromCache).toBe(false);
    expect(c.files.get('unet/model.onnx')).toEqual(files['unet/model.onnx']);
  });

  it('fails clearly when the manifest is missing', async () => {
    const fetchImpl = (async () => new Response('', { status: 404 })) as unknown as typeof fetch;
    await expect(fetchPack('http://x/pack/', { cache: null, fetchImpl })).rejects.toThrow(/defect-studio.json/);
  });

  it('never reads more than the manifest declares: an endless body is cut off, a large Content-Length refused unread', async () => {
    const { fetchImpl: good } = await makeServer(files);
    const declared = files['unet/model.onnx'].length;
    let pulled = 0;
    const endless = () =>
      new ReadableStream<Uint8Array>({
        pull(c) {
          pulled += 4096;
          c.enqueue(new Uint8Array(4096));
        },
      });
    const streaming = (async (url: string | URL | Request) =>
      String(url).endsWith('unet/model.onnx') ? new Response(endless()) : good(url)) as typeof fetch;
    await expect(fetchPack('http://x/pack/', { cache: null, fetchImpl: streaming })).rejects.toThrow(
      `file size differs from the manifest; file unet/model.onnx; expected ${declared} bytes; found more than ${declared} bytes`,
    );
    expect(pulled).toBeLessThan(declared + 3 * 4096);

    let bodyRead = false;
    const lying = (async (url: string | URL | Request) => {
      if (!String(url).endsWith('unet/model.onnx')) return good(url);
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          bodyRead = true;
          c.enqueue(new Uint8Array(10));
          c.close();
        },
      }, { highWaterMark: 0 }); // pulled only when read
      return new Response(body, { headers: { 'content-length': String(8 * 1024 ** 3) } });
    }) as typeof fetch;
    await expect(fetchPack('http://x/pack/', { cache: null, fetchImpl: lying })).rejects.toThrow(`found ${8 * 1024 ** 3} bytes`);
    expect(bodyRead).toBe(false);

    // a manifest that never ends is cut off too (then there is no cached copy to fall back on)
    const bigManifest = (async (url: string | URL | Request) =>
      String(url).endsWith('defect-studio.json') ? new Response(endless()) : good(url)) as typeof fetch;
    pulled = 0;
    await expect(fetchPack('http://x/pack/', { cache: null, fetchImpl: bigManifest })).rejects.toThrow(/file too large; file defect-studio\.json/);
    expect(pulled).toBeLessThan(5 * 1024 ** 2);
  });

  it('fetches a file listed under several spellings once', async () => {
    const { fetchImpl, hits } = await makeServer(files);
    const spelled = (async (url: string | URL | Request) => {
      const res = await fetchImpl(url);
      if (!String(url).endsWith('defect-studio.json')) return res;
      const m = JSON.parse(await res.text());
      m.files['./unet/model.onnx'] = m.files['unet/model.onnx'];
      m.files['tokenizer/../unet/model.onnx'] = m.files['unet/model.onnx'];
      return new Response(JSON.stringify(m));
    }) as typeof fetch;
    const p = await fetchPack('http://x/pack/', { cache: null, fetchImpl: spelled });
    expect([...p.files.keys()].sort()).toEqual(['tokenizer/vocab.json', 'unet/model.onnx']);
    expect(hits.filter((h) => h.includes('unet')).length).toBe(1);
  });
});
