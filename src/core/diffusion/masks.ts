/** Masks at latent resolution derived from the native-resolution trimap crop (METHOD.md). */
import { BACKGROUND, DEFECT } from '../image';

/** 1 where any pixel of the f x f cell is defect (a superset of nearest downsampling: thin defects survive). */
export function defectMaxPool(classes: Uint8Array, size: number, f: number): Float32Array {
  const l = size / f;
  const out = new Float32Array(l * l);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (classes[y * size + x] === DEFECT) out[Math.floor(y / f) * l + Math.floor(x / f)] = 1;
    }
  }
  return out;
}

/** Fraction of non-background pixels per f x f cell. */
export function objectMean(classes: Uint8Array, size: number, f: number): Float32Array {
  const l = size / f;
  const out = new Float32Array(l * l);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (classes[y * size + x] !== BACKGROUND) out[Math.floor(y / f) * l + Math.floor(x / f)] += 1;
    }
  }
  const inv = 1 / (f * f);
  for (let i = 0; i < out.length; i++) out[i] *= inv;
  return out;
}

/** Binary dilation with a k x k square (k odd; k <= 1 copies). */
export function dilateSquare(mask: Float32Array, l: number, k: number): Float32Array {
  const r = Math.max(0, Math.floor(k / 2));
  if (r === 0) return mask.slice();
  const tmp = new Float32Array(l * l);
  for (let y = 0; y < l; y++) {
    for (let x = 0; x < l; x++) {
      let m = 0;
      for (let dx = -r; dx <= r && !m; dx++) {
        const xx = x + dx;
        if (xx >= 0 && xx < l && mask[y * l + xx] > 0) m = 1;
      }
      tmp[y * l + x] = m;
    }
  }
  const out = new Float32Array(l * l);
  for (let y = 0; y < l; y++) {
    for (let x = 0; x < l; x++) {
      let m = 0;
      for (let dy = -r; dy <= r && !m; dy++) {
        const yy = y + dy;
        if (yy >= 0 && yy < l && tmp[yy * l + x] > 0) m = 1;
      }
      out[y * l + x] = m;
    }
  }
  return out;
}

/** 1 where class == defect, as float (native resolution). */
export function defectFloat(classes: Uint8Array): Float32Array {
  const out = new Float32Array(classes.length);
  for (let i = 0; i < classes.length; i++) out[i] = classes[i] === DEFECT ? 1 : 0;
  return out;
}

/** ControlNet hint: the trimap as a 3-channel image with values {0, 0.498, 1} (127/255). */
export function trimapHint(classes: Uint8Array): Float32Array {
  const n = classes.length;
  const out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    const v = classes[i] === DEFECT ? 1 : classes[i] === BACKGROUND ? 0 : 127 / 255;
    out[i] = v;
    out[n + i] = v;
    out[2 * n + i] = v;
  }
  return out;
}
