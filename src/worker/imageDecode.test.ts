import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { encodePng } from '../core/png';
import { handleDecodeRequest } from './imageDecode';

/** A PNG that declares width x height 1-bit grey pixels but carries a tiny (wrong) payload. */
function bombHeader(width: number, height: number): Uint8Array {
  const png = encode({ width: 8, height: 1, data: new Uint8Array(1), channels: 1, depth: 1 });
  const dv = new DataView(png.buffer, png.byteOffset);
  dv.setUint32(16, width);
  dv.setUint32(20, height);
  let c = ~0;
  for (const b of png.subarray(12, 29)) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  dv.setUint32(29, ~c >>> 0);
  return png;
}

describe('decode worker requests (issue 10.7)', () => {
  it('decodes PNG images of any depth with the core module', async () => {
    const data = Uint16Array.from({ length: 2 * 2 * 3 }, (_, i) => i * 5000);
    const file = new Blob([encodePng({ width: 2, height: 2, channels: 3, depth: 16, data }) as BlobPart]);
    const { response, transfer } = await handleDecodeRequest({ id: 7, kind: 'image', file });
    expect(response.ok).toBe(true);
    if (!response.ok) return;
    expect([response.id, response.width, response.height]).toEqual([7, 2, 2]);
    expect(Array.from(response.data.subarray(0, 8))).toEqual([0, 19, 39, 255, 58, 78, 97, 255]) // round(v / 257);
    expect(transfer[0]).toBe(response.data.buffer);
  });

  it('refuses oversized images and mismatched trimaps from the header, with decode errors', async () => {
    const bomb = new Blob([bombHeader(30000, 30000) as BlobPart]);
    const img = (await handleDecodeRequest({ id: 1, kind: 'image', file: bomb })).response;
    expect(img).toMatchObject({ ok: false, decodeError: true, message: '30000x30000 (900 MP), over the limit of 100 MP' });
    const tri = (await handleDecodeRequest({ id: 2, kind: 'trimap', file: bomb, size: { width: 300, height: 200 } })).response;
    expect(tri).toMatchObject({ ok: false, decodeError: true, message: '30000x30000 but the image is 300x200; nothing was changed' });
    const junk = (await handleDecodeRequest({ id: 3, kind: 'mask', file: new Blob(['not a png']) })).response;
    expect(junk).toMatchObject({ ok: false, decodeError: true, message: 'not a readable PNG (no PNG signature)' });
  });

  it('reads 1-bit palette trimaps', async () => {
    // 8 px: indices 0,1,0,1,... ; palette 0 -> red 255 (defect), 1 -> red 127 (object)
    const png = encode({ width: 8, height: 1, depth: 1, channels: 1, data: new Uint8Array([0b01010101]), palette: [[255, 0, 0], [127, 0, 0]] });
    const r = (await handleDecodeRequest({ id: 4, kind: 'trimap', file: new Blob([png as BlobPart]), size: { width: 8, height: 1 } })).response;
    expect(r.ok && Array.from(r.data)).toEqual([2, 1, 2, 1, 2, 1, 2, 1]);
  });

  it('page code never decodes: only the decode worker imports the decoders', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const f of readdirSync(dir)) {
        const p = join(dir, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f)) {
          const src = readFileSync(p, 'utf8');
          if (/\b(decodePng\w*|decodeTrimapPng|decodeMaskPng|createImageBitmap)\s*\(/.test(src)) offenders.push(p);
        }
      }
    };
    walk('src/ui');
    walk('src/editor');
    expect(offenders).toEqual([]);
  });
});
