/**
 * PNG reading cost on a 24 MP photo-like image (6000 x 4000; PNG_BENCH_MP to change): per file kind, the
 * decode (inflate + unfilter + unpack, src/core/png.ts decodePng), the conversion of the decoded raster to the
 * app's 8-bit RGBA (rasterToRGBA), their ratio (CPU time), and the encode of the decoded raster (zlib level 3). Issue 10.10: the
 * conversion was 11.5 s after a 1.2 s decode; it should be a small fraction of the decode.
 *   npm run bench -- png        or        node --import tsx bench/png.bench.ts
 */
import { decodePng, encodePng, rasterToRGBA, type Raster } from '../src/core/png';
import { median, runIfMain, type Row } from './standalone';

/** Median wall and CPU (user + system, this process) milliseconds; CPU time is the steadier one on a shared machine. */
function time<T>(f: () => T, runs: number, warmUp = true): { ms: number; cpuMs: number; value: T } {
  let value = warmUp ? f() : (undefined as T);
  const ts: number[] = [];
  const cs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    value = f();
    ts.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cs.push((c.user + c.system) / 1000);
  }
  return { ms: median(ts), cpuMs: median(cs), value };
}

/** Smooth gradients plus a little noise: compresses like a photo, not like a flat test card. */
function photo(width: number, height: number, channels: 1 | 3 | 4, depth: 8 | 16, levels = 0): Raster {
  const n = width * height;
  const max = depth === 16 ? 65535 : 255;
  const data = depth === 16 ? new Uint16Array(n * channels) : new Uint8Array(n * channels);
  let s = 12345;
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const noise = ((s >>> 24) - 128) / 128;
      for (let c = 0; c < channels; c++, i++) {
        const base = c === 3 ? 0.9 : 0.5 + 0.4 * Math.sin((x * (c + 1)) / 700 + y / 500);
        let v = Math.min(1, Math.max(0, base + noise * 0.02));
        if (levels) v = Math.round(v * (levels - 1)) / (levels - 1);
        data[i] = Math.round(v * max);
      }
    }
  }
  return { width, height, channels, depth, data };
}

export default async function bench(): Promise<Row[]> {
  const mp = Number(process.env.PNG_BENCH_MP ?? 24);
  const width = Math.round(Math.sqrt((mp * 1e6 * 3) / 2));
  const height = Math.round((mp * 1e6) / width);
  const runs = Number(process.env.PNG_BENCH_RUNS ?? 3);
  const kinds: [string, Raster][] = [
    ['RGB 8-bit', photo(width, height, 3, 8)],
    ['RGBA 8-bit', photo(width, height, 4, 8)],
    ['RGB 16-bit', photo(width, height, 3, 16)],
    ['grey 8-bit', photo(width, height, 1, 8)],
    ['grey 8-bit, two levels', photo(width, height, 1, 8, 2)],
  ];
  const rows: Row[] = [];
  for (const [kind, raster] of kinds) {
    const enc = time(() => encodePng(raster), 1, false);
    const dec = time(() => decodePng(enc.value), runs);
    const conv = time(() => rasterToRGBA(dec.value), runs);
    rows.push({
      kind,
      width,
      height,
      fileMB: +(enc.value.length / 1e6).toFixed(1),
      decodeMs: Math.round(dec.ms),
      decodeCpuMs: Math.round(dec.cpuMs),
      toRgbaMs: Math.round(conv.ms),
      toRgbaCpuMs: Math.round(conv.cpuMs),
      convertOverDecodeCpu: +(conv.cpuMs / dec.cpuMs).toFixed(3),
      toRgbaCpuNsPerPixel: +((conv.cpuMs * 1e6) / (width * height)).toFixed(2),
      encodeCpuMs: Math.round(enc.cpuMs),
    });
  }
  return rows;
}

runIfMain(import.meta.url, bench);
