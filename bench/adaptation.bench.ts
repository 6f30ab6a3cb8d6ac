/**
 * Decoder adaptation (METHOD.md stage 3): quality on generated samples, and speed of the closed-form step.
 *
 *   node --import tsx bench/adaptation.bench.ts            (alone; or through bench/run.ts)
 *
 * Quality: for every sample set under bench/results/adaptation/samples/<pack id>/ (written by
 * tools/adaptation/generate-samples.ts) it re-runs the closed-form adapter on the pack's decoder and reports
 * the mean background / seam MSE before and after, next to the PyTorch full-decoder AdamW reference
 * (reference.json from tools/adaptation/reference.py) on the same samples when present.
 * Speed: the closed-form step (Gram matrix + Cholesky + final conv) at 256x256 on synthetic features with
 * C = 16 (the built-in decoder) and C = 128 (Stable Diffusion), on onnxruntime-node (the CLI), on
 * onnxruntime-web's WASM backend in Node and with the pure TypeScript float64 kernel.
 * Writes bench/results/adaptation.json. Env: ADAPT_BENCH_QUICK=1 skips C = 128 with the TypeScript kernel;
 * ADAPT_BENCH_SPEED=0 skips the speed part; ADAPT_BENCH_SWEEP=0 skips the mu sweep (first 20 samples per set).
 * "defect MSE vs x_gen" compares the adapted and the plain decode inside the defect after clamping both to
 * [-1, 1] (what the paste shows); background and seam errors are on the unclamped decodes.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runIfMain } from './standalone';
import * as ortWeb from 'onnxruntime-web';
import { createNodeRuntime } from '../src/core/models/ort-node.node.ts';
import { createWebRuntime, type WebOrtModule } from '../src/core/models/ort-web';
import type { Runtime } from '../src/core/models/runtime';
import type { FinalConv } from '../src/core/models/onnx/decoder-head';
import {
  adaptDecoderHead,
  createDecoderAdapter,
  edgeMetrics,
  createRuntimeGram,
  maskedMse,
  mulberry32,
  type GramKernel,
  DEFAULT_ADAPTATION,
} from '../src/core/diffusion/adaptation';
import type { AdaptationReport, AdaptationSettings } from '../src/core/diffusion/types';

const ROOT = resolve(import.meta.dirname, '..');
const SAMPLES = join(ROOT, 'bench', 'results', 'adaptation', 'samples');
export const SETTINGS: AdaptationSettings = { ...DEFAULT_ADAPTATION };
const SWEEP_MU = [1e-3, 1e3, 1e4, 1e5, 1e6];
/** The reference loss first (rim weight 0), then the rim term at a few weights (adapter.ts, EDGE_BAND). */
const RIM_VARIANTS = [
  { label: 'reference loss', weight: 0, px: 2 },
  ...[3, 10, 30, 100, 300].map((weight) => ({ label: `rim term w=${weight}, 2 px`, weight, px: 2 })),
  { label: 'rim term w=30, 1 px', weight: 30, px: 1 },
];

/** Mean |a - b| in 8-bit levels inside the mask, both clamped and rounded as the paste writes them. */
function levelChange(a: Float32Array, b: Float32Array, mask: Uint8Array): number {
  const plane = mask.length;
  const lv = (v: number) => Math.min(255, Math.max(0, Math.round((v + 1) * 127.5)));
  let s = 0;
  let n = 0;
  for (let i = 0; i < plane; i++) {
    if (!mask[i]) continue;
    for (let c = 0; c < 3; c++) s += Math.abs(lv(a[c * plane + i]) - lv(b[c * plane + i]));
    n += 3;
  }
  return n ? s / n : NaN;
}
const SWEEP_N = 20;

const clamp = (a: Float32Array) => a.map((v) => Math.max(-1, Math.min(1, v)));

type Row = Record<string, string | number>;

interface SampleMeta {
  name: string;
  family: string;
  defect: string;
  latentShape: [number, number, number];
  width: number;
  height: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const f32 = (p: string) => {
  const b = readFileSync(p);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

async function quality(runtime: Runtime): Promise<{ rows: Row[]; detail: unknown[] }> {
  const rows: Row[] = [];
  const detail: unknown[] = [];
  if (!existsSync(SAMPLES)) return { rows, detail };
  for (const id of readdirSync(SAMPLES)) {
    const dir = join(SAMPLES, id);
    const metaPath = join(dir, 'samples.json');
    if (!existsSync(metaPath)) continue;
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as {
      packDir: string;
      decoder: string;
      latentScale: number;
      samples: SampleMeta[];
    };
    const decPath = join(meta.packDir, meta.decoder);
    if (!existsSync(decPath)) continue;
    const handle = await createDecoderAdapter(runtime, new Uint8Array(readFileSync(decPath)), { latentScale: meta.latentScale });
    if (!handle.adapter) continue;
    const per: {
      name: string;
      family: string;
      defect: string;
      bgBefore: number;
      bgAfter: number;
      seamBefore: number;
      seamAfter: number;
      defectVsGen: number;
      ms: number;
      /** Final output (the paste), per variant: edge step, rim error, change inside vs the plain decode (levels). */
      out: Record<string, { edge: number; rim: number; change: number; contrast: number }>;
      inputEdge: number;
    }[] = [];
    for (const s of meta.samples) {
      const latent = f32(join(dir, `${s.name}.latent.f32`));
      const xGen = f32(join(dir, `${s.name}.xgen.f32`));
      const xOk = f32(join(dir, `${s.name}.xok.f32`));
      const defect = new Uint8Array(readFileSync(join(dir, `${s.name}.defect.u8`)));
      const args = { latent, latentShape: s.latentShape, xGen, xOk, defect, width: s.width, height: s.height, settings: SETTINGS };
      const plain = edgeMetrics(xGen, xOk, defect, s.width, s.height);
      const out: Record<string, { edge: number; rim: number; change: number; contrast: number }> = {
        none: { edge: plain.edgeStep, rim: plain.innerBand, change: 0, contrast: levelChange(xGen, xOk, defect) },
      };
      let first: { image: Float32Array; report: AdaptationReport } | undefined;
      for (const v of RIM_VARIANTS) {
        const r = await handle.adapter.adapt({ ...args, edgeBand: { weight: v.weight, px: v.px } });
        first ??= r;
        out[v.label] = {
          edge: r.report.edgeStepAfter!,
          rim: r.report.innerBandAfter!,
          change: levelChange(r.image, xGen, defect),
          contrast: levelChange(r.image, xOk, defect),
        };
      }
      const { image, report } = first!;
      per.push({
        name: s.name,
        family: s.family,
        defect: s.defect,
        bgBefore: report.backgroundMseBefore!,
        bgAfter: report.backgroundMseAfter!,
        seamBefore: report.seamMseBefore!,
        seamAfter: report.seamMseAfter!,
        defectVsGen: maskedMse(clamp(image), clamp(xGen), defect),
        ms: report.ms!,
        out,
        inputEdge: plain.inputEdgeStep,
      });
    }
    // What the user receives: the pasted result (input outside the defect), with no adaptation, the reference loss
    // and the rim term; in 8-bit levels at 256x256 (the samples' native size, so this is the output image).
    for (const label of ['none', ...RIM_VARIANTS.map((v) => v.label)]) {
      rows.push({
        case: `final output ${id}`,
        method: label === 'none' ? 'no adaptation (plain decode pasted)' : `closed form, ${label}`,
        samples: per.length,
        'edge step (levels)': +mean(per.map((p) => p.out[label].edge)).toFixed(3),
        "input's own step there": +mean(per.map((p) => p.inputEdge)).toFixed(3),
        'edge step lower than none': label === 'none' ? '' : `${per.filter((p) => p.out[label].edge < p.out.none.edge).length}/${per.length}`,
        'rim |out - input| (levels)': +mean(per.map((p) => p.out[label].rim)).toFixed(3),
        'change inside vs plain (levels)': +mean(per.map((p) => p.out[label].change)).toFixed(3),
        // how much defect is left: the generated region's difference from the input it replaces
        'defect |out - input| (levels)': +mean(per.map((p) => p.out[label].contrast)).toFixed(3),
      });
    }
    if (process.env.ADAPT_BENCH_SWEEP !== '0') {
      for (const mu of SWEEP_MU) {
        const acc = { bgB: 0, bgA: 0, seB: 0, seA: 0, d: 0 };
        const subset = meta.samples.slice(0, SWEEP_N);
        for (const s of subset) {
          const xGen = f32(join(dir, `${s.name}.xgen.f32`));
          const defect = new Uint8Array(readFileSync(join(dir, `${s.name}.defect.u8`)));
          const { image, report } = await handle.adapter.adapt({
            latent: f32(join(dir, `${s.name}.latent.f32`)),
            latentShape: s.latentShape,
            xGen,
            xOk: f32(join(dir, `${s.name}.xok.f32`)),
            defect,
            width: s.width,
            height: s.height,
            settings: { ...SETTINGS, mu },
          });
          acc.bgB += report.backgroundMseBefore!;
          acc.bgA += report.backgroundMseAfter!;
          acc.seB += report.seamMseBefore!;
          acc.seA += report.seamMseAfter!;
          acc.d += maskedMse(clamp(image), clamp(xGen), defect);
        }
        const n = subset.length;
        rows.push({
          case: `mu sweep ${id}`,
          method: `closed form, mu = ${mu}`,
          samples: n,
          'bg reduction %': +(100 * (1 - acc.bgA / acc.bgB)).toFixed(1),
          'seam reduction %': +(100 * (1 - acc.seA / acc.seB)).toFixed(1),
          'defect MSE vs x_gen': +(acc.d / n).toFixed(6),
        });
      }
    }
    await handle.release();
    const refPath = join(dir, 'reference.json');
    const ref = existsSync(refPath)
      ? (JSON.parse(readFileSync(refPath, 'utf8')) as {
          iters: number;
          results: { name: string; seconds: number; backgroundMseAfter: number; seamMseAfter: number; defectMseVsGen: number }[];
        })
      : undefined;
    const summarise = (subset: typeof per, label: string) => {
      const bgB = mean(subset.map((p) => p.bgBefore));
      const bgA = mean(subset.map((p) => p.bgAfter));
      const seB = mean(subset.map((p) => p.seamBefore));
      const seA = mean(subset.map((p) => p.seamAfter));
      rows.push({
        case: `quality ${id} ${label}`,
        method: 'closed form (final conv)',
        samples: subset.length,
        'bg MSE before': +bgB.toFixed(6),
        'bg MSE after': +bgA.toFixed(6),
        'bg reduction %': +(100 * (1 - bgA / bgB)).toFixed(1),
        'seam MSE before': +seB.toFixed(6),
        'seam MSE after': +seA.toFixed(6),
        'seam reduction %': +(100 * (1 - seA / seB)).toFixed(1),
        'bg improved': `${subset.filter((p) => p.bgAfter < p.bgBefore).length}/${subset.length}`,
        'seam improved': `${subset.filter((p) => p.seamAfter < p.seamBefore).length}/${subset.length}`,
        'defect MSE vs x_gen': +mean(subset.map((p) => p.defectVsGen)).toFixed(6),
        'ms / image': +mean(subset.map((p) => p.ms)).toFixed(1),
      });
    };
    summarise(per, 'all');
    if (ref) {
      const names = new Set(ref.results.map((r) => r.name));
      const subset = per.filter((p) => names.has(p.name));
      summarise(subset, 'reference subset');
      const byName = new Map(ref.results.map((r) => [r.name, r]));
      const rBg = mean(subset.map((p) => byName.get(p.name)!.backgroundMseAfter));
      const rSe = mean(subset.map((p) => byName.get(p.name)!.seamMseAfter));
      const bgB = mean(subset.map((p) => p.bgBefore));
      const seB = mean(subset.map((p) => p.seamBefore));
      const cBg = mean(subset.map((p) => p.bgAfter));
      const cSe = mean(subset.map((p) => p.seamAfter));
      const rMs = 1000 * mean(subset.map((p) => byName.get(p.name)!.seconds));
      const cMs = mean(subset.map((p) => p.ms));
      rows.push({
        case: `quality ${id} reference subset`,
        method: `PyTorch AdamW, all decoder weights, ${ref.iters} it`,
        samples: subset.length,
        'bg MSE before': +bgB.toFixed(6),
        'bg MSE after': +rBg.toFixed(6),
        'bg reduction %': +(100 * (1 - rBg / bgB)).toFixed(1),
        'seam MSE before': +seB.toFixed(6),
        'seam MSE after': +rSe.toFixed(6),
        'seam reduction %': +(100 * (1 - rSe / seB)).toFixed(1),
        'bg improved': `${subset.filter((p) => byName.get(p.name)!.backgroundMseAfter < p.bgBefore).length}/${subset.length}`,
        'seam improved': `${subset.filter((p) => byName.get(p.name)!.seamMseAfter < p.seamBefore).length}/${subset.length}`,
        'defect MSE vs x_gen': +mean(subset.map((p) => byName.get(p.name)!.defectMseVsGen)).toFixed(6),
        'ms / image': +rMs.toFixed(1),
      });
      rows.push({
        case: `quality ${id} ratio closed form / reference`,
        method: 'ratio',
        samples: subset.length,
        'bg reduction ratio': +((bgB - cBg) / (bgB - rBg)).toFixed(3),
        'seam reduction ratio': +((seB - cSe) / (seB - rSe)).toFixed(3),
        'time ratio': +(cMs / rMs).toFixed(5),
        'speed-up': +(rMs / cMs).toFixed(1),
      });
    }
    detail.push({ pack: id, samples: per, reference: ref?.results });
  }
  return { rows, detail };
}

function syntheticFinalConv(c: number): FinalConv {
  const rand = mulberry32(c);
  const weight = Float32Array.from({ length: 3 * c * 9 }, () => (rand() - 0.5) * 0.1);
  return {
    nodeName: 'conv_out',
    outputName: 'sample',
    featuresName: 'features',
    featuresType: 'float32',
    tail: [],
    weight,
    bias: new Float32Array(3),
    weightType: 'float32',
    weightDims: [3, c, 3, 3],
    pads: [1, 1, 1, 1],
    autoPad: 'NOTSET',
    strides: [1, 1],
    dilations: [1, 1],
    group: 1,
  };
}

async function speed(kernels: { name: string; gram?: GramKernel }[], quick: boolean): Promise<Row[]> {
  const rows: Row[] = [];
  const size = 256;
  for (const c of [16, 128]) {
    const rand = mulberry32(100 + c);
    const features = Float32Array.from({ length: c * size * size }, () => Math.max(0, rand() * 2 - 0.5));
    const conv = syntheticFinalConv(c);
    const xOk = Float32Array.from({ length: 3 * size * size }, () => rand() * 2 - 1);
    const xGen = Float32Array.from(xOk, (v) => v + (rand() - 0.5) * 0.1);
    const defect = new Uint8Array(size * size);
    for (let y = 100; y < 150; y++) for (let x = 90; x < 170; x++) defect[y * size + x] = 1;
    for (const k of kernels) {
      if (quick && c === 128 && !k.gram) continue;
      const runs: number[] = [];
      const cpu: number[] = [];
      const reps = c === 128 ? 2 : 3;
      for (let r = 0; r < reps; r++) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await adaptDecoderHead({
          features,
          featuresShape: [c, size, size],
          conv,
          xGen,
          xOk,
          defect,
          width: size,
          height: size,
          settings: SETTINGS,
          gram: k.gram,
        });
        runs.push(performance.now() - t0);
        const dc = process.cpuUsage(c0);
        cpu.push((dc.user + dc.system) / 1000);
      }
      rows.push({
        case: `speed 256x256 C=${c} (${c * 9 + 1} unknowns)`,
        method: k.name,
        samples: Math.min(SETTINGS.maxSamples, size * size),
        'ms / image': +Math.min(...runs).toFixed(1),
        // CPU time of this process (all its threads): robust to other load on the machine
        'CPU ms / image': +Math.min(...cpu).toFixed(1),
      });
    }
  }
  return rows;
}

export default async function bench(): Promise<Row[]> {
  const quick = process.env.ADAPT_BENCH_QUICK === '1';
  const native = createNodeRuntime();
  const { rows: qRows, detail } = await quality(native);
  const nativeGram = await createRuntimeGram(native);
  const webRuntime = createWebRuntime(ortWeb as unknown as WebOrtModule, { backend: 'wasm', numThreads: 1 });
  let webGram: Awaited<ReturnType<typeof createRuntimeGram>> | undefined;
  try {
    webGram = await createRuntimeGram(webRuntime);
  } catch (e) {
    console.warn(`onnxruntime-web WASM unavailable in Node: ${(e as Error).message}`);
  }
  const kernels: { name: string; gram?: GramKernel }[] = [
    { name: 'CLI: onnxruntime-node Gemm + TS Cholesky/conv' },
    ...(webGram ? [{ name: 'WASM: onnxruntime-web Gemm (1 thread) + TS', gram: webGram.gram }] : []),
    { name: 'pure TypeScript float64 Gram' },
  ];
  kernels[0].gram = nativeGram.gram;
  const sRows = process.env.ADAPT_BENCH_SPEED === '0' ? [] : await speed(kernels, quick);
  await nativeGram.release();
  await webGram?.release();
  const rows = [...qRows, ...sRows];
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'adaptation.json'), JSON.stringify({ settings: SETTINGS, rows, detail }, null, 1));
  return rows;
}

runIfMain(import.meta.url, bench);
