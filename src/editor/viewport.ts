/**
 * Viewport math. Screen = image * zoom + offset (screen pixels relative to the canvas's top-left corner).
 */
export interface Viewport {
  zoom: number;
  x: number;
  y: number;
  /** Size of the view (the canvas) in screen pixels. */
  viewWidth: number;
  viewHeight: number;
}

export const MIN_ZOOM = 1 / 64;
export const MAX_ZOOM = 64;

export function clampZoom(z: number): number {
  return Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, z));
}

export function screenToImage(vp: Viewport, sx: number, sy: number): { x: number; y: number } {
  return { x: (sx - vp.x) / vp.zoom, y: (sy - vp.y) / vp.zoom };
}

export function imageToScreen(vp: Viewport, ix: number, iy: number): { x: number; y: number } {
  return { x: ix * vp.zoom + vp.x, y: iy * vp.zoom + vp.y };
}

/** Zooms by `factor` keeping the image point under the screen point (sx, sy) fixed. */
export function zoomAt(vp: Viewport, factor: number, sx: number, sy: number): Viewport {
  const zoom = clampZoom(vp.zoom * factor);
  const ix = (sx - vp.x) / vp.zoom;
  const iy = (sy - vp.y) / vp.zoom;
  return { ...vp, zoom, x: sx - ix * zoom, y: sy - iy * zoom };
}

export function panBy(vp: Viewport, dx: number, dy: number): Viewport {
  return { ...vp, x: vp.x + dx, y: vp.y + dy };
}

/** The whole image centred in the view with a margin, never magnified beyond `maxZoom`. */
export function fitImage(vp: Viewport, imageWidth: number, imageHeight: number, margin = 16, maxZoom = 8): Viewport {
  const aw = Math.max(1, vp.viewWidth - 2 * margin);
  const ah = Math.max(1, vp.viewHeight - 2 * margin);
  const zoom = clampZoom(Math.min(aw / imageWidth, ah / imageHeight, maxZoom));
  return {
    ...vp,
    zoom,
    x: Math.round((vp.viewWidth - imageWidth * zoom) / 2),
    y: Math.round((vp.viewHeight - imageHeight * zoom) / 2),
  };
}
