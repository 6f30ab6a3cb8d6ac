/**
 * Part 1, the context: the square window around the defect (resized to the pack's native resolution), the
 * masks of METHOD.md in it, and the crop as the models see it (with the context's colour gains applied when
 * the pack was trained with context normalisation).
 */
import { InputError } from '../../errors';
import type { RGBAImage, Trimap } from '../../image';
import type { LoadedPack } from '../../models/pack';
import { chooseCrop, cropToPlanar, cropTrimap, defectBounds } from '../crop';
import { contextGains, contextNormalize } from '../contextnorm';
import { defectFloat, defectMaxPool, dilateSquare } from '../masks';
import type { CropWindow, GenerateRequest } from '../types';

/** A pack's sizes as the pipeline uses them. */
export interface PackDims {
  /** Native resolution (side of the model's image). */
  R: number;
  /** VAE scale factor (image pixels per latent cell). */
  f: number;
  /** Latent side. */
  l: number;
  /** Latent channels. */
  C: number;
  /** Latent scale (UNet space = scale * VAE latent). */
  scale: number;
  /** C * l * l. */
  latentLen: number;
}

export function packDims(pack: LoadedPack): PackDims {
  const m = pack.manifest;
  const l = pack.latentSize;
  return { R: m.resolution, f: m.vaeScaleFactor, l, C: m.latentChannels, scale: m.latentScale, latentLen: m.latentChannels * l * l };
}

export interface ContextMasks {
  /** Trimap classes of the crop at native resolution (R x R). */
  classes: Uint8Array;
  /** 1 where the resized crop is defect (R x R). */
  defectNative: Float32Array;
  /** 1 where any pixel of a latent cell is defect (l x l). */
  defectCells: Float32Array;
  /** The latent edit mask: defectCells dilated by `marginPx` image pixels at native resolution (l x l). */
  editLatent: Float32Array;
}

/**
 * The masks of METHOD.md for one context window: the trimap resized to the native resolution R (a pixel is
 * defect if any source pixel under it is), max-pooled to latent cells (VAE factor f), dilated by a margin
 * given in pixels (round(marginPx / f) cells each side). An empty resized defect is an InputError.
 */
export function contextMasks(trimap: Trimap, crop: CropWindow, R: number, f: number, marginPx: number): ContextMasks {
  const classes = cropTrimap(trimap, crop, R);
  const defectNative = defectFloat(classes);
  let any = false;
  for (let p = 0; p < defectNative.length && !any; p++) any = defectNative[p] > 0;
  if (!any) {
    throw new InputError(
      `the defect region is empty in the ${crop.size}x${crop.size} context window at (${crop.x}, ${crop.y}) resized to ${R}x${R}`,
    );
  }
  const l = R / f;
  const defectCells = defectMaxPool(classes, R, f);
  const editLatent = dilateSquare(defectCells, l, 2 * Math.max(0, Math.round(marginPx / f)) + 1);
  return { classes, defectNative, defectCells, editLatent };
}

export interface GenerationContext {
  dims: PackDims;
  crop: CropWindow;
  masks: ContextMasks;
  /** The context's colour gains (packs with `contextNorm`), else null. */
  gains: [number, number, number] | null;
  /** The crop as the models see it: planar [3, R, R] in [-1, 1]. */
  xOk: Float32Array;
  /** The crop in the photo's own colours (xOk before context normalisation; the same array without it). */
  xCrop: Float32Array;
}

/** The context window around the defect of a (validated) request, its masks and the models' view of it. */
export function prepareContext(pack: LoadedPack, request: { image: RGBAImage; trimap: Trimap } & Pick<GenerateRequest, 'contextMargin' | 'dilationPx'>): GenerationContext {
  const dims = packDims(pack);
  const box = defectBounds(request.trimap)!;
  const crop = chooseCrop(request.image.width, request.image.height, box, dims.R, request.contextMargin);
  const masks = contextMasks(request.trimap, crop, dims.R, dims.f, request.dilationPx);
  const xCrop = cropToPlanar(request.image, crop, dims.R);
  // Packs trained with context normalisation see the crop with its context's colour gains applied (contextnorm.ts).
  const gains = pack.manifest.contextNorm ? contextGains(xCrop, masks.classes) : null;
  const xOk = gains ? contextNormalize(xCrop, gains) : xCrop;
  return { dims, crop, masks, gains, xOk, xCrop };
}
