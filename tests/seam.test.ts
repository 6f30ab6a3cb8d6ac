/**
 * The seam blend (src/core/diffusion/seam.ts, setting `seamPx`): its arithmetic on hand-made images, and through the
 * whole pipeline on a tiny pack with real onnxruntime sessions: outside the defect the input's bytes, the mask exact,
 * deterministic, changes only the defect's inner band, and a lower step across the defect's edge.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFECT } from '../src/core/image';
import { generate } from '../src/core/diffusion/pipeline';
import { seamBandWidth, seamBlend } from '../src/core/diffusion/seam';
import { insideDistance, seamBand } from '../src/core/diffusion/adaptation/metrics';
import { defaultSettings } from '../src/core/settings';
import { parseManifest } from '../src/core/models/manifest';
import { loadPack, type LoadedPack } from '../src/core/models/pack';
import { FsPackSource } from '../src/core/models/pack-source.node.ts';
import { createNodeRuntime } from '../src/core/models/ort-node.node.ts';
import { bytesEqual, makeImage, makeRequest, makeTrimap, packDir } from './helpers';

/** A disc (radius rad at cx, cy) in an R x R grid, 1 inside. */
function disc(R: number, cx: number, cy: number, rad: number): Uint8Array {
  const m = new Uint8Array(R * R);
  for (let y = 0; y < R; y++) for (let x = 0; x < R; x++) m[y * R + x] = (x - cx) ** 2 + (y - cy) ** 2 <= rad * rad ? 1 : 0;
  return m;
}

/** A smooth-ish textured planar [3, R, R] image in [-1, 1]. */
function texture(R: number, phase: number): Float32Array {
  const x = new Float32Array(3 * R * R);
  for (let c = 0; c < 3; c++) for (let p = 0; p < R * R; p++) x[c * R * R + p] = 0.6 * Math.sin(0.37 * p + phase + c) * Math.cos(0.11 * p);
  return x;
}

describe('seamBlend', () => {
  const R = 40;
  const defect = disc(R, 20, 18, 11);
  const xRef = texture(R, 0);

  it('with width 0 is the plain composite: the reference outside, the generation inside', () => {
    const x = texture(R, 1.3);
    const out = seamBlend(x, xRef, defect, R, 0);
    for (let c = 0; c < 3; c++) for (let p = 0; p < R * R; p++) expect(out[c * R * R + p]).toBe(defect[p] ? x[c * R * R + p] : xRef[c * R * R + p]);
  });

  it('removes a constant offset exactly at the edge and fades it over the band; the interior and the outside are untouched', () => {
    // the generation = the reference + 0.3 everywhere (a pure offset) + a "defect" deep inside
    const x = Float32Array.from(xRef, (v) => v + 0.3);
    const W = 3;
    const d = insideDistance(defect, R, R, 10);
    for (let p = 0; p < R * R; p++) if (d[p] === 0 && defect[p]) for (let c = 0; c < 3; c++) x[c * R * R + p] -= 0.8;
    const out = seamBlend(x, xRef, defect, R, W);
    let band = 0;
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < R * R; p++) {
        const i = c * R * R + p;
        if (!defect[p]) expect(out[i]).toBe(xRef[i]);
        else if (d[p] === 0 || d[p] > W) expect(out[i]).toBe(x[i]);
        else {
          // the membrane of a constant boundary value is that constant: out = x - 0.3 * (W - d + 1) / W
          expect(out[i]).toBeCloseTo(x[i] - (0.3 * (W - d[p] + 1)) / W, 5);
          band++;
        }
      }
    }
    expect(band).toBeGreaterThan(3 * 50);
    // at the edge (d = 1) the output is the reference itself: no step left from the offset
    for (let p = 0; p < R * R; p++) if (d[p] === 1) expect(out[p]).toBeCloseTo(xRef[p], 5);
  });

  it('keeps the generation inside a thin stroke finite and bounded by the boundary mismatch, also at the crop border', () => {
    const stroke = new Uint8Array(R * R);
    for (let x = 0; x < R; x++) for (let y = 0; y < 3; y++) stroke[y * R + x] = 1; // touches three crop borders
    const x = texture(R, 2.1);
    const out = seamBlend(x, xRef, stroke, R, 4);
    let maxMismatch = 0;
    for (let c = 0; c < 3; c++) for (let p = 0; p < R * R; p++) if (!stroke[p]) maxMismatch = Math.max(maxMismatch, Math.abs(xRef[c * R * R + p] - x[c * R * R + p]));
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < R * R; p++) {
        const i = c * R * R + p;
        expect(Number.isFinite(out[i])).toBe(true);
        // max principle: the harmonic correction never exceeds the largest boundary mismatch
        if (stroke[p]) expect(Math.abs(out[i] - x[i])).toBeLessThanOrEqual(maxMismatch + 1e-6);
      }
    }
  });

  it('refuses images of the wrong size', () => {
    expect(() => seamBlend(new Float32Array(10), xRef, defect, R, 2, { spareStrokes: true })).toThrow(/seamBlend/);
    expect(() => seamBlend(new Float32Array(10), xRef, defect, R, 2)).toThrow(/seamBlend/);
  });
});

/** A horizontal stroke `w` px wide (rows y0 .. y0 + w - 1) from column x0 to x1 - 1 in an R x R grid. */
function bar(R: number, y0: number, w: number, x0 = 4, x1 = R - 4): Uint8Array {
  const m = new Uint8Array(R * R);
  for (let y = y0; y < y0 + w; y++) for (let x = x0; x < x1; x++) m[y * R + x] = 1;
  return m;
}

describe('seamBlend sparing thin strokes (spareStrokes, setting seamSpareStrokes)', () => {
  const R = 48;
  const xRef = texture(R, 0);
  // a dark "stroke" generation that also spills 2 px past its mask, as decodes of thin strokes do, and is 0.05 off
  const strokeGen = (m: Uint8Array) => {
    const x = Float32Array.from(xRef, (v) => v + 0.05);
    const near = seamBand(m, R, R, 2);
    for (let c = 0; c < 3; c++) for (let p = 0; p < R * R; p++) x[c * R * R + p] -= m[p] ? 0.9 : near[p] ? 0.4 : 0;
    return x;
  };

  it('caps the band width by the local half-width: min(W, max(1, floor(T / 2))), T = ceil(w / 2) across a stroke w px wide', () => {
    for (const W of [1, 2, 3, 4]) {
      for (let w = 1; w <= 12; w++) {
        const m = bar(R, 10, w);
        const cap = seamBandWidth(m, R, W, true);
        const plainCap = seamBandWidth(m, R, W, false);
        const T = Math.ceil(w / 2);
        const want = Math.min(W, Math.max(1, Math.floor(T / 2)));
        // away from the stroke's ends, every pixel across its width
        for (let y = 10; y < 10 + w; y++) {
          expect(cap[y * R + R / 2], `W ${W} w ${w} y ${y}`).toBe(want);
          expect(plainCap[y * R + R / 2]).toBe(W);
        }
        for (let p = 0; p < R * R; p++) if (!m[p]) expect(cap[p]).toBe(0);
      }
    }
  });

  it("keeps a thin stroke's core (deeper than the cap) exactly the generation; the outside is the reference; deterministic", () => {
    for (const w of [3, 4, 5, 6]) {
      const m = bar(R, 20, w);
      const x = strokeGen(m);
      const a = seamBlend(x, xRef, m, R, 2, { spareStrokes: true });
      const b = seamBlend(x, xRef, m, R, 2, { spareStrokes: true });
      expect(bytesEqual(new Uint8Array(a.buffer), new Uint8Array(b.buffer))).toBe(true);
      const old = seamBlend(x, xRef, m, R, 2);
      const d = insideDistance(m, R, R, 8);
      const cap = seamBandWidth(m, R, 2, true);
      let core = 0;
      let edge = 0;
      let coreChangedByOld = 0;
      for (let c = 0; c < 3; c++) {
        for (let p = 0; p < R * R; p++) {
          const i = c * R * R + p;
          if (!m[p]) expect(a[i]).toBe(xRef[i]);
          else if (d[p] === 0 || d[p] > cap[p]) {
            expect(a[i]).toBe(x[i]);
            core++;
            if (old[i] !== x[i]) coreChangedByOld++;
          } else if (a[i] !== x[i]) edge++;
        }
      }
      // the stroke's middle rows are core along its length (w = 3: the centre line; w = 5: three rows)
      expect(core).toBeGreaterThanOrEqual(3 * (w - 2) * (R - 8 - 2));
      expect(coreChangedByOld).toBeGreaterThan(0); // the plain 2 px band did change them
      expect(edge).toBeGreaterThan(3 * 2 * (R - 8 - 4)); // the edge rows are still blended
    }
  });

  it('keeps more of a thin dark stroke\'s contrast than the plain band', () => {
    const m = bar(R, 20, 5);
    const x = strokeGen(m);
    const contrast = (out: Float32Array) => {
      let s = 0;
      let n = 0;
      for (let c = 0; c < 3; c++) for (let p = 0; p < R * R; p++) if (m[p]) (s += xRef[c * R * R + p] - out[c * R * R + p]), n++;
      return s / n;
    };
    const plain = contrast(seamBlend(x, xRef, m, R, 0));
    const old = contrast(seamBlend(x, xRef, m, R, 2));
    const spared = contrast(seamBlend(x, xRef, m, R, 2, { spareStrokes: true }));
    expect(old).toBeLessThan(plain);
    expect(spared).toBeGreaterThan(old + 0.05);
    expect(spared).toBeLessThanOrEqual(plain + 1e-6);
  });

  it('gives a wide blob the plain band\'s result: a rectangle byte for byte; a disc wherever it is 2W thick (all but its tips)', () => {
    const rect = new Uint8Array(R * R);
    for (let y = 8; y < 30; y++) for (let x = 6; x < 40; x++) rect[y * R + x] = 1;
    const round = disc(R, 24, 22, 15);
    const x = texture(R, 0.7);
    for (const W of [1, 2, 3, 4]) {
      const a = seamBlend(x, xRef, rect, R, W, { spareStrokes: true });
      const old = seamBlend(x, xRef, rect, R, W);
      expect(bytesEqual(new Uint8Array(a.buffer), new Uint8Array(old.buffer)), `rectangle W ${W}`).toBe(true);
      const b = seamBlend(x, xRef, round, R, W, { spareStrokes: true });
      const oldB = seamBlend(x, xRef, round, R, W);
      const cap = seamBandWidth(round, R, W, true);
      let thin = 0;

      for (let p = 0; p < R * R; p++) {
        if (round[p] && cap[p] < W) {
          thin++;
          continue;
        }
        for (let c = 0; c < 3; c++) expect(b[c * R * R + p]).toBe(oldB[c * R * R + p]);
      }
      // a disc's only thin parts are near its four extremes, where no 2W-square fits: a few of its band pixels
      const band = insideDistance(round, R, R, W).reduce((n, v) => n + (v > 0 ? 1 : 0), 0);
      if (W === 1) expect(thin).toBe(0);
      expect(thin, `disc W ${W}`).toBeLessThan(0.15 * band);
    }
  });

  it('on a blob with a thin stroke attached: the blob keeps the full band away from the junction, the stroke its core', () => {
    const m = disc(R, 14, 24, 10);
    for (let y = 23; y < 26; y++) for (let x = 24; x < 46; x++) m[y * R + x] = 1; // a 3 px tail to the right
    const x = strokeGen(m);
    const W = 2;
    const a = seamBlend(x, xRef, m, R, W, { spareStrokes: true });
    const d = insideDistance(m, R, R, 8);
    const cap = seamBandWidth(m, R, W, true);
    // the disc's left half: the full band (its depth-2 pixels are in it; a lone tip pixel's cap 1 weighs it as W does)
    let deep = 0;
    for (let y = 0; y < R; y++) {
      for (let xx = 0; xx < 14; xx++) {
        const p = y * R + xx;
        if (d[p] === 2) expect(cap[p]).toBe(W), deep++;
        if (d[p] === 1) expect(cap[p]).toBeGreaterThanOrEqual(1);
      }
    }
    expect(deep).toBeGreaterThan(20);
    // the tail's centre line beyond the junction: untouched
    for (let xx = 30; xx < 44; xx++) for (let c = 0; c < 3; c++) expect(a[c * R * R + 24 * R + xx]).toBe(x[c * R * R + 24 * R + xx]);
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < R * R; p++) {
        const i = c * R * R + p;
        expect(Number.isFinite(a[i])).toBe(true);
        if (!m[p]) expect(a[i]).toBe(xRef[i]);
        else if (d[p] === 0 || d[p] > cap[p]) expect(a[i]).toBe(x[i]);
      }
    }
  });
});

describe('the built-in pack', () => {
  it('blends the seam over 2 px sparing thin strokes by default (chosen on training photos, MODEL.md "the seam"); every other default pack 0, off', () => {
    const m = parseManifest(readFileSync(join(__dirname, '..', 'public', 'models', 'ds-surface-v1', 'defect-studio.json'), 'utf8'));
    expect(defaultSettings(m).seamPx).toBe(2);
    expect(defaultSettings(m).seamSpareStrokes).toBe(true);
    for (const preset of ['a scratch', 'a crack', 'a cut']) expect(defaultSettings(m, preset).seamSpareStrokes).toBe(true);
    expect(defaultSettings({ resolution: 256 }).seamPx).toBe(0);
    expect(defaultSettings({ resolution: 256 }).seamSpareStrokes).toBe(false);
  });
});

describe('seam blend in the pipeline (tiny-builtin, onnxruntime-node)', () => {
  const runtime = createNodeRuntime({ threads: 1 });
  let pack: LoadedPack;
  beforeAll(async () => {
    pack = await loadPack(new FsPackSource(packDir('tiny-builtin')), runtime);
  });
  afterAll(async () => {
    await pack?.release();
  });

  it('is off by default and keeps the outside bit-identical, the mask exact, the bytes deterministic; lowers the edge step', async () => {
    expect(defaultSettings().seamPx).toBe(0);
    // an image at the pack's native resolution: the paste is 1:1, so the band is exact in image pixels
    const R = pack.manifest.resolution;
    const image = makeImage(R, R);
    const trimap = makeTrimap(R, R, 16, 15, 8, 6);
    const base = { image, trimap, adaptation: { enabled: false, backgroundWeight: 100, mu: 1e-3, maxSamples: 4096 } };
    const plain = await generate(pack, makeRequest({ ...base, seamPx: 0 }));
    const a = await generate(pack, makeRequest({ ...base, seamPx: 2 }));
    const b = await generate(pack, makeRequest({ ...base, seamPx: 2 }));
    expect(bytesEqual(a.image.data, b.image.data)).toBe(true);
    expect(bytesEqual(a.image.data, plain.image.data)).toBe(false);
    const inside = Uint8Array.from(trimap.data, (v) => (v === DEFECT ? 1 : 0));
    const d = insideDistance(inside, R, R, 4);
    let changedBand = 0;
    for (let p = 0; p < R * R; p++) {
      expect(a.mask[p]).toBe(inside[p] ? 255 : 0);
      for (let c = 0; c < 4; c++) {
        const i = 4 * p + c;
        if (!inside[p] || c === 3) expect(a.image.data[i]).toBe(image.data[i]);
        else if (d[p] === 0 || d[p] > 2) expect(a.image.data[i]).toBe(plain.image.data[i]); // deeper: the generation
        else if (a.image.data[i] !== plain.image.data[i]) changedBand++;
      }
    }
    expect(changedBand).toBeGreaterThan(0);
    // mean |out(p) - in(q)| over 4-neighbour pairs across the edge: lower with the blend
    const step = (out: Uint8ClampedArray) => {
      let s = 0;
      let n = 0;
      for (let y = 0; y < R; y++) {
        for (let x = 0; x < R; x++) {
          const p = y * R + x;
          if (!inside[p]) continue;
          for (const q of [x + 1 < R ? p + 1 : -1, x > 0 ? p - 1 : -1, y + 1 < R ? p + R : -1, y > 0 ? p - R : -1]) {
            if (q < 0 || inside[q]) continue;
            for (let c = 0; c < 3; c++) s += Math.abs(out[4 * p + c] - image.data[4 * q + c]);
            n += 3;
          }
        }
      }
      return s / n;
    };
    expect(step(a.image.data)).toBeLessThan(step(plain.image.data));
  });

  it('sparing thin strokes: a 5 px stroke keeps its core bytes (the plain generation), the outside the input; deterministic', async () => {
    const R = pack.manifest.resolution;
    const image = makeImage(R, R);
    const trimap = makeTrimap(R, R, 16, 15, 12, 2); // rows 13..17 in the middle, thinner towards the ends
    const base = { image, trimap, adaptation: { enabled: false, backgroundWeight: 100, mu: 1e-3, maxSamples: 4096 } };
    const plain = await generate(pack, makeRequest({ ...base, seamPx: 0 }));
    const old = await generate(pack, makeRequest({ ...base, seamPx: 2 }));
    const a = await generate(pack, makeRequest({ ...base, seamPx: 2, seamSpareStrokes: true }));
    const b = await generate(pack, makeRequest({ ...base, seamPx: 2, seamSpareStrokes: true }));
    expect(bytesEqual(a.image.data, b.image.data)).toBe(true);
    const inside = Uint8Array.from(trimap.data, (v) => (v === DEFECT ? 1 : 0));
    const d = insideDistance(inside, R, R, 4);
    const cap = seamBandWidth(inside, R, 2, true);
    let core = 0;
    let oldChangedCore = 0;
    let edgeBlended = 0;
    for (let p = 0; p < R * R; p++) {
      expect(a.mask[p]).toBe(inside[p] ? 255 : 0);
      for (let c = 0; c < 4; c++) {
        const i = 4 * p + c;
        if (!inside[p] || c === 3) expect(a.image.data[i]).toBe(image.data[i]);
        else if (d[p] === 0 || d[p] > cap[p]) {
          expect(a.image.data[i]).toBe(plain.image.data[i]);
          core++;
          if (old.image.data[i] !== plain.image.data[i]) oldChangedCore++;
        } else if (a.image.data[i] !== plain.image.data[i]) edgeBlended++;
      }
    }
    expect(core).toBeGreaterThan(3 * 15);
    expect(oldChangedCore).toBeGreaterThan(0);
    expect(edgeBlended).toBeGreaterThan(0);
  });
});
