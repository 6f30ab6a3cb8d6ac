/**
 * The one decoder-adapter factory: stage 3's adapter for a loaded pack, used by the Worker and the CLI
 * alike. It reads the pack's VAE decoder and the decoder's external-data files through the pack's own
 * step (`readModelFiles` with the pack's `readFile`, as loadPack reads them), so sizes and sha256 are
 * checked the same way everywhere.
 */
import { readModelFiles, type LoadedPack } from '../../models/pack';
import type { Runtime } from '../../models/runtime';
import { createDecoderAdapter, type DecoderAdapterHandle } from './adapter';

export async function createPackDecoderAdapter(pack: LoadedPack, runtime: Runtime): Promise<DecoderAdapterHandle> {
  const dec = await readModelFiles(pack.manifest, 'vae_decoder', pack.readFile);
  return createDecoderAdapter(runtime, dec.bytes, {
    latentScale: pack.manifest.latentScale,
    externalData: dec.externalData.length ? dec.externalData : undefined,
  });
}
