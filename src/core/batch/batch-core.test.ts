import { describe, expect, it } from 'vitest';
import { Rng } from '../diffusion/rng';
import { BACKGROUND, DEFECT, OBJECT } from '../image';
import { MvtecNamer } from '../export';
import { buildCoco, cocoRleToMask, maskBox, maskToCocoRle } from './coco';
import { canonicalJson, parseJobFile } from './jobs';
import { objectRegionFromGray, trimapFromMasks } from './regions';
import { sampleDefectTrimap } from './sampler';
import { resolveShard, shardOf, stableHash } from './shard';

const SETTINGS = new Set(['seed', 'steps', 'guidance']);

describe('shards', () => {
  it('hash is stable (pinned values) and spreads ids evenly', () => {
    expect(stableHash('')).toBe(stableHash(''));
    expect([stableHash('a'), stableHash('job-1'), stableHash('é')]).toEqual([stableHash('a'), stableHash('job-1'), stableHash('é')]);
    expect(stableHash('job-1')).not.toBe(stableHash('job-2'));
    // pinned: a change of the hash would silently reshuffle running sharded batches
    expect(stableHash('job-1')).toBe(PINNED['job-1']);
    expect(stableHash('000-03')).toBe(PINNED['000-03']);
    for (const n of [2, 3, 7]) {
      const counts = new Array(n).fill(0);
      for (let i = 0; i < 7000; i++) counts[shardOf(`img_${i}-00`, n)]++;
      for (const c of counts) expect(Math.abs(c - 7000 / n)).toBeLessThan((7000 / n) * 0.1);
    }
  });

  it('resolves --shard, Kubernetes and Slurm environments; bad values are one clear error', () => {
    expect(resolveShard({}, {})).toEqual({ index: 0, count: 1, source: 'none' });
    expect(resolveShard({ shard: '2/5' }, { JOB_COMPLETION_INDEX: '0' })).toEqual({ index: 2, count: 5, source: 'flag' });
    expect(resolveShard({ shards: '4' }, { JOB_COMPLETION_INDEX: '3' })).toEqual({ index: 3, count: 4, source: 'kubernetes' });
    expect(resolveShard({}, { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '2' })).toEqual({ index: 1, count: 2, source: 'slurm' });
    // --array=1-3: ids 1..3
    expect(resolveShard({}, { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '3', SLURM_ARRAY_TASK_MIN: '1' })).toEqual({ index: 2, count: 3, source: 'slurm' });
    expect(() => resolveShard({ shard: '2/2' }, {})).toThrow(/--shard i must be in 0\.\.1/);
    expect(() => resolveShard({ shard: 'x' }, {})).toThrow(/i\/n/);
    expect(() => resolveShard({}, { JOB_COMPLETION_INDEX: '0' })).toThrow(/--shards n/);
    expect(() => resolveShard({ shards: '2' }, { JOB_COMPLETION_INDEX: '2' })).toThrow(/JOB_COMPLETION_INDEX must be in 0\.\.1/);
    expect(() => resolveShard({}, { SLURM_ARRAY_TASK_ID: '0' })).toThrow(/SLURM_ARRAY_TASK_COUNT/);
    expect(() => resolveShard({ shards: '2' }, {})).toThrow(/needs JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID/);
  });
});

describe('job files', () => {
  it('parses good lines and reports bad ones with line numbers and ids', () => {
    const text = [
      '{"id":"a","image":"a.png","trimap":"t.png","prompt":"a scratch","steps":4}',
      '',
      '# a comment',
      '{"id":"b","image":"b.png","prompt":"a dent"}',
      '{not json',
      '{"id":"a","image":"a.png","trimap":"t.png","prompt":"again"}',
      '{"id":"c","image":"c.png","mask":"m.png","objectMask":"o.png","prompt":"x","colour":"red"}',
      '[1,2]',
      '{"image":"c.png","trimap":"t.png","prompt":"x"}',
      '{"id":"d","image":"d.png","mask":"m.png","objectMask":"o.png","prompt":"a hole","seed":3}\r',
      '{"id":"e","image":"d.png","trimap":"t.png","mask":"m.png","prompt":"x"}',
    ].join('\n');
    const entries = parseJobFile(text, SETTINGS);
    const summary = entries.map((e) => (e.ok ? [e.job.line, e.job.id, 'ok'] : [e.failure.line, e.failure.id, e.failure.error]));
    expect(summary).toEqual([
      [1, 'a', 'ok'],
      [4, 'b', 'missing "trimap" (or "mask")'],
      [5, null, expect.stringMatching(/^not valid JSON/)],
      [6, 'a', 'duplicate id "a" (first on line 1)'],
      [7, 'c', expect.stringMatching(/^unknown field "colour"/)],
      [8, null, 'not a JSON object'],
      [9, null, 'missing "id"'],
      [10, 'd', 'ok'],
      [11, 'e', 'give either "trimap" or "mask" (+ "objectMask"), not both'],
    ]);
    const a = entries[0].ok ? entries[0].job : null;
    expect(a?.settings).toEqual({ steps: 4 });
    const d = entries[7].ok ? entries[7].job : null;
    expect(d).toMatchObject({ mask: 'm.png', objectMask: 'o.png', settings: { seed: 3 } });
  });

  it('canonical JSON sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
  });
});

describe('MVTec names', () => {
  it('numbers per category and defect in order; one good image per source; the same sequence gives the same names', () => {
    const run = () => {
      const n = new MvtecNamer();
      return [n.add('Hazelnut', 'crack', 'a'), n.add('hazelnut', 'hole', 'a'), n.add('hazelnut', 'crack', 'b'), n.add('screw', 'crack', 'a')];
    };
    const names = run();
    expect(names.map((x) => [x.image, x.mask, x.record, x.good, x.firstOfSource])).toEqual([
      ['hazelnut/test/crack/000.png', 'hazelnut/ground_truth/crack/000_mask.png', 'hazelnut/records/crack/000.json', 'hazelnut/train/good/000.png', true],
      ['hazelnut/test/hole/000.png', 'hazelnut/ground_truth/hole/000_mask.png', 'hazelnut/records/hole/000.json', 'hazelnut/train/good/000.png', false],
      ['hazelnut/test/crack/001.png', 'hazelnut/ground_truth/crack/001_mask.png', 'hazelnut/records/crack/001.json', 'hazelnut/train/good/001.png', true],
      ['screw/test/crack/000.png', 'screw/ground_truth/crack/000_mask.png', 'screw/records/crack/000.json', 'screw/train/good/000.png', true],
    ]);
    expect(run()).toEqual(names);
    expect(() => new MvtecNamer().add('x', 'good', 'a')).toThrow(/reserved/);
  });
});

describe('defect sampler', () => {
  const W = 80;
  const H = 60;
  const object = new Uint8Array(W * H);
  for (let y = 10; y < 50; y++) for (let x = 20; x < 70; x++) object[y * W + x] = 1;

  it('is deterministic for a seed and differs between seeds', () => {
    const a = sampleDefectTrimap(new Rng(5), W, H, object, { shapes: ['stroke', 'blob', 'line'], size: [6, 30] });
    const b = sampleDefectTrimap(new Rng(5), W, H, object, { shapes: ['stroke', 'blob', 'line'], size: [6, 30] });
    const c = sampleDefectTrimap(new Rng(6), W, H, object, { shapes: ['stroke', 'blob', 'line'], size: [6, 30] });
    expect(Array.from(a.trimap.data)).toEqual(Array.from(b.trimap.data));
    expect(Array.from(a.trimap.data)).not.toEqual(Array.from(c.trimap.data));
  });

  it('puts every defect pixel inside the object region; background outside; sizes within the range', () => {
    for (const shape of ['stroke', 'blob', 'line'] as const) {
      for (let seed = 0; seed < 30; seed++) {
        const s = sampleDefectTrimap(new Rng(seed), W, H, object, { shapes: [shape], size: [8, 24] });
        expect(s.shape).toBe(shape);
        expect(s.size).toBeGreaterThanOrEqual(8);
        expect(s.size).toBeLessThanOrEqual(24);
        let defect = 0;
        let wrong = 0;
        let minX = W, maxX = -1, minY = H, maxY = -1;
        for (let i = 0; i < W * H; i++) {
          const v = s.trimap.data[i];
          if (!object[i] ? v !== BACKGROUND : v !== OBJECT && v !== DEFECT) wrong++;
          if (v === DEFECT) {
            defect++;
            const x = i % W, y = Math.floor(i / W);
            minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y);
          }
        }
        expect(wrong).toBe(0);
        expect(defect).toBe(s.pixels);
        expect(defect).toBeGreaterThan(0);
        // extent never exceeds the drawn size plus the brush width
        expect(Math.max(maxX - minX, maxY - minY)).toBeLessThanOrEqual(24 + 6);
      }
    }
  });

  it('without an object mask the whole image is object; an empty object region is an error', () => {
    const s = sampleDefectTrimap(new Rng(1), W, H, null, { shapes: ['blob'], size: [10, 10] });
    expect(s.trimap.data.includes(BACKGROUND)).toBe(false);
    expect(s.trimap.data.includes(DEFECT)).toBe(true);
    expect(() => sampleDefectTrimap(new Rng(1), W, H, new Uint8Array(W * H), { shapes: ['blob'], size: [10, 10] })).toThrow(/object region is empty/);
  });
});

describe('object regions', () => {
  it('reads 0/255 masks, trimaps and 0/1 masks; builds the trimap of a mask inside the object', () => {
    const g = (data: number[]) => ({ width: data.length, height: 1, data: Uint8Array.from(data) });
    expect(Array.from(objectRegionFromGray(g([0, 255, 127, 50])))).toEqual([0, 1, 1, 0]);
    expect(Array.from(objectRegionFromGray(g([0, 1, 1, 0])))).toEqual([0, 1, 1, 0]);
    const t = trimapFromMasks({ width: 4, height: 1, data: Uint8Array.from([0, 1, 0, 0]) }, Uint8Array.from([0, 1, 1, 0]));
    expect(Array.from(t.data)).toEqual([BACKGROUND, DEFECT, OBJECT, BACKGROUND]);
  });
});

describe('COCO', () => {
  it('RLE is column-major, starts with background, and round-trips; bbox and area', () => {
    // 3x2 mask:  row0: 0 1 1 / row1: 0 0 1
    const m = [0, 1, 1, 0, 0, 1];
    const rle = maskToCocoRle(m, 3, 2);
    // column-major: (0,0)=0 (0,1)=0 | (1,0)=1 (1,1)=0 | (2,0)=1 (2,1)=1
    expect(rle).toEqual({ size: [2, 3], counts: [2, 1, 1, 2] });
    expect(Array.from(cocoRleToMask(rle))).toEqual(m);
    expect(maskToCocoRle([1, 1], 2, 1).counts).toEqual([0, 2]);
    expect(maskBox(m, 3, 2)).toEqual({ bbox: [1, 0, 2, 2], area: 3 });
    const big = new Uint8Array(40 * 30);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 13 < 4 ? 255 : 0;
    expect(Array.from(cocoRleToMask(maskToCocoRle(big, 40, 30)))).toEqual(Array.from(big, (v) => (v ? 1 : 0)));
  });

  it('builds images, annotations and categories in order', () => {
    const ds = buildCoco([
      { fileName: 'a/test/crack/000.png', width: 3, height: 2, category: 'a', defect: 'crack', mask: [0, 1, 1, 0, 0, 1] },
      { fileName: 'a/test/hole/000.png', width: 3, height: 2, category: 'a', defect: 'hole', mask: [1, 0, 0, 0, 0, 0] },
      { fileName: 'a/test/crack/001.png', width: 3, height: 2, category: 'a', defect: 'crack', mask: [0, 0, 0, 0, 0, 1] },
    ]);
    expect(ds.categories).toEqual([
      { id: 1, name: 'crack', supercategory: 'a' },
      { id: 2, name: 'hole', supercategory: 'a' },
    ]);
    expect(ds.images.map((i) => i.id)).toEqual([1, 2, 3]);
    expect(ds.annotations.map((a) => [a.image_id, a.category_id, a.area, a.bbox])).toEqual([
      [1, 1, 3, [1, 0, 2, 2]],
      [2, 2, 1, [0, 0, 1, 1]],
      [3, 1, 1, [2, 1, 1, 1]],
    ]);
  });
});

const PINNED: Record<string, number> = { 'job-1': 2094670749, '000-03': 1654379807 };
