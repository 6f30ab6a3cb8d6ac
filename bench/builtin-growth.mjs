// Grown built-in UNets (tools/train/grow.py) beside the network they grew from: any number of packs, in ONE run,
// interleaved (this machine is noisy: compare the ratios of one run, never absolute times of different runs).
//   node bench/builtin-growth.mjs --packs /tmp/pack-b1,/tmp/pack-b2[,...] [--rounds 3] [--evals 8] [--steps 25]
//        [--image photo.png --trimap trimap.png] [--prompt "a scratch"] [--seed 7]   -> bench/results/builtin-growth.json
// Per pack: the UNet alone (onnxruntime-node, the CLI's session options, batch 2 for guidance, 64x64 latents = a
// 256x256 crop: median ms of --evals evaluations a round, ratio to the first pack), the pack's size (its manifest),
// and with --image/--trimap whether one CLI generation (`defect-studio generate`, --steps steps) writes the same
// image bytes as the first pack's (a grown pack at the moment of growth computes the same function; its meta.json
// timings are kept as a by-product). The whole-generation speed of two packs, CLI and Chromium WASM, old and new
// alternating: bench/ship-compare.bench.ts.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
process.env.ORT_DISABLE_TELEMETRY ??= '1';
const ort = require('onnxruntime-node');
const arg = (k, d) => { const i = process.argv.indexOf('--' + k); return i > 0 ? process.argv[i + 1] : d; };
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const packs = arg('packs', '').split(',').filter(Boolean).map((p) => path.resolve(p));
if (packs.length < 1) { console.error('usage: node bench/builtin-growth.mjs --packs A,B[,...]'); process.exit(2); }
const rounds = Number(arg('rounds', '3')), evals = Number(arg('evals', '8')), steps = arg('steps', '25');
const image = arg('image'), trimap = arg('trimap');
const median = (a) => { const s = [...a].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const sha = (f) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');

const res = packs.map((dir) => {
  const man = JSON.parse(fs.readFileSync(path.join(dir, 'defect-studio.json'), 'utf8'));
  return { pack: dir, bytes: Object.values(man.files).reduce((s, f) => s + f.bytes, 0),
    unetBytes: man.files['unet/model.onnx'].bytes, unetMs: [], cliTotalMs: [], cliUnetMs: [], cliWallMs: [], outSha: null };
});
const sessions = await Promise.all(packs.map((d) => ort.InferenceSession.create(path.join(d, 'unet', 'model.onnx'))));
const h = 64, cin = 10;
const rnd = (n, s) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + s) * 0.5);
const feeds = {
  sample: new ort.Tensor('float32', rnd(2 * cin * h * h, 1), [2, cin, h, h]),
  timestep: new ort.Tensor('int64', BigInt64Array.from([981n, 981n]), [2]),
  encoder_hidden_states: new ort.Tensor('float32', rnd(2 * 77 * 128, 2), [2, 77, 128]),
};
for (const s of sessions) await s.run(feeds); // warm-up
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ds-growth-'));
for (let r = 0; r < rounds; r++) {
  for (let k = 0; k < evals; k++) { // one evaluation of each pack in turn: a load change hits every pack alike
    for (let p = 0; p < packs.length; p++) {
      const t0 = performance.now(); await sessions[p].run(feeds); res[p].unetMs.push(performance.now() - t0);
    }
  }
}
for (let r = 0; r < (image && trimap ? 1 : 0); r++) {
  for (let p = 0; p < packs.length; p++) {
    const out = path.join(tmp, `r${r}-p${p}`);
    const t0 = performance.now();
    execFileSync(process.execPath, [path.join(root, 'bin', 'defect-studio.mjs'), 'generate', '--model', packs[p], '--image', image,
      '--trimap', trimap, '--prompt', arg('prompt', 'a scratch'), '--seed', arg('seed', '7'), '--steps', steps, '--out', out], { stdio: 'pipe' });
    res[p].cliWallMs.push(performance.now() - t0);
    const meta = JSON.parse(fs.readFileSync(path.join(out, 'meta.json'), 'utf8'));
    res[p].cliTotalMs.push(meta.timings.total); res[p].cliUnetMs.push(meta.timings.unet);
    const s = sha(path.join(out, 'image.png'));
    if (res[p].outSha && res[p].outSha !== s) res[p].outSha = 'differs between rounds';
    else res[p].outSha ??= s;
  }
}
fs.rmSync(tmp, { recursive: true, force: true });
const base = res[0];
const row = (r) => ({
  pack: path.basename(r.pack), MB: +(r.bytes / 1e6).toFixed(2), unetMB: +(r.unetBytes / 1e6).toFixed(2),
  unetEvalMs: +median(r.unetMs).toFixed(1), unetEvalX: +(median(r.unetMs) / median(base.unetMs)).toFixed(3),
  ...(image ? { sameBytesAsFirst: r.outSha === base.outSha, cliTotalMs: +r.cliTotalMs[0].toFixed(0) } : {}),
});
const out = { steps: Number(steps), rounds, evals, cpu: `${os.cpus().length} x ${os.cpus()[0]?.model}`, loadavg: os.loadavg(),
  at: new Date().toISOString(), rows: res.map(row), raw: res };
fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
fs.writeFileSync(path.join(root, 'bench', 'results', 'builtin-growth.json'), JSON.stringify(out, null, 1));
console.table(out.rows);
console.log('load average at the end', os.loadavg().map((x) => x.toFixed(1)).join(' '));
