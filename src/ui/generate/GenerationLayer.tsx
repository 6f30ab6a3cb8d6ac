// The generation overlay. Mounted by the canvas inside its image-space Konva group, it draws the live step
// preview and the selected result on a small DOM canvas stacked above the Konva layers and placed with a
// CSS transform from the viewport: a step updates a defect-sized canvas and never redraws the photo layer,
// so the page's main thread stays free while the Worker generates. Compare: a wipe slider, Tab for the
// original. Pixels come from canvases in buffers.ts; React only holds which one to show.
import { useEffect, useLayoutEffect, useRef, useSyncExternalStore } from 'react';
import { Group } from 'react-konva';
import type Konva from 'konva';
import { overlay } from './buffers';
import { useResults } from './stores';
import { useViewport } from '../editorInstance';

let version = 0;
const sub = (cb: () => void) =>
  overlay.subscribe(() => {
    version++;
    cb();
  });

export function GenerationLayer() {
  useSyncExternalStore(sub, () => version);
  const vp = useViewport();
  const wipe = useResults((s) => s.wipe);
  const showOriginal = useResults((s) => s.showOriginal);
  const groupRef = useRef<Konva.Group>(null);
  const hostRef = useRef<HTMLDivElement | null>(null);

  // A host element inside Konva's content box, above its layer canvases.
  useEffect(() => {
    const content = groupRef.current?.getStage()?.content;
    if (!content) return;
    const host = document.createElement('div');
    host.className = 'ds-generation-overlay';
    host.dataset.testid = 'generation-overlay';
    Object.assign(host.style, { position: 'absolute', left: '0', top: '0', transformOrigin: '0 0', pointerEvents: 'none', display: 'none' });
    content.appendChild(host);
    hostRef.current = host;
    return () => {
      host.remove();
      hostRef.current = null;
    };
  }, []);

  const c = overlay.content;
  useLayoutEffect(() => {
    const host = hostRef.current;
    if (!host) return;
    if (!c || (c.kind === 'result' && showOriginal)) {
      host.style.display = 'none';
      return;
    }
    if (host.firstChild !== c.canvas) host.replaceChildren(c.canvas);
    const cs = c.canvas.style;
    cs.display = 'block';
    cs.width = `${c.canvas.width}px`;
    cs.height = `${c.canvas.height}px`;
    cs.imageRendering = vp.zoom >= 2 ? 'pixelated' : 'auto';
    host.style.display = 'block';
    host.style.transform = `translate(${vp.x + c.x * vp.zoom}px, ${vp.y + c.y * vp.zoom}px) scale(${vp.zoom})`;
    host.style.clipPath = c.kind === 'result' && wipe < 1 ? `inset(0 ${((1 - wipe) * 100).toFixed(2)}% 0 0)` : 'none';
  });

  return <Group ref={groupRef} listening={false} name="generation-layer" />;
}
