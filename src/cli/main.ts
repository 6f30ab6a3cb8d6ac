/**
 * `defect-studio generate ...`: the same core pipeline as the browser Worker, on onnxruntime-node (or
 * onnxruntime-web's WASM build with --backend wasm). Writes image.png, mask.png and meta.json into --out;
 * any bad input exits non-zero with one line on stderr and writes nothing.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { requestDefaults } from '../core/diffusion/defaults';
import { generate, InputError } from '../core/diffusion/pipeline';
import type { DecoderAdapter, GenerateRequest } from '../core/diffusion/types';
import { PackError } from '../core/models/errors';
import { loadPack } from '../core/models/pack';
import { FsPackSource } from '../core/models/pack-source.node.ts';
import type { Runtime } from '../core/models/runtime';
import { decodePngRGBA, encodePngGray, encodePngRGBA } from '../core/png';
import { decodeTrimapPng } from '../core/trimap/png';
import { USAGE, UsageError, parseGenerateArgs, type GenerateArgs } from './args';

export async function createRuntime(backend: 'native' | 'wasm'): Promise<Runtime> {
  if (backend === 'wasm') {
    const ort = await import('onnxruntime-web/wasm');
    const { createWebRuntime } = await import('../core/models/ort-web');
    return createWebRuntime(ort as unknown as Parameters<typeof createWebRuntime>[0], { backend: 'wasm', numThreads: 1 });
  }
  const { createNodeRuntime } = await import('../core/models/ort-node.node.ts');
  return createNodeRuntime();
}

async function readInput(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read ${what} ${path}${code === 'ENOENT' ? ': no such file' : code ? `: ${code}` : ''}`);
  }
}

function decodeOr<T>(fn: () => T, what: string, path: string): T {
  try {
    return fn();
  } catch (e) {
    throw new InputError(`${what} ${path} is ${(e as Error).message.replace(/^not a/, 'not a')}`);
  }
}

export async function runGenerate(args: GenerateArgs, signal?: AbortSignal): Promise<{ outDir: string; meta: Record<string, unknown> }> {
  const t0 = performance.now();
  const imageBytes = await readInput(args.image, 'image');
  const trimapBytes = await readInput(args.trimap, 'trimap');
  const image = decodeOr(() => decodePngRGBA(imageBytes), 'image', args.image);
  const trimap = decodeOr(() => decodeTrimapPng(trimapBytes), 'trimap', args.trimap);
  if (trimap.width !== image.width || trimap.height !== image.height) {
    throw new InputError(`trimap size ${trimap.width}x${trimap.height} does not match the image size ${image.width}x${image.height}`);
  }
  if (!trimap.data.includes(2)) throw new InputError(`trimap ${args.trimap} has no defect region (no pixel > 200)`);
  if (!existsSync(join(args.model, 'defect-studio.json'))) {
    throw new PackError(`not a model pack: ${args.model}`, { file: 'defect-studio.json', found: 'no such file' });
  }

  const runtime = await createRuntime(args.backend);
  const tLoad = performance.now();
  const pack = await loadPack(new FsPackSource(args.model), runtime);
  const loadMs = performance.now() - tLoad;
  let adapterRelease: (() => Promise<void>) | null = null;
  try {
    let adapter: DecoderAdapter | undefined;
    let adapterNotice: string | undefined;
    if (args.adapt) {
      try {
        const { createDecoderAdapter } = await import('../core/diffusion/adaptation');
        const decFile = pack.io.vaeDecoder.file;
        const src = new FsPackSource(args.model);
        const externalData = await Promise.all(
          Object.keys(pack.manifest.files)
            .filter((f) => f.startsWith('vae_decoder/') && /(_data|\.data)$/.test(f))
            .map(async (f) => ({ path: f.slice('vae_decoder/'.length), data: await src.readFile(f) })),
        );
        const handle = await createDecoderAdapter(runtime, await src.readFile(decFile), {
          latentScale: pack.manifest.latentScale,
          externalData: externalData.length ? externalData : undefined,
        });
        adapter = handle.adapter ?? undefined;
        adapterNotice = handle.notice;
        adapterRelease = () => handle.release();
      } catch (e) {
        adapterNotice = `decoder adaptation unavailable: ${(e as Error).message}`;
      }
    }
    const defaults = requestDefaults(pack.manifest);
    const request: GenerateRequest = {
      ...defaults,
      image,
      trimap,
      prompt: args.prompt,
      negativePrompt: args.negativePrompt,
      seed: args.seed ?? 0,
      steps: args.steps ?? defaults.steps,
      guidance: args.guidance ?? defaults.guidance,
      scheduler: args.scheduler ?? defaults.scheduler,
      eta: args.eta ?? defaults.eta,
      contextMargin: args.margin ?? defaults.contextMargin,
      adaptation: { ...defaults.adaptation, enabled: args.adapt && !!adapter },
    };
    const result = await generate(pack, request, { signal, adapter });
    const meta: Record<string, unknown> = {
      tool: 'defect-studio generate',
      prompt: request.prompt,
      negativePrompt: request.negativePrompt ?? '',
      seed: request.seed,
      settings: {
        steps: request.steps,
        guidance: request.guidance,
        scheduler: request.scheduler,
        eta: request.eta,
        stages: request.stages,
        latentDilation: request.latentDilation,
        contextMargin: request.contextMargin,
        adaptation: request.adaptation,
        backend: runtime.name,
      },
      model: { id: pack.manifest.id, name: pack.manifest.name, sha256: pack.sha256, conditioning: pack.manifest.conditioning },
      input: { image: resolve(args.image), trimap: resolve(args.trimap), width: image.width, height: image.height },
      crop: result.crop,
      adaptation: result.adaptation ?? (adapterNotice ? { applied: false, notice: adapterNotice } : undefined),
      timings: { ...result.timings, load: loadMs, cli: performance.now() - t0 },
    };
    const files: [string, Uint8Array][] = [
      ['image.png', encodePngRGBA(result.image)],
      ['mask.png', encodePngGray(image.width, image.height, result.mask)],
      ['meta.json', new TextEncoder().encode(JSON.stringify(meta, null, 2) + '\n')],
    ];
    // Write next to the destination, then rename: nothing half-written on failure.
    await mkdir(args.out, { recursive: true });
    const tmp = files.map(([name]) => join(args.out, `.${name}.${process.pid}.tmp`));
    try {
      for (let i = 0; i < files.length; i++) await writeFile(tmp[i], files[i][1]);
      for (let i = 0; i < files.length; i++) await rename(tmp[i], join(args.out, files[i][0]));
    } catch (e) {
      for (const t of tmp) await rm(t, { force: true });
      throw e;
    }
    return { outDir: args.out, meta };
  } finally {
    await adapterRelease?.().catch(() => undefined);
    await pack.release();
  }
}

/** Exit code: 0 ok, 1 bad input / pack / failure, 2 usage, 130 interrupted. */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(USAGE + '\n');
    return cmd ? 0 : 2;
  }
  if (cmd !== 'generate') {
    process.stderr.write(`defect-studio: unknown command "${cmd}"\n${USAGE}\n`);
    return 2;
  }
  const ctrl = new AbortController();
  const onSigint = () => ctrl.abort();
  process.once('SIGINT', onSigint);
  try {
    const args = parseGenerateArgs(rest);
    const { outDir, meta } = await runGenerate(args, ctrl.signal);
    const t = meta.timings as Record<string, number>;
    process.stdout.write(`wrote ${join(outDir, 'image.png')}, mask.png, meta.json (${(t.total / 1000).toFixed(2)} s)\n`);
    return 0;
  } catch (e) {
    const err = e as Error;
    const line = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim();
    if (err instanceof UsageError) {
      process.stderr.write(`defect-studio: ${line(err.message)}\n`);
      return 2;
    }
    if (err?.name === 'AbortError') {
      process.stderr.write('defect-studio: interrupted, nothing written\n');
      return 130;
    }
    const kind = err instanceof PackError ? 'model pack' : err instanceof InputError ? 'input' : 'error';
    process.stderr.write(`defect-studio: ${kind}: ${line(err?.message ?? String(e))}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
