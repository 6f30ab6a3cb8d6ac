/**
 * Part 3, the VAE: image -> latent in UNet space (scale * VAE latent; the posterior mean when the encoder
 * outputs mean and log-variance) and back. Images are planar [3, R, R] in [-1, 1].
 */
import { PackError } from '../../models/errors';
import type { LoadedPack } from '../../models/pack';
import { makeTensor, tensorToFloat32 } from '../../models/tensor';
import { packDims } from './context';
import type { ModelRunner } from './runner';

export async function vaeEncode(pack: LoadedPack, runner: ModelRunner, x: Float32Array, key = 'encode'): Promise<Float32Array> {
  const { R, C, l, scale, latentLen } = packDims(pack);
  const enc = pack.io.vaeEncoder;
  const out = await runner.run(key, enc, { sample: makeTensor(enc.inputType, x, [1, 3, R, R]) });
  const t = out[enc.output];
  const v = tensorToFloat32(t);
  if (v.length !== (enc.takeMean ? 2 : 1) * latentLen) {
    throw new PackError('VAE encoder output has the wrong size', {
      file: enc.file,
      tensor: enc.output,
      expected: `[1, ${enc.takeMean ? 2 * C : C}, ${l}, ${l}]`,
      found: `[${t.dims.join(', ')}]`,
    });
  }
  const z = new Float32Array(latentLen);
  for (let i = 0; i < latentLen; i++) z[i] = v[i] * scale; // mean half first when latent_parameters
  return z;
}

export async function vaeDecode(pack: LoadedPack, runner: ModelRunner, z: Float32Array, key = 'vae-decode'): Promise<Float32Array> {
  const { R, C, l, scale, latentLen } = packDims(pack);
  const dec = pack.io.vaeDecoder;
  const zin = new Float32Array(latentLen);
  for (let i = 0; i < latentLen; i++) zin[i] = z[i] / scale;
  const out = await runner.run(key, dec, { latent_sample: makeTensor(dec.inputType, zin, [1, C, l, l]) });
  const t = out[dec.output];
  if (t.data.length !== 3 * R * R) {
    throw new PackError('VAE decoder output has the wrong size', {
      file: dec.file,
      tensor: dec.output,
      expected: `[1, 3, ${R}, ${R}]`,
      found: `[${t.dims.join(', ')}]`,
    });
  }
  return tensorToFloat32(t).slice();
}
