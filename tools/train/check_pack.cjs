// Check a model pack with onnxruntime-node: sha256s and sizes, and one forward of each model.
// node tools/train/check_pack.cjs public/models/ds-surface-v1
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
process.env.ORT_DISABLE_TELEMETRY ??= '1'; // no onnxruntime telemetry (README, CLI section)
const ort = require('onnxruntime-node');

async function main() {
  const dir = process.argv[2] || 'public/models/ds-surface-v1';
  const man = JSON.parse(fs.readFileSync(path.join(dir, 'defect-studio.json'), 'utf8'));
  let bad = 0;
  for (const [rel, { bytes, sha256 }] of Object.entries(man.files)) {
    const buf = fs.readFileSync(path.join(dir, rel));
    const h = crypto.createHash('sha256').update(buf).digest('hex');
    if (h !== sha256 || buf.length !== bytes) { console.log('MISMATCH', rel); bad++; }
  }
  console.log(`files: ${Object.keys(man.files).length}, mismatches: ${bad}`);
  const C = man.latentChannels, f = man.vaeScaleFactor, R = man.resolution, h = R / f;
  const rnd = (n) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 0.5);
  const run = async (name, feeds) => {
    const s = await ort.InferenceSession.create(path.join(dir, name, 'model.onnx'));
    const t0 = Date.now();
    const out = await s.run(feeds);
    const ms = Date.now() - t0;
    for (const [k, v] of Object.entries(out)) {
      let finite = true; for (const x of v.data) if (!Number.isFinite(x)) { finite = false; break; }
      console.log(name, s.inputNames.join(','), '->', k, JSON.stringify(v.dims), 'finite', finite, ms + 'ms');
      if (!finite) bad++;
    }
    return out;
  };
  const ids = new BigInt64Array(2 * 77); ids[0] = 2n; ids[1] = 3n; ids[77] = 2n; ids[78] = 4n; ids[79] = 3n;
  const te = await run('text_encoder', { input_ids: new ort.Tensor('int64', ids, [2, 77]) });
  const D = te.last_hidden_state.dims[2];
  const cin = C + 1 + 1 + C;
  await run('unet', {
    sample: new ort.Tensor('float32', rnd(2 * cin * h * h), [2, cin, h, h]),
    timestep: new ort.Tensor('int64', BigInt64Array.from([981n, 981n]), [2]),
    encoder_hidden_states: new ort.Tensor('float32', te.last_hidden_state.data, [2, 77, D]),
  });
  await run('vae_encoder', { sample: new ort.Tensor('float32', rnd(3 * R * R), [1, 3, R, R]) });
  await run('vae_decoder', { latent_sample: new ort.Tensor('float32', rnd(C * h * h), [1, C, h, h]) });
  if (bad) { console.log('FAILED'); process.exit(1); }
  console.log('OK');
}
main().catch((e) => { console.error(e); process.exit(1); });
