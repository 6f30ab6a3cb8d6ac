import { zipSync, type Zippable } from 'fflate';
import type { RGBAImage } from '../image';
import { encodePngGray, encodePngRGBA } from '../png';
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

/** Where one accepted result goes in the MVTec AD layout (paths relative to the dataset root). */
export interface MvtecNames {
  category: string;
  defect: string;
  /** Index within <category>/<defect>: 0, 1, 2, ... in the order results were added. */
  index: number;
  image: string;
  mask: string;
  record: string;
  /** The defect-free original of this result in train/good (shared by every result of the same source). */
  good: string;
  /** True for the first result of its source: the one that introduces `good`. */
  firstOfSource: boolean;
}

/**
 * The one place that decides MVTec AD names (the browser's zip and the CLI's batch both use it):
 *   <category>/train/good/000.png                 each distinct original once, in order of first use
 *   <category>/test/<defect>/000.png              the generated images, numbered per category and defect
 *   <category>/ground_truth/<defect>/000_mask.png one 0/255 mask per test image
 *   <category>/records/<defect>/000.json          the JSON record of each test image
 * Names depend only on the sequence of (category, defect, sourceKey) added, so the same list always gives
 * the same names.
 */
export class MvtecNamer {
  private readonly goodIndex = new Map<string, Map<string, number>>(); // category -> sourceKey -> index
  private readonly defectCount = new Map<string, number>(); // category/defect -> next index

  add(categoryName: string, defectName: string, sourceKey: string): MvtecNames {
    const category = safeStem(categoryName, 'object').toLowerCase();
    const defect = safeStem(defectName, 'defect').toLowerCase();
    if (defect === 'good') throw new Error('"good" is reserved for defect-free images');
    let goods = this.goodIndex.get(category);
    if (!goods) this.goodIndex.set(category, (goods = new Map()));
    const firstOfSource = !goods.has(sourceKey);
    if (firstOfSource) goods.set(sourceKey, goods.size);
    const key = `${category}/${defect}`;
    const index = this.defectCount.get(key) ?? 0;
    this.defectCount.set(key, index + 1);
    return {
      category,
      defect,
      index,
      image: `${category}/test/${defect}/${pad3(index)}.png`,
      mask: `${category}/ground_truth/${defect}/${pad3(index)}_mask.png`,
      record: `${category}/records/${defect}/${pad3(index)}.json`,
      good: `${category}/train/good/${pad3(goods.get(sourceKey)!)}.png`,
      firstOfSource,
    };
  }
}

/**
 * The accepted results in the MVTec AD layout (names from MvtecNamer).
 * Returns the file map (path -> bytes) so it can be checked before zipping.
 */
export function buildMvtecFiles(items: DatasetItem[]): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const namer = new MvtecNamer();
  for (const item of items) {
    if (item.mask.length !== item.image.width * item.image.height) throw new Error('mask size differs from the image');
    const names = namer.add(item.category, item.defect, item.sourceKey);
    if (names.firstOfSource) files.set(names.good, encodePngRGBA(item.original));
    files.set(names.image, encodePngRGBA(item.image));
    files.set(names.mask, encodePngGray(item.image.width, item.image.height, item.mask));
    const record = buildRecord({
      ...item.record,
      mask: item.mask,
      width: item.image.width,
      height: item.image.height,
      files: { image: names.image, mask: names.mask },
    });
    files.set(names.record, recordToBytes(record));
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
