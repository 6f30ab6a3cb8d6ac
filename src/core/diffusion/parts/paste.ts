/**
 * Part 7, the paste: the generated crop back in the photo's colours (undoing context normalisation), with the
 * seam blend (`seamPx` > 0: the paste's step at the defect's edge continued smoothly into the defect's inner band,
 * seam.ts; `seamSpareStrokes`: its width capped by the defect's local half-width) composited at the native resolution, resized to the crop and pasted inside the defect only, so every
 * pixel outside it is the input's, bit for bit; and the exported mask (255 where the trimap is defect).
 */
import type { RGBAImage, Trimap } from '../../image';
import { contextDenormalize } from '../contextnorm';
import { defectMask, pasteDefect } from '../crop';
import { seamBlend } from '../seam';
import type { GenerationContext } from './context';

export function pasteResult(
  request: { image: RGBAImage; trimap: Trimap },
  ctx: GenerationContext,
  xGen: Float32Array,
  seamPx = 0,
  seamSpareStrokes = false,
): { image: RGBAImage; mask: Uint8Array } {
  const plain = ctx.gains ? contextDenormalize(xGen, ctx.gains) : xGen;
  const x = seamPx > 0 ? seamBlend(plain, ctx.xCrop, ctx.masks.defectNative, ctx.dims.R, seamPx, { spareStrokes: seamSpareStrokes }) : plain;
  const image = pasteDefect(request.image, request.trimap, x, ctx.crop, ctx.dims.R);
  return { image, mask: defectMask(request.trimap) };
}
