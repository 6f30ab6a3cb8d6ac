// Seam for the generation overlay (issue 5): rendered inside the canvas's image-space Konva group,
// above the photo, to show step previews and results.
export function GenerationLayer() {
  return null;
}
