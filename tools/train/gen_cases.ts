/**
 * Generate every case of an evaluation list with the app's own pipeline (the CLI's generator: one pack load,
 * onnxruntime-node, the pack's defaults, decoder adaptation on, paste-back), for tools/train/evaluate_photos.py.
 *
 *   node --import tsx tools/train/gen_cases.ts CASES.tsv PACK_DIR [--steps N] [--no-adapt]
 * CASES.tsv: input.png <TAB> trimap.png <TAB> output.png <TAB> prompt <TAB> seed   (one case a line)
 * Prints one JSON line at the end: cases, seconds per case, load ms.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { encodePngRGBA } from '../../src/core/png';
import { buildRequest, decodeImageAndTrimap, openGenerator, runRequest } from '../../src/cli/generator';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const [list, model] = args;
  const steps = args.includes('--steps') ? Number(args[args.indexOf('--steps') + 1]) : undefined;
  const adapt = !args.includes('--no-adapt');
  const lines = (await readFile(list, 'utf8')).split('\n').filter((l) => l.trim());
  const gen = await openGenerator(model, 'native', adapt, { threads: Number(process.env.DS_THREADS ?? 1) });
  const t0 = performance.now();
  let n = 0;
  for (const line of lines) {
    const [inp, tri, out, prompt, seed] = line.split('\t');
    const { image, trimap } = decodeImageAndTrimap(new Uint8Array(await readFile(inp)), new Uint8Array(await readFile(tri)), inp, tri);
    const req = buildRequest(gen, image, trimap, { prompt, seed: Number(seed), adaptation: adapt, ...(steps ? { steps } : {}) });
    const res = await runRequest(gen, req);
    await writeFile(out, encodePngRGBA(res.image));
    n++;
    if (n % 20 === 0) console.error(`${n}/${lines.length} ${((performance.now() - t0) / n / 1000).toFixed(2)} s/case`);
  }
  const sPer = (performance.now() - t0) / Math.max(n, 1) / 1000;
  console.log(JSON.stringify({ cases: n, secondsPerCase: Number(sPer.toFixed(3)), loadMs: Math.round(gen.loadMs), adapter: !!gen.adapter }));
  await gen.release();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
