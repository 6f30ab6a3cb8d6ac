/**
 * `defect-studio generate ...`: the same core pipeline as the browser Worker, on onnxruntime-node (or
 * onnxruntime-web's WASM build with --backend wasm). Writes image.png, mask.png and meta.json into --out;
 * any bad input exits non-zero with one line on stderr and writes nothing.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InputError } from '../core/diffusion/pipeline';
import { PackError } from '../core/models/errors';
import { encodePngGray } from '../core/png';
import { USAGE, UsageError, parseGenerateArgs, type GenerateArgs } from './args';
import { buildRequest, decodeImageAndTrimap, encodeResultImage, openGenerator, readInput, runRequest, settingsRecord } from './generator';

export async function runGenerate(args: GenerateArgs, signal?: AbortSignal): Promise<{ outDir: string; meta: Record<string, unknown> }> {
  const t0 = performance.now();
  const imageBytes = await readInput(args.image, 'image');
  const trimapBytes = await readInput(args.trimap, 'trimap');
  const { image, trimap, source } = decodeImageAndTrimap(imageBytes, trimapBytes, args.image, args.trimap);
  const gen = await openGenerator(args.model, args.backend, args.adapt);
  try {
    const request = buildRequest(gen, image, trimap, args.prompt, args);
    const result = await runRequest(gen, request, signal);
    const pack = gen.pack;
    const meta: Record<string, unknown> = {
      tool: 'defect-studio generate',
      prompt: request.prompt,
      negativePrompt: request.negativePrompt ?? '',
      seed: request.seed,
      settings: settingsRecord(gen, request),
      model: { id: pack.manifest.id, name: pack.manifest.name, sha256: pack.sha256, conditioning: pack.manifest.conditioning },
      input: { image: resolve(args.image), trimap: resolve(args.trimap), width: image.width, height: image.height },
      crop: result.crop,
      adaptation: result.adaptation,
      timings: { ...result.timings, load: gen.loadMs, cli: performance.now() - t0 },
    };
    const files: [string, Uint8Array][] = [
      ['image.png', encodeResultImage(source, result)],
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
    await gen.release();
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
