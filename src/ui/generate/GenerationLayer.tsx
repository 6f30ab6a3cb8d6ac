// The generation overlay, inside the canvas's image-space Konva group above the photo: the live step
// preview while generating, then the selected result (with the compare wipe and Tab for the original).
// Pixels come from canvases in buffers.ts; React only holds which one to show.
import { useEffect, useRef, useSyncExternalStore } from 'react';
import { Group, Image as KImage } from 'react-konva';
import type Konva from 'konva';
import { overlay } from './buffers';
import { useResults } from './stores';

let version = 0;
const sub = (cb: () => void) =>
  overlay.subscribe(() => {
    version++;
    cb();
  });

export function GenerationLayer() {
  useSyncExternalStore(sub, () => version);
  const wipe = useResults((s) => s.wipe);
  const showOriginal = useResults((s) => s.showOriginal);
  const ref = useRef<Konva.Image>(null);
  const groupRef = useRef<Konva.Group>(null);
  const c = overlay.content;
  // The preview canvas is reused between steps: tell Konva to redraw it.
  // Drawn above the trimap overlay too, so previews and results are seen in their true colours.
  useEffect(() => {
    groupRef.current?.moveToTop();
    ref.current?.getLayer()?.batchDraw();
  });
  if (!c || (c.kind === 'result' && showOriginal)) return null;
  const clipW = c.kind === 'result' ? c.canvas.width * wipe : c.canvas.width;
  return (
    <Group ref={groupRef} x={c.x} y={c.y} listening={false} clipX={0} clipY={0} clipWidth={clipW} clipHeight={c.canvas.height} name="generation-overlay">
      <KImage ref={ref} image={c.canvas} x={0} y={0} width={c.canvas.width} height={c.canvas.height} listening={false} imageSmoothingEnabled={false} />
    </Group>
  );
}
