/**
 * The one decoder-adapter factory: stage 3's adapter for a loaded pack, used by the Worker and the CLI
 * alike. It reads the pack's VAE decoder and the decoder's external-data files (the manifest's list, as
 * loadPack reads them) through the pack, so sizes and sha256 are checked the same way everywhere.
 */
import { externalDataFiles, type LoadedPack } from '../../models/pack';
import type { Runtime } from '../../models/runtime';
import { createDecoderAdapter, type DecoderAdapterHandle } from './adapter';

export async function createPackDecoderAdapter(pack: LoadedPack, runtime: Runtime): Promise<DecoderAdapterHandle> {
  const decFile = pack.io.vaeDecoder.file;
  const dir = 'vae_decoder/';
  const externalData = await Promise.all(
    externalDataFiles(pack.manifest, 'vae_decoder').map(async (f) => ({ path: f.slice(dir.length), data: await pack.readFile(f) })),
  );
  return createDecoderAdapter(runtime, await pack.readFile(decFile), {
    latentScale: pack.manifest.latentScale,
    externalData: externalData.length ? externalData : undefined,
  });
}
