/**
 * Diagnostic (tools/train/seam_diag.py's companion): generate a case list like gen_cases.ts and also dump, per
 * case, the plain decode x_gen, the adapted decode, the models' view of the input crop x_ok (all planar float32
 * [3, R, R], context-normalised space) and the context gains: what stage 3 and the paste get and give.
 *   node --import tsx tools/train/seam_dump.ts CASES.tsv PACK_DIR OUT_DIR
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodePngRGBA } from '../../src/core/png';
import { buildRequest, decodeImageAndTrimap, openGenerator } from '../../src/cli/generator';
import { generate } from '../../src/core/diffusion/pipeline';
import { prepareContext } from '../../src/core/diffusion/parts/context';
import type { DecoderAdapter } from '../../src/core/diffusion/types';

async function main(): Promise<void> {
  const [list, model, outDir] = process.argv.slice(2);
  await mkdir(outDir, { recursive: true });
  const lines = (await readFile(list, 'utf8')).split('\n').filter((l) => l.trim());
  const gen = await openGenerator(model, 'native', true, { threads: Number(process.env.DS_THREADS ?? 1) });
  const inner = gen.adapter!;
  let rec: { xGen?: Float32Array; xAda?: Float32Array; xOk?: Float32Array } = {};
  const adapter: DecoderAdapter = {
    async adapt(args) {
      const r = await inner.adapt(args);
      rec = { xGen: args.xGen.slice(), xAda: r.image.slice(), xOk: args.xOk.slice() };
      return r;
    },
  };
  for (const line of lines) {
    const [inp, tri, out, prompt, seed] = line.split('\t');
    const { image, trimap } = decodeImageAndTrimap(new Uint8Array(await readFile(inp)), new Uint8Array(await readFile(tri)), inp, tri);
    const req = buildRequest(gen, image, trimap, { prompt, seed: Number(seed) });
    rec = {};
    const res = await generate(gen.pack, req, { adapter });
    const ctx = prepareContext(gen.pack, req);
    const name = out.split('/').pop()!.replace('.png', '');
    await writeFile(out, encodePngRGBA(res.image));
    for (const k of ['xGen', 'xAda', 'xOk'] as const) {
      const a = rec[k]!;
      await writeFile(join(outDir, `${name}.${k}.f32`), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    }
    await writeFile(join(outDir, `${name}.json`), JSON.stringify({ gains: ctx.gains, crop: ctx.crop, R: ctx.dims.R }));
  }
  await gen.release();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
