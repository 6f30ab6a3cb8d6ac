import type { RGBAImage, Trimap } from '../image';
import { encodePngGray, encodePngRGBA } from '../png';
import { encodeTrimapPng } from '../trimap/png';
import { buildRecord, recordToBytes, safeStem, type RecordInput } from './record';

export interface ExportFile {
  name: string;
  mime: string;
  bytes: Uint8Array;
}

/** "Export": the image PNG, the mask PNG (0/255), the trimap PNG and the JSON record of one result. */
export function exportSingle(args: {
  image: RGBAImage;
  mask: Uint8Array;
  trimap: Trimap;
  record: Omit<RecordInput, 'files' | 'mask' | 'width' | 'height'>;
}): ExportFile[] {
  const { image, mask, trimap } = args;
  if (trimap.width !== image.width || trimap.height !== image.height) throw new Error('trimap size differs from the image');
  const stem = safeStem(args.record.sourceName);
  const files = { image: `${stem}_defect.png`, mask: `${stem}_mask.png`, trimap: `${stem}_trimap.png` };
  const record = buildRecord({ ...args.record, mask, width: image.width, height: image.height, files });
  return [
    { name: files.image, mime: 'image/png', bytes: encodePngRGBA(image) },
    { name: files.mask, mime: 'image/png', bytes: encodePngGray(image.width, image.height, mask) },
    { name: files.trimap, mime: 'image/png', bytes: encodeTrimapPng(trimap) },
    { name: `${stem}_record.json`, mime: 'application/json', bytes: recordToBytes(record) },
  ];
}
