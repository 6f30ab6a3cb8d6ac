/**
 * One full-size pack on onnxruntime-node, in its own process so that its peak resident memory is its own
 * (started by bench/full-size.bench.ts; alone: `node --import tsx bench/full-size-node.ts PACK_DIR [RUNS]`).
 * Prints one JSON line: load time, resident memory after loading and its peak so far (VmHWM), then per
 * evaluation with guidance's batch of 2 at the pack's native resolution: the ControlNet (batch 1, as
 * src/core/diffusion/pipeline.ts runs it, its 13 residuals repeated to the batch) and the UNet; the first
 * run (ORT's allocations) and the next ones separately; the peak resident memory at the end.
 */
import { readFileSync } from 'node:fs';
import {
  buildTokenizer,
  createSessions,
  loadPack,
  readPackFiles,
  readPackManifest,
  readSchedulerConfig,
  verifiedReader,
  type LoadedPack,
} from '../src/core/models/pack';
import { resolvePackIO } from '../src/core/models/pack-io';
import type { Runtime } from '../src/core/models/runtime';
import { FsPackSource } from '../src/core/models/pack-source.node.ts';
import { createNodeRuntime } from '../src/core/models/ort-node.node.ts';
import { makeTensor } from '../src/core/models/tensor';
import type { TensorData } from '../src/core/models/runtime';

/** Resident and peak resident bytes of this process (Linux /proc; process.memoryUsage elsewhere). */
export function memory(): { rss: number; peak: number } {
  try {
    const s = readFileSync('/proc/self/status', 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    const rss = process.memoryUsage().rss;
    return { rss, peak: process.resourceUsage().maxRSS * 1024 };
  }
}

/**
 * The loader as it was before issue 15's memory discipline (for the before/after peak): every listed file
 * read and verified first, the map of all file bytes kept alive for the pack's lifetime (the old loadPack's
 * closure kept it), sessions created from it. The same named steps as loadPack otherwise.
 */
async function loadPackHoldingFiles(dir: string, runtime: Runtime): Promise<LoadedPack & { held: unknown }> {
  const source = new FsPackSource(dir);
  const { manifest } = await readPackManifest(source);
  const read = verifiedReader(source, manifest);
  const files = await readPackFiles(manifest, read);
  const tokenizer = buildTokenizer(manifest, files);
  readSchedulerConfig(files);
  const sessions = await createSessions(runtime, manifest, async (n) => files.get(n)!);
  const io = resolvePackIO(sessions, manifest, tokenizer.maxLength);
  return {
    manifest,
    tokenizer,
    io,
    latentSize: manifest.resolution / manifest.vaeScaleFactor,
    held: files,
    release: async () => {
      for (const s of Object.values(sessions)) await s?.session.release();
    },
  } as unknown as LoadedPack & { held: unknown };
}

async function main() {
  const dir = process.argv[2];
  const runs = Number(process.argv[3] ?? 2);
  // loadPack: onnxruntime-node creates each session from the verified file's path; `bytes`: the same loader
  // handing each model's bytes over (as before sessions by path; what onnxruntime-web gets).
  const mode = process.env.FULLSIZE_LOADER;
  const loader = mode === 'hold-all' ? 'hold-all (before)' : mode === 'bytes' ? 'loadPack, bytes (before)' : 'loadPack';
  if (!dir) throw new Error('usage: full-size-node.ts PACK_DIR [RUNS]');
  const before = memory();
  const t0 = performance.now();
  const rt = createNodeRuntime();
  const bytesOnly = { name: rt.name, createSession: rt.createSession };
  const pack = mode === 'hold-all' ? await loadPackHoldingFiles(dir, rt) : await loadPack(new FsPackSource(dir), mode === 'bytes' ? bytesOnly : rt);
  const loadMs = performance.now() - t0;
  const afterLoad = memory();
  const u = pack.io.unet;
  const L = pack.latentSize;
  const R = pack.manifest.resolution;
  const C = pack.manifest.latentChannels;
  const seq = pack.tokenizer.maxLength;
  const ctxDim = pack.io.textEncoder.hiddenDim ?? 768;
  const fill = (type: string, dims: number[], v = 0.1) => makeTensor(type, new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(v), dims);
  const ts = (type: string, rank: number, fixed: number | null, n: number) =>
    rank === 0 ? makeTensor(type, [999], []) : makeTensor(type, new Array(fixed ?? n).fill(999), [fixed ?? n]);
  const B = u.batch ?? 2;
  const unetMs: number[] = [];
  const controlnetMs: number[] = [];
  for (let r = 0; r < runs; r++) {
    const feeds: Record<string, TensorData> = {
      sample: fill(u.sampleType, [B, u.inChannels, L, L]),
      timestep: ts(u.timestepType, u.timestepRank, u.timestepLength, B),
      encoder_hidden_states: fill(u.hiddenType, [B, seq, ctxDim], 0.01),
    };
    const cn = pack.io.controlnet;
    if (cn) {
      const t1 = performance.now();
      const out = await cn.session.run({
        sample: fill(cn.sampleType, [1, C, L, L]),
        timestep: ts(cn.timestepType, cn.timestepRank, cn.timestepLength, 1),
        encoder_hidden_states: fill(cn.hiddenType, [1, seq, ctxDim], 0.01),
        controlnet_cond: fill(cn.condType, [1, 3, R, R], 0.5),
      });
      controlnetMs.push(performance.now() - t1);
      cn.outputs.forEach((name, k) => {
        const res = out[name];
        const src = res.data as Float32Array | Uint16Array;
        const data = new (src.constructor as Float32ArrayConstructor | Uint16ArrayConstructor)(src.length * B);
        for (let b = 0; b < B; b++) data.set(src, b * src.length);
        feeds[u.residualInputs[k]] = { type: res.type, data, dims: [B, ...res.dims.slice(1)] };
      });
    }
    const t1 = performance.now();
    await u.session.run(feeds);
    unetMs.push(performance.now() - t1);
  }
  const end = memory();
  // What a one-shot run frees after conditioning and the last encode (pipeline releaseAfterUse).
  let rssAfterReleases: number | null = null;
  if (mode !== 'hold-all') {
    await pack.releaseModel('text_encoder');
    await pack.releaseModel('vae_encoder');
    rssAfterReleases = memory().rss;
  }
  await pack.release();
  process.stdout.write(
    JSON.stringify({
      pack: pack.manifest.id,
      loader,
      batch: B,
      latent: L,
      rssBefore: before.rss,
      loadMs,
      rssAfterLoad: afterLoad.rss,
      peakAfterLoad: afterLoad.peak,
      unetMs,
      controlnetMs,
      rssEnd: end.rss,
      peakEnd: end.peak,
      rssAfterReleases,
    }) + '\n',
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
