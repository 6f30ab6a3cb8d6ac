/**
 * Part 7, the paste: the generated crop back in the photo's colours (undoing context normalisation),
 * resized to the crop and pasted inside the defect only, so every pixel outside it is the input's, bit for
 * bit; and the exported mask (255 where the trimap is defect).
 */
import type { RGBAImage, Trimap } from '../../image';
import { contextDenormalize } from '../contextnorm';
import { defectMask, pasteDefect } from '../crop';
import type { GenerationContext } from './context';

export function pasteResult(
  request: { image: RGBAImage; trimap: Trimap },
  ctx: GenerationContext,
  xGen: Float32Array,
): { image: RGBAImage; mask: Uint8Array } {
  const x = ctx.gains ? contextDenormalize(xGen, ctx.gains) : xGen;
  const image = pasteDefect(request.image, request.trimap, x, ctx.crop, ctx.dims.R);
  return { image, mask: defectMask(request.trimap) };
}
