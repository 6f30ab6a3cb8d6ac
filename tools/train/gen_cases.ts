/**
 * Generate every case of an evaluation list with the app's own pipeline (the CLI's generator: one pack load,
 * onnxruntime-node, the pack's defaults, decoder adaptation on, paste-back), for tools/train/evaluate_photos.py.
 *
 *   node --import tsx tools/train/gen_cases.ts CASES.tsv PACK_DIR [--no-adapt] [--SETTING VALUE ...]
 * --SETTING: any option of `defect-studio generate` (`--steps 25`, `--guidance 5`, `--seam-spare-strokes true`, ...;
 * names and ranges from src/core/settings), given to every case; the rest are the pack's defaults, with a
 * prompt preset's own settings for a case whose prompt is that preset (buildRequest, the CLI's rule).
 * CASES.tsv: input.png <TAB> trimap.png <TAB> output.png <TAB> prompt <TAB> seed   (one case a line)
 * Prints one JSON line at the end: cases, seconds per case, load ms, the settings given.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { encodePngRGBA } from '../../src/core/png';
import { SETTING_FIELDS, parseSettingText, type SettingKey, type SettingValues } from '../../src/core/settings';
import { buildRequest, decodeImageAndTrimap, openGenerator, runRequest } from '../../src/cli/generator';

function parseOptions(args: string[]): { adapt: boolean; given: Partial<SettingValues> } {
  const byFlag = new Map((Object.keys(SETTING_FIELDS) as SettingKey[]).map((k) => [SETTING_FIELDS[k].flag, k]));
  const given: Record<string, unknown> = {};
  let adapt = true;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--no-adapt') {
      adapt = false;
      continue;
    }
    const key = a.startsWith('--') ? byFlag.get(a.slice(2)) : undefined;
    // a boolean setting takes its value as the others do (`--seam-spare-strokes true`); adaptation is --no-adapt
    if (!key || key === 'prompt' || key === 'seed' || key === 'adaptation' || args[i + 1] === undefined) {
      throw new Error(`gen_cases: unexpected argument ${JSON.stringify(a)}`);
    }
    given[key] = parseSettingText(key, args[++i]);
  }
  return { adapt, given: given as Partial<SettingValues> };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const [list, model] = args;
  const { adapt, given } = parseOptions(args.slice(2));
  const lines = (await readFile(list, 'utf8')).split('\n').filter((l) => l.trim());
  const gen = await openGenerator(model, 'native', adapt, { threads: Number(process.env.DS_THREADS ?? 1) });
  const t0 = performance.now();
  let n = 0;
  for (const line of lines) {
    const [inp, tri, out, prompt, seed] = line.split('\t');
    const { image, trimap } = decodeImageAndTrimap(new Uint8Array(await readFile(inp)), new Uint8Array(await readFile(tri)), inp, tri);
    const req = buildRequest(gen, image, trimap, { ...given, prompt, seed: Number(seed), adaptation: adapt });
    const res = await runRequest(gen, req);
    await writeFile(out, encodePngRGBA(res.image));
    n++;
    if (n % 20 === 0) console.error(`${n}/${lines.length} ${((performance.now() - t0) / n / 1000).toFixed(2)} s/case`);
  }
  const sPer = (performance.now() - t0) / Math.max(n, 1) / 1000;
  console.log(JSON.stringify({ cases: n, secondsPerCase: Number(sPer.toFixed(3)), loadMs: Math.round(gen.loadMs), adapter: !!gen.adapter, settings: given }));
  await gen.release();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
