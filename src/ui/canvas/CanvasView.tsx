/**
 * The Konva stage: photo, generation overlay (seam) and trimap overlay inside one image-space group, and a
 * screen-space layer for the cursor and shape previews. Pointer input goes straight to the headless editor
 * in image coordinates; trimap changes update only their dirty rectangle of the overlay canvas.
 */
import { useEffect, useRef, useState, type DragEvent } from 'react';
import { Group, Layer, Shape, Stage } from 'react-konva';
import type Konva from 'konva';
import type { TrimapClass } from '../../core/image';
import { screenToImage } from '../../editor/viewport';
import { editor, useImageRevision, useToolSettings, useViewport } from '../editorInstance';
import { GenerationLayer } from '../generate/GenerationLayer';
import { useViewSettings } from '../stores';
import { openFolderFiles, openImageFile } from '../actions';
import { folderFromDrop } from '../imageIO';
import { PhotoLayer, TrimapOverlay, visibleImageRect } from './layers';
import { spaceHeld } from './keyboard';
import { ErrorBoundary } from '../ErrorBoundary';

function nativeContext(context: Konva.Context): CanvasRenderingContext2D {
  return (context as unknown as { _context: CanvasRenderingContext2D })._context;
}

function drawPreview(context: Konva.Context): void {
  const ctx = nativeContext(context);
  const vp = editor.getViewport();
  const s = editor.getSettings();
  const { colors } = useViewSettings.getState();
  const toS = (x: number, y: number): [number, number] => [x * vp.zoom + vp.x, y * vp.zoom + vp.y];
  const [cr, cg, cb] = colors[s.cls];
  const shape = editor.getShapePreview();
  if (shape) {
    ctx.save();
    ctx.beginPath();
    if (shape.kind === 'polygon') {
      for (let i = 0; i < shape.points.length; i += 2) {
        const [x, y] = toS(shape.points[i], shape.points[i + 1]);
        if (i === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      }
      if (shape.points.length >= 6) ctx.closePath();
    } else if (shape.kind === 'rectangle') {
      const [ax, ay] = toS(shape.ax, shape.ay);
      const [bx, by] = toS(shape.bx, shape.by);
      ctx.rect(Math.min(ax, bx), Math.min(ay, by), Math.abs(bx - ax), Math.abs(by - ay));
    } else if (shape.kind === 'ellipse') {
      const [ax, ay] = toS(shape.ax, shape.ay);
      const [bx, by] = toS(shape.bx, shape.by);
      ctx.ellipse((ax + bx) / 2, (ay + by) / 2, Math.abs(bx - ax) / 2, Math.abs(by - ay) / 2, 0, 0, Math.PI * 2);
    } else {
      const [ax, ay] = toS(shape.ax, shape.ay);
      const [bx, by] = toS(shape.bx, shape.by);
      ctx.moveTo(ax, ay);
      ctx.lineTo(bx, by);
      ctx.lineCap = 'round';
      ctx.lineWidth = Math.max(1, shape.width * vp.zoom);
      ctx.strokeStyle = `rgba(${cr},${cg},${cb},0.45)`;
      ctx.stroke();
      ctx.lineWidth = 1;
    }
    if (shape.kind !== 'line') {
      ctx.fillStyle = `rgba(${cr},${cg},${cb},0.25)`;
      ctx.fill('nonzero');
    }
    ctx.setLineDash([5, 4]);
    ctx.strokeStyle = 'rgba(0,0,0,0.8)';
    ctx.lineWidth = 1;
    ctx.stroke();
    ctx.lineDashOffset = 4.5;
    ctx.strokeStyle = 'rgba(255,255,255,0.9)';
    ctx.stroke();
    ctx.restore();
  }
  const cursor = editor.getCursor();
  if (!cursor || !editor.hasDocument() || spaceHeld.current) return;
  const [sx, sy] = toS(cursor.x, cursor.y);
  if (s.tool === 'brush' || s.tool === 'eraser' || s.tool === 'line') {
    const r = Math.max(0.5, (s.size / 2) * vp.zoom);
    const cls: TrimapClass = s.tool === 'eraser' ? s.baseClass : s.cls;
    const [r0, g0, b0] = colors[cls];
    // Soft edge in the preview only: the labels themselves are hard-edged.
    const feather = Math.max(1.5, r * 0.25);
    const g = ctx.createRadialGradient(sx, sy, Math.max(0, r - feather), sx, sy, r + feather);
    g.addColorStop(0, `rgba(${r0},${g0},${b0},0.35)`);
    g.addColorStop(1, `rgba(${r0},${g0},${b0},0)`);
    ctx.save();
    ctx.fillStyle = g;
    ctx.beginPath();
    ctx.arc(sx, sy, r + feather, 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = `rgba(${r0},${g0},${b0},0.35)`;
    ctx.beginPath();
    ctx.arc(sx, sy, Math.max(0, r - feather), 0, Math.PI * 2);
    ctx.fill();
    ctx.lineWidth = 1;
    ctx.strokeStyle = 'rgba(0,0,0,0.75)';
    ctx.beginPath();
    ctx.arc(sx, sy, r + 0.5, 0, Math.PI * 2);
    ctx.stroke();
    ctx.strokeStyle = 'rgba(255,255,255,0.85)';
    ctx.beginPath();
    ctx.arc(sx, sy, Math.max(0.5, r - 0.5), 0, Math.PI * 2);
    ctx.stroke();
    ctx.restore();
  } else {
    // crosshair
    ctx.save();
    ctx.lineWidth = 1;
    for (const [col, off] of [
      ['rgba(0,0,0,0.8)', 1],
      ['rgba(255,255,255,0.95)', 0],
    ] as const) {
      ctx.strokeStyle = col;
      ctx.beginPath();
      ctx.moveTo(sx - 9 + off, sy + 0.5 + off);
      ctx.lineTo(sx + 10 + off, sy + 0.5 + off);
      ctx.moveTo(sx + 0.5 + off, sy - 9 + off);
      ctx.lineTo(sx + 0.5 + off, sy + 10 + off);
      ctx.stroke();
    }
    ctx.restore();
  }
}

export function CanvasView() {
  const containerRef = useRef<HTMLDivElement>(null);
  const contentLayer = useRef<Konva.Layer>(null);
  const previewLayer = useRef<Konva.Layer>(null);
  const [size, setSize] = useState({ w: 0, h: 0 });
  const imageRev = useImageRevision();
  const vp = useViewport();
  const settings = useToolSettings();
  const opacity = useViewSettings((s) => s.opacity);
  const colors = useViewSettings((s) => s.colors);
  const visible = useViewSettings((s) => s.visible);
  const weights = useViewSettings((s) => s.weights);
  const photoRef = useRef<PhotoLayer | null>(null);
  const overlayRef = useRef<TrimapOverlay | null>(null);
  const [layersRev, setLayersRev] = useState(0);
  const [panning, setPanning] = useState(false);
  const [dragOver, setDragOver] = useState(false);
  const fitted = useRef(false);

  // Redraws are coalesced to one per animation frame.
  const frame = useRef<number | null>(null);
  const needContent = useRef(false);
  const needPreview = useRef(false);
  const requestDraw = (content: boolean, preview: boolean) => {
    needContent.current ||= content;
    needPreview.current ||= preview;
    if (frame.current !== null) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = null;
      if (needContent.current) contentLayer.current?.batchDraw();
      if (needPreview.current) previewLayer.current?.batchDraw();
      needContent.current = needPreview.current = false;
    });
  };

  // Canvas size follows the container.
  useEffect(() => {
    const el = containerRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => {
      const w = Math.max(1, Math.floor(el.clientWidth));
      const h = Math.max(1, Math.floor(el.clientHeight));
      setSize({ w, h });
      // A resize keeps the view; only an image shown before the canvas was first measured is re-fitted.
      editor.setViewSize(w, h, editor.hasDocument() && !fitted.current && !editor.viewFromSession);
      if (editor.hasDocument()) fitted.current = true;
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // A new image: new photo and overlay canvases, fit to view.
  useEffect(() => {
    const img = editor.getImage();
    const tri = editor.getTrimap();
    if (!img || !tri) {
      photoRef.current = null;
      overlayRef.current = null;
      setLayersRev((r) => r + 1);
      return;
    }
    photoRef.current = new PhotoLayer(img);
    const cur = overlayRef.current;
    if (!cur || cur.width !== tri.width || cur.height !== tri.height) {
      const { colors, weights, visible } = useViewSettings.getState();
      overlayRef.current = new TrimapOverlay(tri.width, tri.height, { colors, weights, visible });
    }
    overlayRef.current!.update(tri);
    setLayersRev((r) => r + 1);
    // The editor fits a new image to its view size (and a restored session brings its own view); refit
    // only when the canvas was measured after that.
    const el = containerRef.current;
    const shown = editor.getViewport();
    if (el && el.clientWidth > 0 && (el.clientWidth !== shown.viewWidth || el.clientHeight !== shown.viewHeight)) {
      editor.setViewSize(el.clientWidth, el.clientHeight, !editor.viewFromSession);
    }
    fitted.current = true;
    requestDraw(true, true);
  }, [imageRev]);

  // Overlay style changes: full redraw (rare).
  useEffect(() => {
    const o = overlayRef.current;
    const tri = editor.getTrimap();
    if (!o || !tri) return;
    o.setStyle({ colors, weights, visible });
    o.update(tri);
    requestDraw(true, false);
  }, [colors, weights, visible]);

  // Trimap edits update their dirty rectangle only; previews redraw the screen-space layer.
  useEffect(
    () =>
      editor.subscribe((c) => {
        if (c.type === 'trimap') {
          const tri = editor.getTrimap();
          if (tri && overlayRef.current) overlayRef.current.update(tri, c.rect);
          requestDraw(true, false);
        } else if (c.type === 'preview' || c.type === 'view' || c.type === 'settings') {
          requestDraw(false, true);
        }
      }),
    [],
  );

  // Wheel: zoom toward the cursor; Alt+wheel: brush size. Non-passive so the page does not scroll.
  useEffect(() => {
    const el = containerRef.current;
    if (!el) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
      if (e.altKey) {
        const f = Math.pow(1.0015, -dy);
        editor.setSize(editor.getSettings().size * (dy === 0 ? 1 : Math.abs(f - 1) < 0.05 ? (dy < 0 ? 1.1 : 1 / 1.1) : f));
        return;
      }
      const rect = el.getBoundingClientRect();
      editor.zoomAt(Math.pow(1.0015, -dy), e.clientX - rect.left, e.clientY - rect.top);
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, []);

  const panState = useRef<{ id: number; x: number; y: number } | null>(null);
  const local = (e: { clientX: number; clientY: number }) => {
    const r = containerRef.current!.getBoundingClientRect();
    return { sx: e.clientX - r.left, sy: e.clientY - r.top };
  };
  const toImage = (e: React.PointerEvent | PointerEvent) => {
    const { sx, sy } = local(e);
    return screenToImage(editor.getViewport(), sx, sy);
  };

  const onPointerDown = (e: React.PointerEvent<HTMLDivElement>) => {
    containerRef.current?.focus({ preventScroll: true });
    if (e.button === 1 || (e.button === 0 && spaceHeld.current)) {
      e.preventDefault();
      panState.current = { id: e.pointerId, x: e.clientX, y: e.clientY };
      setPanning(true);
      e.currentTarget.setPointerCapture(e.pointerId);
      return;
    }
    if (e.button !== 0 || !editor.hasDocument()) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    const p = toImage(e);
    editor.pointerDown({ x: p.x, y: p.y, button: 0, shiftKey: e.shiftKey, detail: e.detail });
  };

  const onPointerMove = (e: React.PointerEvent<HTMLDivElement>) => {
    const pan = panState.current;
    if (pan && pan.id === e.pointerId) {
      editor.panBy(e.clientX - pan.x, e.clientY - pan.y);
      pan.x = e.clientX;
      pan.y = e.clientY;
      return;
    }
    const native = e.nativeEvent;
    const events = editor.isGestureActive() && native.getCoalescedEvents ? native.getCoalescedEvents() : [];
    for (const ce of events.length > 0 ? events : [native]) {
      const p = toImage(ce);
      editor.pointerMove({ x: p.x, y: p.y, shiftKey: ce.shiftKey });
    }
  };

  const onPointerUp = (e: React.PointerEvent<HTMLDivElement>) => {
    if (panState.current && panState.current.id === e.pointerId) {
      panState.current = null;
      setPanning(false);
      return;
    }
    if (e.button !== 0) return;
    const p = toImage(e);
    editor.pointerUp({ x: p.x, y: p.y, shiftKey: e.shiftKey });
  };

  const onDrop = async (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    setDragOver(false);
    // a folder (or several files) opens a folder session; one file opens as one image
    const folder = folderFromDrop(e.dataTransfer);
    if (folder) {
      const { folder: name, files } = await folder;
      await openFolderFiles(name, files);
      return;
    }
    const f = e.dataTransfer.files?.[0];
    if (f) await openImageFile(f);
  };

  const brushLike = settings.tool === 'brush' || settings.tool === 'eraser' || settings.tool === 'line';
  const cursor = panning ? 'grabbing' : spaceHeld.current ? 'grab' : !editor.hasDocument() ? 'default' : brushLike ? 'none' : 'crosshair';
  const img = editor.getImage();

  return (
    <div
      ref={containerRef}
      className={`ds-canvas${dragOver ? ' ds-dragover' : ''}`}
      data-testid="canvas"
      tabIndex={-1}
      style={{ cursor }}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={onPointerUp}
      onPointerLeave={() => editor.pointerLeave()}
      onContextMenu={(e) => e.preventDefault()}
      onDragOver={(e) => {
        e.preventDefault();
        setDragOver(true);
      }}
      onDragLeave={() => setDragOver(false)}
      onDrop={onDrop}
    >
      {size.w > 0 && (
        <Stage width={size.w} height={size.h} listening={false}>
          <Layer ref={contentLayer} listening={false} imageSmoothingEnabled={vp.zoom < 1}>
            <Group x={vp.x} y={vp.y} scaleX={vp.zoom} scaleY={vp.zoom} listening={false}>
              {img && (
                <Shape
                  key={`photo-${layersRev}`}
                  listening={false}
                  perfectDrawEnabled={false}
                  sceneFunc={(c) => photoRef.current?.draw(nativeContext(c), editor.getViewport().zoom, visibleImageRect(editor.getViewport()))}
                />
              )}
              <ErrorBoundary name="The generation overlay" fallback={() => null}>
                <GenerationLayer />
              </ErrorBoundary>
              {img && (
                <Shape
                  key={`overlay-${layersRev}`}
                  name="trimap-overlay"
                  opacity={opacity}
                  listening={false}
                  perfectDrawEnabled={false}
                  sceneFunc={(c) => overlayRef.current?.draw(nativeContext(c), editor.getViewport().zoom, visibleImageRect(editor.getViewport()))}
                />
              )}
            </Group>
          </Layer>
          <Layer ref={previewLayer} listening={false}>
            <Shape sceneFunc={drawPreview} listening={false} perfectDrawEnabled={false} />
          </Layer>
        </Stage>
      )}
    </div>
  );
}
