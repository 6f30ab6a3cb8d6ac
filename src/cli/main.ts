/**
 * `defect-studio generate ...`: the same core pipeline as the browser Worker, on onnxruntime-node (or
 * onnxruntime-web's WASM build with --backend wasm). Writes image.png, mask.png and meta.json into --out;
 * any bad input exits non-zero with one line on stderr and writes nothing.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { InputError } from '../core/diffusion/pipeline';
import { PackError } from '../core/models/errors';
import { encodePngGray } from '../core/png';
import { recordToBytes, type ExportRecord } from '../core/export/record';
import { USAGE, isUsageError, parseGenerateArgs, type GenerateArgs } from './args';
import { buildRequest, decodeImageAndTrimap, encodeResultImage, generationRecord, openGenerator, readInput, runRequest } from './generator';

export async function runGenerate(args: GenerateArgs, signal?: AbortSignal): Promise<{ outDir: string; meta: ExportRecord }> {
  const t0 = performance.now();
  const imageBytes = await readInput(args.image, 'image');
  const trimapBytes = await readInput(args.trimap, 'trimap');
  const { image, trimap, source } = decodeImageAndTrimap(imageBytes, trimapBytes, args.image, args.trimap);
  const gen = await openGenerator(args.model, args.backend, args.settings.adaptation !== false);
  try {
    const request = buildRequest(gen, image, trimap, args.settings);
    const result = await runRequest(gen, request, signal);
    const meta = generationRecord(gen, request, result, {
      sourceName: basename(args.image),
      files: { image: 'image.png', mask: 'mask.png' },
      timings: { ...result.timings, load: gen.loadMs, cli: performance.now() - t0 },
    });
    const files: [string, Uint8Array][] = [
      ['image.png', encodeResultImage(source, result)],
      ['mask.png', encodePngGray(image.width, image.height, result.mask)],
      ['meta.json', recordToBytes(meta)],
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

/**
 * Text for the terminal: names from a pack's manifest or a path could carry escape sequences or bidi
 * controls; every control character becomes a visible escape (\x1b, \u202e), line breaks a space.
 */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\r\n\t]+/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
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
    process.stdout.write(`wrote ${printable(join(outDir, 'image.png'))}, mask.png, meta.json (${((meta.timings?.total ?? 0) / 1000).toFixed(2)} s)\n`);
    return 0;
  } catch (e) {
    const err = e as Error;
    const line = (s: string) => printable(s.replace(/\s*\n\s*/g, ' ').trim());
    if (isUsageError(err)) {
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
