import { describe, expect, it } from 'vitest';
import { decodePngFirstChannel } from '../png';
import { BACKGROUND, DEFECT, OBJECT, type Trimap } from '../image';
import { buildFolderLabelFiles, labelStatus, uniqueStems } from './folder';

function tri(w: number, h: number, f: (x: number, y: number) => number): Trimap {
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = f(x, y);
  return { width: w, height: h, data };
}

describe('folder export', () => {
  it('status: defect, object region, or unlabelled', () => {
    expect(labelStatus(null)).toEqual({ status: 'unlabelled', defectPixels: 0 });
    expect(labelStatus(tri(3, 2, () => OBJECT)).status).toBe('unlabelled');
    expect(labelStatus(tri(3, 2, (x) => (x ? OBJECT : BACKGROUND))).status).toBe('object');
    expect(labelStatus(tri(3, 2, (x, y) => (x === 1 && y === 1 ? DEFECT : OBJECT)))).toEqual({ status: 'defect', defectPixels: 1 });
  });

  it('stems are unique, case-insensitively, in order; paths are dropped', () => {
    expect(uniqueStems(['a.png', 'A.jpg', 'sub/a.png', 'b c.png', '.png'])).toEqual(['a', 'A_2', 'a_3', 'b_c', 'image']);
  });

  it('writes 0/255 masks for defect images, trimaps for labelled ones, and an index', async () => {
    const t1 = tri(4, 3, (x, y) => (x >= 2 && y === 1 ? DEFECT : OBJECT));
    const t2 = tri(4, 3, (x) => (x === 0 ? BACKGROUND : OBJECT));
    const files = await buildFolderLabelFiles('my parts', ['x1.png', 'x2.jpg', 'x3.png'], (i) => [t1, t2, null][i]);
    expect([...files.keys()].sort()).toEqual(['my_parts/ground_truth/x1_mask.png', 'my_parts/labels.json', 'my_parts/trimaps/x1_trimap.png', 'my_parts/trimaps/x2_trimap.png']);
    const m = decodePngFirstChannel(files.get('my_parts/ground_truth/x1_mask.png')!);
    expect(Array.from(m.data)).toEqual([0, 0, 0, 0, 0, 0, 255, 255, 0, 0, 0, 0]);
    const t = decodePngFirstChannel(files.get('my_parts/trimaps/x2_trimap.png')!);
    expect(Array.from(t.data.slice(0, 4))).toEqual([0, 127, 127, 127]);
    const index = JSON.parse(new TextDecoder().decode(files.get('my_parts/labels.json')!));
    expect(index.images).toEqual([
      { name: 'x1.png', width: 4, height: 3, status: 'defect', defectPixels: 2, mask: 'my_parts/ground_truth/x1_mask.png', trimap: 'my_parts/trimaps/x1_trimap.png' },
      { name: 'x2.jpg', width: 4, height: 3, status: 'object', defectPixels: 0, mask: null, trimap: 'my_parts/trimaps/x2_trimap.png' },
      { name: 'x3.png', width: null, height: null, status: 'unlabelled', defectPixels: 0, mask: null, trimap: null },
    ]);
  });
});
