import { describe, expect, it } from 'vitest';
import { IDBFactory } from 'fake-indexeddb';
import { unzipSync } from 'fflate';
import { decodePngFirstChannel, decodePngRGBA, encodePngRGBA } from '../core/png';
import { DEFECT, OBJECT, type RGBAImage } from '../core/image';
import { Editor } from './Editor';
import { FolderSession, naturalCompare, type FolderFile } from './folder';

function photo(w: number, h: number, seed: number): RGBAImage {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set([(i * seed) & 255, (i >> 3) & 255, seed * 40, 255], i * 4);
  return { width: w, height: h, data };
}

function file(name: string, im: RGBAImage): FolderFile {
  return { name, type: 'image/png', bytes: encodePngRGBA(im) };
}

const decode = async (bytes: Uint8Array) => decodePngRGBA(bytes);

function paintRect(ed: Editor, x0: number, y0: number, x1: number, y1: number) {
  ed.setTool('rectangle');
  ed.setClass(DEFECT);
  ed.pointerDown({ x: x0, y: y0 });
  ed.pointerUp({ x: x1, y: y1 });
}

describe('folder sessions', () => {
  it('orders names naturally', () => {
    expect(['img10.png', 'img2.png', 'Img1.png'].sort(naturalCompare)).toEqual(['Img1.png', 'img2.png', 'img10.png']);
  });

  it('each image keeps its own trimap and history across switches and a "reload"; export writes MVTec masks', async () => {
    const factory = new IDBFactory();
    const ed = new Editor();
    const fs = new FolderSession(ed, factory, decode, { delayMs: 5, statusDelayMs: 5 });
    const ims = [photo(40, 30, 1), photo(40, 30, 2), photo(20, 20, 3)];
    await fs.open('parts', [file('b10.png', ims[2]), file('b2.png', ims[1]), file('b1.png', ims[0])]);
    expect(fs.items.map((i) => i.name)).toEqual(['b1.png', 'b2.png', 'b10.png']);
    expect(fs.current).toBe(0);
    expect(ed.getImageName()).toBe('b1.png');
    expect(Array.from(ed.getImage()!.data.slice(0, 8))).toEqual(Array.from(ims[0].data.slice(0, 8)));

    paintRect(ed, 5, 5, 15, 10); // 10 x 5 defect
    await fs.next();
    expect(ed.getImageName()).toBe('b2.png');
    expect(ed.history.undoCount).toBe(0);
    paintRect(ed, 0, 0, 4, 4);
    paintRect(ed, 10, 10, 12, 12);
    ed.undo(); // b2: one undo step, one redo step
    await fs.previous();
    expect(ed.getImageName()).toBe('b1.png');
    expect(ed.history.undoCount).toBe(1);
    expect(ed.getTrimap()!.data.filter((v) => v === DEFECT).length).toBe(50);
    expect(fs.items.map((i) => i.status)).toEqual(['defect', 'defect', 'unlabelled']);
    await fs.show(1);
    expect([ed.history.undoCount, ed.history.redoCount]).toEqual([1, 1]);
    await fs.show(5); // out of range: nothing
    expect(fs.current).toBe(1);
    await fs.flush();

    // a reload: a new editor and session on the same databases
    const ed2 = new Editor();
    const fs2 = new FolderSession(ed2, factory, decode, { delayMs: 5 });
    expect(await fs2.restore()).toBe(true);
    expect(fs2.name).toBe('parts');
    expect(fs2.current).toBe(1);
    expect(ed2.getImageName()).toBe('b2.png');
    expect([ed2.history.undoCount, ed2.history.redoCount]).toEqual([1, 1]);
    expect(fs2.items.map((i) => i.status)).toEqual(['defect', 'defect', 'unlabelled']);

    const { bytes, filename, masks } = await fs2.exportMasks();
    expect(filename).toBe('parts_masks.zip');
    expect(masks).toBe(2);
    const zip = unzipSync(bytes);
    expect(Object.keys(zip).sort()).toEqual([
      'parts/ground_truth/b1_mask.png',
      'parts/ground_truth/b2_mask.png',
      'parts/labels.json',
      'parts/trimaps/b1_trimap.png',
      'parts/trimaps/b2_trimap.png',
    ]);
    const m1 = decodePngFirstChannel(zip['parts/ground_truth/b1_mask.png']);
    expect([m1.width, m1.height]).toEqual([40, 30]);
    for (let y = 0; y < 30; y++)
      for (let x = 0; x < 40; x++) expect(m1.data[y * 40 + x]).toBe(x >= 5 && x < 15 && y >= 5 && y < 10 ? 255 : 0);
    const m2 = decodePngFirstChannel(zip['parts/ground_truth/b2_mask.png']);
    expect(m2.data.filter((v) => v === 255).length).toBe(16);
    const t1 = decodePngFirstChannel(zip['parts/trimaps/b1_trimap.png']);
    expect(new Set(t1.data)).toEqual(new Set([127, 255]));
    const index = JSON.parse(new TextDecoder().decode(zip['parts/labels.json']));
    expect(index.images.map((i: { status: string }) => i.status)).toEqual(['defect', 'defect', 'unlabelled']);
    expect(index.images[0].defectPixels).toBe(50);

    // leaving the folder: a reload does not bring it back; opening a new folder replaces it
    await fs2.leave();
    expect(await new FolderSession(new Editor(), factory, decode).restore()).toBe(false);
    await fs2.open('other', [file('x.png', ims[2])]);
    expect(fs2.items.length).toBe(1);
    expect(ed2.getTrimap()!.data.every((v) => v === OBJECT)).toBe(true);
  });

  it('a broken first image or an empty folder changes nothing', async () => {
    const ed = new Editor();
    const fs = new FolderSession(ed, new IDBFactory(), decode, { delayMs: 5 });
    await expect(fs.open('empty', [])).rejects.toThrow(/no PNG, JPEG/);
    await expect(fs.open('bad', [{ name: 'a.png', type: 'image/png', bytes: new Uint8Array([1, 2, 3]) }])).rejects.toThrow();
    expect(fs.active).toBe(false);
    expect(ed.hasDocument()).toBe(false);
  });
});
