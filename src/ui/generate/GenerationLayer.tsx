// The generation overlay. Mounted by the canvas inside its image-space Konva group, it draws the live step
// preview and the selected result on a small DOM canvas stacked above the Konva layers and placed with a
// CSS transform from the viewport: a step updates a defect-sized canvas and never redraws the photo layer,
// and it does not go through React at all (a transient subscription), so the page's main thread stays
// free while the Worker generates. Compare: a wipe slider, Tab for the original. Pixels come from canvases
// in buffers.ts; React only holds the view and the compare settings.
import { useEffect, useLayoutEffect, useRef } from 'react';
import { Group } from 'react-konva';
import type Konva from 'konva';
import { overlay } from './buffers';
import { useResults } from './stores';
import { useViewport } from '../editorInstance';
import type { Viewport } from '../../editor/viewport';

function apply(host: HTMLDivElement | null, vp: Viewport, wipe: number, showOriginal: boolean) {
  if (!host) return;
  const c = overlay.content;
  if (!c || (c.kind === 'result' && showOriginal)) {
    if (host.style.display !== 'none') host.style.display = 'none';
    return;
  }
  if (host.firstChild !== c.canvas) {
    host.replaceChildren(c.canvas);
    c.canvas.style.display = 'block';
  }
  const w = `${c.canvas.width}px`;
  const h = `${c.canvas.height}px`;
  if (c.canvas.style.width !== w) c.canvas.style.width = w;
  if (c.canvas.style.height !== h) c.canvas.style.height = h;
  const rendering = vp.zoom >= 2 ? 'pixelated' : 'auto';
  if (c.canvas.style.imageRendering !== rendering) c.canvas.style.imageRendering = rendering;
  const transform = `translate(${vp.x + c.x * vp.zoom}px, ${vp.y + c.y * vp.zoom}px) scale(${vp.zoom})`;
  if (host.style.transform !== transform) host.style.transform = transform;
  const clip = c.kind === 'result' && wipe < 1 ? `inset(0 ${((1 - wipe) * 100).toFixed(2)}% 0 0)` : 'none';
  if (host.style.clipPath !== clip) host.style.clipPath = clip;
  if (host.style.display !== 'block') host.style.display = 'block';
}

export function GenerationLayer() {
  const vp = useViewport();
  const wipe = useResults((s) => s.wipe);
  const showOriginal = useResults((s) => s.showOriginal);
  const groupRef = useRef<Konva.Group>(null);
  const hostRef = useRef<HTMLDivElement | null>(null);
  const latest = useRef({ vp, wipe, showOriginal });
  latest.current = { vp, wipe, showOriginal };

  // A host element inside Konva's content box, above its layer canvases; overlay changes go straight to it.
  useEffect(() => {
    const content = groupRef.current?.getStage()?.content;
    if (!content) return;
    const host = document.createElement('div');
    host.className = 'ds-generation-overlay';
    host.dataset.testid = 'generation-overlay';
    Object.assign(host.style, { position: 'absolute', left: '0', top: '0', transformOrigin: '0 0', pointerEvents: 'none', display: 'none' });
    content.appendChild(host);
    hostRef.current = host;
    const update = () => apply(hostRef.current, latest.current.vp, latest.current.wipe, latest.current.showOriginal);
    update();
    const unsubscribe = overlay.subscribe(update);
    return () => {
      unsubscribe();
      host.remove();
      hostRef.current = null;
    };
  }, []);

  useLayoutEffect(() => apply(hostRef.current, vp, wipe, showOriginal), [vp, wipe, showOriginal]);

  return <Group ref={groupRef} listening={false} name="generation-layer" />;
}
