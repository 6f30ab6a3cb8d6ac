// Seam for the generation panel (issue 5): rendered by the editor's layout beside the canvas.
export function GeneratePanel() {
  return null;
}
