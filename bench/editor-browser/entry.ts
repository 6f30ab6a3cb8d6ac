// Runs in Chromium: the app's real painting path (headless editor -> dirty-rect overlay update -> Konva
// layer redraw) on 1024^2 and 4096^2 images, timed per pointer move.
import Konva from 'konva';
import { Editor } from '../../src/editor/Editor';
import { DEFECT, OBJECT } from '../../src/core/image';
import { PhotoLayer, TrimapOverlay, visibleImageRect } from '../../src/ui/canvas/layers';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function runOne(size: number, brush: number, strokes: number, moves: number) {
  const div = document.createElement('div');
  document.body.appendChild(div);
  const stage = new Konva.Stage({ container: div, width: 1200, height: 800 });
  const layer = new Konva.Layer({ listening: false });
  stage.add(layer);
  const data = new Uint8ClampedArray(size * size * 4);
  for (let i = 0; i < data.length; i += 4) {
    data[i] = (i >> 4) & 255;
    data[i + 1] = 128;
    data[i + 2] = 90;
    data[i + 3] = 255;
  }
  const ed = new Editor();
  ed.setViewSize(1200, 800);
  ed.loadImage({ width: size, height: size, data }, 'bench');
  ed.setSize(brush);
  const tri = ed.getTrimap()!;
  const overlay = new TrimapOverlay(size, size, {
    colors: { 0: [40, 110, 255], 1: [40, 200, 120], 2: [255, 40, 60] },
    weights: { 0: 1, 1: 0.6, 2: 1 },
    visible: { 0: true, 1: false, 2: true },
  });
  overlay.update(tri);
  const vp = ed.getViewport();
  const group = new Konva.Group({ x: vp.x, y: vp.y, scaleX: vp.zoom, scaleY: vp.zoom });
  // the same nodes as src/ui/canvas/CanvasView.tsx
  const photo = new PhotoLayer(ed.getImage()!);
  const native = (c: Konva.Context) => (c as unknown as { _context: CanvasRenderingContext2D })._context;
  group.add(new Konva.Shape({ listening: false, sceneFunc: (c) => photo.draw(native(c), vp.zoom, visibleImageRect(vp)) }));
  group.add(new Konva.Shape({ listening: false, opacity: 0.5, sceneFunc: (c) => overlay.draw(native(c), vp.zoom, visibleImageRect(vp)) }));
  layer.add(group);
  layer.draw();
  ed.subscribe((c) => {
    if (c.type === 'trimap') overlay.update(tri, c.rect);
  });
  const paint: number[] = [];
  const draw: number[] = [];
  const stroke: number[] = [];
  let seed = size;
  const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
  for (let s = 0; s < strokes + 3; s++) {
    ed.setClass(s % 2 ? OBJECT : DEFECT);
    let x = 200 + rand() * (size - 600);
    let y = 200 + rand() * (size - 600);
    const dir = rand() * 6.28;
    const ts = performance.now();
    ed.pointerDown({ x, y });
    for (let i = 0; i < moves; i++) {
      x += 4 * Math.cos(dir + Math.sin(i / 6));
      y += 4 * Math.sin(dir + Math.sin(i / 6));
      const t0 = performance.now();
      ed.pointerMove({ x, y });
      const t1 = performance.now();
      layer.draw(); // what the app does once per animation frame
      // the canvas only renders when its pixels are read or composited: force it, as a frame would
      layer.getContext()._context.getImageData(0, 0, 1, 1);
      const t2 = performance.now();
      if (s >= 3) {
        paint.push(t1 - t0);
        draw.push(t2 - t1);
      }
    }
    ed.pointerUp({ x, y });
    if (s >= 3) stroke.push(performance.now() - ts);
  }
  stage.destroy();
  div.remove();
  return {
    image: `${size}x${size}`,
    brush_px: brush,
    move_paint_overlay_ms: +median(paint).toFixed(3),
    move_konva_draw_ms: +median(draw).toFixed(3),
    stroke_total_ms: +median(stroke).toFixed(1),
    history_mb: +(ed.history.bytes / 1048576).toFixed(2),
  };
}

(globalThis as unknown as Record<string, unknown>).runEditorBench = async () => {
  const rows = [];
  for (const brush of [16, 64]) for (const size of [1024, 4096]) rows.push(await runOne(size, brush, 10, 40));
  return rows;
};
