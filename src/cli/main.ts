/**
 * `defect-studio generate ...`: the same core pipeline as the browser Worker, on onnxruntime-node (or
 * onnxruntime-web's WASM build with --backend wasm). Writes image.png, mask.png and meta.json into --out;
 * any bad input exits non-zero with one line on stderr and writes nothing.
 */
import { basename, join } from 'node:path';
import { errorCode } from '../core/errors';
import { encodePngGray } from '../core/png';
import { recordToBytes, type ExportRecord } from '../core/export/record';
import { USAGE, isUsageError, parseGenerateArgs, type GenerateArgs } from './args';
import { checkOutDir, commitOutDir } from './output';
import { buildRequest, decodeImageAndTrimap, encodeResultImage, generationRecord, openGenerator, readInput, runRequest } from './generator';
import { BATCH_USAGE, batchCommand, mergeCommand } from './batch';
import { JOBS_USAGE, jobsCommand } from './make-jobs';
import { PACK_USAGE, packCommand } from './pack';
import { FINETUNE_USAGE, finetuneCommand } from './finetune';

export async function runGenerate(args: GenerateArgs, signal?: AbortSignal): Promise<{ outDir: string; meta: ExportRecord }> {
  const t0 = performance.now();
  // --out first: a file, a folder of other files, an input inside it, or no way to create it ends here.
  const outDir = checkOutDir(args.out, [args.image, args.trimap, args.model]);
  const imageBytes = await readInput(args.image, 'image');
  const trimapBytes = await readInput(args.trimap, 'trimap');
  const { image, trimap, source } = decodeImageAndTrimap(imageBytes, trimapBytes, args.image, args.trimap);
  const gen = await openGenerator(args.model, args.backend, args.settings.adaptation !== false);
  try {
    const request = buildRequest(gen, image, trimap, args.settings);
    const result = await runRequest(gen, request, signal, true); // one image: free each model after its last use
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
    // All three files as one set, swapped in together (src/cli/output.ts).
    await commitOutDir(outDir, files);
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

const COMMANDS = ['generate', 'batch', 'jobs', 'merge', 'pack', 'finetune'];

function fullUsage(): string {
  return [USAGE, BATCH_USAGE, JOBS_USAGE, PACK_USAGE, FINETUNE_USAGE].join('\n');
}

/** Exit code: 0 ok, 1 bad input / pack / failure (batch: any failed job), 2 usage, 130 interrupted (143 on SIGTERM). */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(fullUsage() + '\n');
    return cmd ? 0 : 2;
  }
  if (!COMMANDS.includes(cmd)) {
    process.stderr.write(`defect-studio: unknown command "${cmd}"\n${fullUsage()}\n`);
    return 2;
  }
  // Ctrl-C and SIGTERM stop the run within a step; the output folder is untouched (nothing half-written).
  const ctrl = new AbortController();
  let signalExit = 130;
  const onSigint = () => ctrl.abort();
  const onSigterm = () => {
    signalExit = 143;
    ctrl.abort();
  };
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigterm);
  try {
    if (cmd === 'batch') {
      const code = await batchCommand(rest, ctrl.signal);
      return code === 130 ? signalExit : code;
    }
    if (cmd === 'jobs') return await jobsCommand(rest);
    if (cmd === 'merge') return await mergeCommand(rest);
    if (cmd === 'pack') return await packCommand(rest);
    if (cmd === 'finetune') {
      const code = await finetuneCommand(rest, ctrl.signal);
      return code === 130 ? signalExit : code;
    }
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
    if (errorCode(err) === 'aborted') {
      process.stderr.write('defect-studio: interrupted, nothing written\n');
      return signalExit;
    }
    const code = errorCode(err);
    const kind = code === 'pack' ? 'model pack' : code === 'input' ? 'input' : code === 'out-of-memory' ? 'out of memory' : 'error';
    process.stderr.write(`defect-studio: ${kind}: ${line(err?.message ?? String(e))}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  }
}
