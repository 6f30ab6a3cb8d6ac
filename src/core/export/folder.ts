/**
 * "Export masks" of a folder session: the labels of a whole folder of photos, as files for a zip.
 *
 *   <folder>/ground_truth/<stem>_mask.png   8-bit gray 0/255, one per image with defect pixels (MVTec AD
 *                                           ground truth: defect-free images have none)
 *   <folder>/trimaps/<stem>_trimap.png      0/127/255, one per labelled image
 *   <folder>/labels.json                    every image: name, size, status, defect pixels, files written
 *
 * `<stem>` is the image's file name without extension (letters, digits, '-' and '_'); stems that collide
 * get `_2`, `_3`, ... in folder order.
 */
import { BACKGROUND, DEFECT, type Trimap } from '../image';
import { encodeMaskPng, encodeTrimapPng } from '../trimap/png';
import { safeStem } from './record';

export type LabelStatus = 'unlabelled' | 'object' | 'defect';

/** 'defect' when any pixel is defect, 'object' when an object region was set (some background), else 'unlabelled'. */
export function labelStatus(t: Trimap | null): { status: LabelStatus; defectPixels: number } {
  if (!t) return { status: 'unlabelled', defectPixels: 0 };
  let defect = 0;
  let bg = 0;
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v === DEFECT) defect++;
    else if (v === BACKGROUND) bg++;
  }
  return { status: defect > 0 ? 'defect' : bg > 0 ? 'object' : 'unlabelled', defectPixels: defect };
}

export interface FolderLabels {
  name: string;
  /** null: never opened (an unlabelled image). */
  trimap: Trimap | null;
}

export interface FolderIndexEntry {
  name: string;
  width: number | null;
  height: number | null;
  status: LabelStatus;
  defectPixels: number;
  mask: string | null;
  trimap: string | null;
}

/** Unique stems for a list of file names, in order. */
export function uniqueStems(names: string[]): string[] {
  const used = new Set<string>();
  return names.map((n) => {
    const base = safeStem(n.replace(/^.*[\\/]/, ''));
    let stem = base;
    for (let k = 2; used.has(stem.toLowerCase()); k++) stem = `${base}_${k}`;
    used.add(stem.toLowerCase());
    return stem;
  });
}

/** The export's file map (path -> bytes); `labels(i)` is called once per image, in order. */
export async function buildFolderLabelFiles(
  folderName: string,
  names: string[],
  labels: (index: number) => Promise<Trimap | null> | Trimap | null,
): Promise<Map<string, Uint8Array>> {
  const root = safeStem(folderName, 'folder');
  const stems = uniqueStems(names);
  const files = new Map<string, Uint8Array>();
  const index: FolderIndexEntry[] = [];
  for (let i = 0; i < names.length; i++) {
    const t = await labels(i);
    const { status, defectPixels } = labelStatus(t);
    const entry: FolderIndexEntry = { name: names[i], width: t?.width ?? null, height: t?.height ?? null, status, defectPixels, mask: null, trimap: null };
    if (t && status === 'defect') {
      const data = new Uint8Array(t.data.length);
      for (let j = 0; j < data.length; j++) data[j] = t.data[j] === DEFECT ? 1 : 0;
      entry.mask = `${root}/ground_truth/${stems[i]}_mask.png`;
      files.set(entry.mask, encodeMaskPng({ width: t.width, height: t.height, data }));
    }
    if (t && status !== 'unlabelled') {
      entry.trimap = `${root}/trimaps/${stems[i]}_trimap.png`;
      files.set(entry.trimap, encodeTrimapPng(t));
    }
    index.push(entry);
  }
  files.set(`${root}/labels.json`, new TextEncoder().encode(JSON.stringify({ format: 'defect-studio-folder-labels@1', folder: folderName, images: index }, null, 2) + '\n'));
  return files;
}
