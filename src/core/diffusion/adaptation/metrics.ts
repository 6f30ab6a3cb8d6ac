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

function toLevel(v: number): number {
  const x = Math.round((v + 1) * 127.5);
  return x < 0 ? 0 : x > 255 ? 255 : x;
}

/**
 * Chebyshev distance (in pixels, 1..maxDistance) from each defect pixel to the nearest pixel outside the defect;
 * 0 outside the defect and for defect pixels farther than maxDistance.
 */
export function insideDistance(defect: Uint8Array, width: number, height: number, maxDistance: number): Uint8Array {
  const outside = invertMask(defect);
  const dist = new Uint8Array(defect.length);
  for (let r = maxDistance; r >= 1; r--) {
    const band = seamBand(outside, width, height, r); // defect pixels within r of an outside pixel
    for (let i = 0; i < band.length; i++) if (band[i]) dist[i] = r;
  }
  return dist;
}

/** What the user receives at the defect's edge (AdaptationReport), in 8-bit levels. */
export interface EdgeMetrics {
  /** Mean |out(p) - out(q)| over 4-neighbour pairs p inside, q outside the defect (3 channels), out = the paste. */
  edgeStep: number;
  /** The same pairs in the input: the texture's own step there (the floor a seamless paste would show). */
  inputEdgeStep: number;
  /** Mean |out - input| over the defect pixels within `band` pixels of the edge (how far the rim departs). */
  innerBand: number;
}

/**
 * Edge measures of the pasted result `out = defect ? x : xOk` (planar [3, H, W] in [-1, 1], quantised to 8 bits as
 * the paste writes them). Pixels outside the defect are the input's, so only x inside the defect matters.
 */
export function edgeMetrics(x: Float32Array, xOk: Float32Array, defect: Uint8Array, width: number, height: number, band = 2): EdgeMetrics {
  const plane = width * height;
  let step = 0;
  let inputStep = 0;
  let pairs = 0;
  const visit = (p: number, q: number) => {
    // p inside, q outside
    for (let c = 0; c < 3; c++) {
      const o = toLevel(xOk[c * plane + q]);
      step += Math.abs(toLevel(x[c * plane + p]) - o);
      inputStep += Math.abs(toLevel(xOk[c * plane + p]) - o);
    }
    pairs++;
  };
  for (let y = 0; y < height; y++) {
    for (let xx = 0; xx < width; xx++) {
      const p = y * width + xx;
      if (xx + 1 < width && !defect[p] !== !defect[p + 1]) {
        if (defect[p]) visit(p, p + 1);
        else visit(p + 1, p);
      }
      if (y + 1 < height && !defect[p] !== !defect[p + width]) {
        if (defect[p]) visit(p, p + width);
        else visit(p + width, p);
      }
    }
  }
  const dist = insideDistance(defect, width, height, band);
  let inner = 0;
  let n = 0;
  for (let p = 0; p < plane; p++) {
    if (!dist[p]) continue;
    for (let c = 0; c < 3; c++) inner += Math.abs(toLevel(x[c * plane + p]) - toLevel(xOk[c * plane + p]));
    n += 3;
  }
  return {
    edgeStep: pairs ? step / (3 * pairs) : NaN,
    inputEdgeStep: pairs ? inputStep / (3 * pairs) : NaN,
    innerBand: n ? inner / n : NaN,
  };
}
