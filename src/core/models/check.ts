/**
 * Is this a pack we can run? The whole of the loader's judgement (manifest, required files, sizes, sha256s,
 * tokenizer, scheduler config, and every ONNX session created with the inputs and outputs the pipeline
 * needs), then the sessions are released. Used before a pack is kept (the app's "Add model"): a pack that
 * passes here loads later; one that fails gets the loader's PackError, the same words the CLI prints.
 */
import { MANIFEST_FILE } from './manifest';
import type { PackManifest } from './manifest-types';
import { loadPack, type LoadPackOptions } from './pack';
import type { PackSource } from './pack-source';
import type { Runtime } from './runtime';

export interface PackCheck {
  manifest: PackManifest;
  /** sha256 of defect-studio.json: the pack's identity. */
  sha256: string;
  /** Bytes of the pack: defect-studio.json plus every file it lists. */
  bytes: number;
  /** The files a copy of the pack needs: defect-studio.json and every listed file. */
  files: string[];
}

export async function checkPack(source: PackSource, runtime: Runtime, options: LoadPackOptions = {}): Promise<PackCheck> {
  const pack = await loadPack(source, runtime, options);
  try {
    const manifestBytes = (await source.readFile(MANIFEST_FILE, { maxBytes: Infinity })).byteLength;
    const listed = Object.entries(pack.manifest.files);
    return {
      manifest: pack.manifest,
      sha256: pack.sha256,
      bytes: manifestBytes + listed.reduce((s, [, f]) => s + f.bytes, 0),
      files: [MANIFEST_FILE, ...listed.map(([name]) => name)],
    };
  } finally {
    await pack.release();
  }
}
