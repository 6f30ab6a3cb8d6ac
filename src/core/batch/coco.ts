/**
 * COCO instances JSON for generated datasets: one image per generated picture, one annotation per image
 * (its whole defect mask) as an uncompressed RLE (`counts` list, column-major, starting with background:
 * what pycocotools' `frPyObjects` reads), with `bbox` [x, y, w, h] and `area` in pixels.
 */
import { maskBounds } from '../trimap/region';

export interface CocoRle {
  size: [number, number]; // [height, width]
  counts: number[];
}

/** Run-length encoding of a mask (non-zero = set) in COCO's column-major order. */
export function maskToCocoRle(mask: ArrayLike<number>, width: number, height: number): CocoRle {
  if (mask.length !== width * height) throw new Error(`mask has ${mask.length} pixels, expected ${width * height}`);
  const counts: number[] = [];
  let cur = 0; // COCO RLE starts with a run of zeros (possibly empty)
  let run = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const v = mask[y * width + x] ? 1 : 0;
      if (v !== cur) {
        counts.push(run);
        run = 0;
        cur = v;
      }
      run++;
    }
  }
  counts.push(run);
  return { size: [height, width], counts };
}

/** Decode a COCO uncompressed RLE back into a row-major 0/1 mask. */
export function cocoRleToMask(rle: CocoRle): Uint8Array {
  const [height, width] = rle.size;
  const out = new Uint8Array(width * height);
  let p = 0;
  rle.counts.forEach((n, k) => {
    for (let j = 0; j < n; j++, p++) {
      if (k & 1) out[(p % height) * width + Math.floor(p / height)] = 1;
    }
  });
  if (p !== width * height) throw new Error(`RLE covers ${p} pixels, expected ${width * height}`);
  return out;
}

/** Bounding box [x, y, w, h] and pixel count of a mask; null when empty (COCO's shape of `maskBounds`). */
export function maskBox(mask: ArrayLike<number>, width: number, height: number): { bbox: [number, number, number, number]; area: number } | null {
  const { rect, count } = maskBounds(mask, width, height);
  return count ? { bbox: [rect.x, rect.y, rect.w, rect.h], area: count } : null;
}

export interface CocoItem {
  /** Image path relative to the dataset root. */
  fileName: string;
  width: number;
  height: number;
  /** Object category (supercategory) and defect type (category). */
  category: string;
  defect: string;
  mask: ArrayLike<number>;
  /** Extra fields kept on the image entry (e.g. the job id). */
  extra?: Record<string, unknown>;
}

export interface CocoDataset {
  info: Record<string, unknown>;
  images: { id: number; file_name: string; width: number; height: number; [k: string]: unknown }[];
  annotations: { id: number; image_id: number; category_id: number; segmentation: CocoRle; area: number; bbox: number[]; iscrowd: 0 }[];
  categories: { id: number; name: string; supercategory: string }[];
}

/** The COCO instances dataset of the items, in their order (ids from 1; categories by first appearance). */
export function buildCoco(items: CocoItem[], info: Record<string, unknown> = {}): CocoDataset {
  const cats = new Map<string, number>();
  const out: CocoDataset = { info, images: [], annotations: [], categories: [] };
  items.forEach((it, k) => {
    const id = k + 1;
    out.images.push({ id, file_name: it.fileName, width: it.width, height: it.height, ...it.extra });
    const key = `${it.category}/${it.defect}`;
    let cid = cats.get(key);
    if (cid === undefined) {
      cid = cats.size + 1;
      cats.set(key, cid);
      out.categories.push({ id: cid, name: it.defect, supercategory: it.category });
    }
    const box = maskBox(it.mask, it.width, it.height);
    if (!box) return; // nothing to annotate (cannot happen for a generated defect)
    out.annotations.push({
      id,
      image_id: id,
      category_id: cid,
      segmentation: maskToCocoRle(it.mask, it.width, it.height),
      area: box.area,
      bbox: box.bbox,
      iscrowd: 0,
    });
  });
  return out;
}
