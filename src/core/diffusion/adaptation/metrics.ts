/** Error measures reported by decoder adaptation (AdaptationReport). Images are planar [3, H, W]. */

/**
 * The seam band: pixels outside the defect within `radius` pixels (Chebyshev distance) of a defect pixel,
 * i.e. a (2r+1)x(2r+1) dilation of the defect minus the defect. This is where a mismatch between the
 * generated region and the pasted original shows up as a visible edge.
 */
export function seamBand(defect: Uint8Array, width: number, height: number, radius = 4): Uint8Array {
  // separable dilation: rows then columns
  const rowsDil = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    let last = -Infinity;
    const base = y * width;
    // left-to-right pass records distance to the nearest defect on the left, then right-to-left
    for (let x = 0; x < width; x++) {
      if (defect[base + x]) last = x;
      if (x - last <= radius) rowsDil[base + x] = 1;
    }
    last = Infinity;
    for (let x = width - 1; x >= 0; x--) {
      if (defect[base + x]) last = x;
      if (last - x <= radius) rowsDil[base + x] = 1;
    }
  }
  const band = new Uint8Array(width * height);
  for (let x = 0; x < width; x++) {
    let last = -Infinity;
    for (let y = 0; y < height; y++) {
      if (rowsDil[y * width + x]) last = y;
      if (y - last <= radius) band[y * width + x] = 1;
    }
    last = Infinity;
    for (let y = height - 1; y >= 0; y--) {
      if (rowsDil[y * width + x]) last = y;
      if (last - y <= radius) band[y * width + x] = 1;
    }
  }
  for (let i = 0; i < band.length; i++) if (defect[i]) band[i] = 0;
  return band;
}

/** Mean squared error over the pixels where mask != 0 (all channels); NaN when the mask is empty. */
export function maskedMse(a: Float32Array, b: Float32Array, mask: Uint8Array, channels = 3): number {
  const plane = mask.length;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < plane; i++) {
    if (!mask[i]) continue;
    for (let c = 0; c < channels; c++) {
      const d = a[c * plane + i] - b[c * plane + i];
      sum += d * d;
    }
    n += channels;
  }
  return n ? sum / n : NaN;
}

/** 1 where defect == 0. */
export function invertMask(defect: Uint8Array): Uint8Array {
  const out = new Uint8Array(defect.length);
  for (let i = 0; i < defect.length; i++) out[i] = defect[i] ? 0 : 1;
  return out;
}
