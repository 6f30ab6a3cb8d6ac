import { zipSync, type Zippable } from 'fflate';
import type { RGBAImage } from '../image';
import { encodeImagePng, encodeMaskPng } from './png';
import { buildRecord, recordToBytes, safeStem, type RecordInput } from './record';

/** One accepted result for the dataset. */
export interface DatasetItem {
  category: string;
  defect: string;
  /** Identifies the source photo, so each original lands once in train/good. */
  sourceKey: string;
  original: RGBAImage;
  image: RGBAImage;
  mask: Uint8Array; // 0/255
  record: Omit<RecordInput, 'files' | 'mask' | 'width' | 'height'>;
}

export const pad3 = (n: number) => String(n).padStart(3, '0');

/**
 * The accepted results in the MVTec AD layout:
 *   <category>/train/good/000.png                 each distinct original once
 *   <category>/test/<defect>/000.png              the generated images
 *   <category>/ground_truth/<defect>/000_mask.png one 0/255 mask per test image
 *   <category>/records/<defect>/000.json          the JSON record of each test image
 * Returns the file map (path -> bytes) so it can be checked before zipping.
 */
export function buildMvtecFiles(items: DatasetItem[]): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const goodIndex = new Map<string, Map<string, number>>(); // category -> sourceKey -> index
  const defectCount = new Map<string, number>(); // category/defect -> next index
  for (const item of items) {
    const category = safeStem(item.category, 'object').toLowerCase();
    const defect = safeStem(item.defect, 'defect').toLowerCase();
    if (defect === 'good') throw new Error('"good" is reserved for defect-free images');
    if (item.mask.length !== item.image.width * item.image.height) throw new Error('mask size differs from the image');
    let goods = goodIndex.get(category);
    if (!goods) goodIndex.set(category, (goods = new Map()));
    if (!goods.has(item.sourceKey)) {
      const gi = goods.size;
      goods.set(item.sourceKey, gi);
      files.set(`${category}/train/good/${pad3(gi)}.png`, encodeImagePng(item.original));
    }
    const key = `${category}/${defect}`;
    const n = defectCount.get(key) ?? 0;
    defectCount.set(key, n + 1);
    const imagePath = `${category}/test/${defect}/${pad3(n)}.png`;
    const maskPath = `${category}/ground_truth/${defect}/${pad3(n)}_mask.png`;
    files.set(imagePath, encodeImagePng(item.image));
    files.set(maskPath, encodeMaskPng(item.mask, item.image.width, item.image.height));
    const record = buildRecord({
      ...item.record,
      mask: item.mask,
      width: item.image.width,
      height: item.image.height,
      files: { image: imagePath, mask: maskPath },
    });
    files.set(`${category}/records/${defect}/${pad3(n)}.json`, recordToBytes(record));
  }
  return files;
}

/** Zip the file map (PNGs are stored, JSON deflated). */
export function zipFiles(files: Map<string, Uint8Array>): Uint8Array {
  const z: Zippable = {};
  for (const [path, bytes] of files) z[path] = [bytes, { level: path.endsWith('.png') ? 0 : 6 }];
  return zipSync(z);
}

export function exportDataset(items: DatasetItem[]): Uint8Array {
  return zipFiles(buildMvtecFiles(items));
}
