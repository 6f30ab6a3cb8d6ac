/** The top bar (file and history commands) and the left tool palette (tools, trimap class, size, overlay). */
import { useId } from 'react';
import type { TrimapClass } from '../core/image';
import { ACTIONS, formatKey } from '../editor/keymap';
import type { ToolId } from '../editor/tools';
import { MAX_BRUSH, MIN_BRUSH } from '../editor/Editor';
import { editor, useHistoryState, useImageRevision, useToolSettings } from './editorInstance';
import { exportTrimap, importMaskDialog, importTrimapDialog, newDocument, openImageDialog, runAction } from './actions';
import { useFolder } from './FolderStrip';
import { CLASS_LABELS, CLASS_ORDER, useUi, useViewSettings } from './stores';

function keyHint(actionId: string): string {
  const a = ACTIONS.find((x) => x.id === actionId);
  return a && a.keys.length ? ` (${a.keys.map((k) => formatKey(k)).join(', ')})` : '';
}

const TOOLS: { id: ToolId; label: string; action: string; icon: string }[] = [
  { id: 'brush', label: 'Brush', action: 'tool.brush', icon: '●' },
  { id: 'eraser', label: 'Eraser', action: 'tool.eraser', icon: '◌' },
  { id: 'lasso', label: 'Lasso', action: 'tool.lasso', icon: '✎' },
  { id: 'rectangle', label: 'Rectangle', action: 'tool.rectangle', icon: '▭' },
  { id: 'ellipse', label: 'Ellipse', action: 'tool.ellipse', icon: '◯' },
  { id: 'line', label: 'Line', action: 'tool.line', icon: '╱' },
  { id: 'fill', label: 'Fill', action: 'tool.fill', icon: '▨' },
  { id: 'wand', label: 'Magic wand', action: 'tool.wand', icon: '✦' },
];

/** The refine commands of the action table, as palette buttons. */
const REFINE: { action: string; label: string; title: string }[] = [
  { action: 'refine.grow', label: 'Grow', title: 'Grow the region of the current class by the radius' },
  { action: 'refine.shrink', label: 'Shrink', title: 'Shrink the region of the current class by the radius' },
  { action: 'refine.fillHoles', label: 'Fill holes', title: 'Fill the enclosed holes of the region of the current class' },
  { action: 'refine.removeSpecks', label: 'Remove specks', title: 'Remove parts of the region smaller than the speck size' },
];

/**
 * Tolerance slider input, applied once per frame: redoing a wand click at 4096^2 can take longer than the
 * slider's input events are apart, so only the latest value of a frame is applied.
 */
let pendingTolerance: number | null = null;
function setToleranceSoon(v: number): void {
  const first = pendingTolerance === null;
  pendingTolerance = v;
  if (!first) return;
  requestAnimationFrame(() => {
    const t = pendingTolerance;
    pendingTolerance = null;
    if (t !== null) editor.setWandOptions({ tolerance: t });
  });
}

function rgb(c: [number, number, number]) {
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

export function TopBar() {
  const { canUndo, canRedo } = useHistoryState();
  useImageRevision();
  const has = editor.hasDocument();
  const setHelp = useUi((s) => s.setHelpOpen);
  const folder = useFolder();
  return (
    <header className="ds-topbar">
      <div className="ds-brand">
        DefectStudio
        <span className="ds-docname" data-testid="doc-name">
          {has ? `${editor.getImageName()} · ${editor.getImage()!.width}×${editor.getImage()!.height}` : ''}
        </span>
      </div>
      <div className="ds-topbar-group" role="toolbar" aria-label="File">
        <button type="button" onClick={() => void newDocument()} title="Close the image and start over">
          New
        </button>
        <button type="button" onClick={() => void openImageDialog()} title={`Open a PNG, JPEG, WebP or BMP image${keyHint('file.open')}`}>
          Open image
        </button>
        <button type="button" onClick={() => void importTrimapDialog()} disabled={!has} title="Load a trimap PNG (0 / 127 / 255)">
          Import trimap
        </button>
        <button type="button" onClick={() => void importMaskDialog()} disabled={!has} title="Paint a binary defect mask PNG as defect over object">
          Import mask
        </button>
        <button type="button" onClick={() => exportTrimap()} disabled={!has} title={`Download the trimap PNG${keyHint('file.exportTrimap')}`}>
          Export trimap
        </button>
      </div>
      <div className="ds-topbar-group" role="toolbar" aria-label="Folder">
        <button type="button" onClick={() => runAction('folder.open')} title="Label a folder of photos one after the other (or drop a folder on the canvas)">
          Open folder
        </button>
        <button type="button" onClick={() => runAction('folder.openFiles')} title="Pick several images to label as a folder">
          Open images
        </button>
        <button
          type="button"
          onClick={() => runAction('folder.exportMasks')}
          disabled={!folder?.active}
          title={`Download the folder's masks (MVTec AD ground truth, <name>_mask.png) and trimaps as a zip${keyHint('folder.exportMasks')}`}
        >
          Export masks
        </button>
      </div>
      <div className="ds-topbar-group" role="toolbar" aria-label="History">
        <button type="button" onClick={() => editor.undo()} disabled={!canUndo} title={`Undo${keyHint('edit.undo')}`}>
          Undo
        </button>
        <button type="button" onClick={() => editor.redo()} disabled={!canRedo} title={`Redo${keyHint('edit.redo')}`}>
          Redo
        </button>
      </div>
      <div className="ds-topbar-group">
        <button type="button" onClick={() => setHelp(true)} title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts">
          ?
        </button>
      </div>
    </header>
  );
}

export function ToolPalette() {
  const s = useToolSettings();
  const sizeId = useId();
  const opacityId = useId();
  const opacity = useViewSettings((v) => v.opacity);
  const setOpacity = useViewSettings((v) => v.setOpacity);
  const visible = useViewSettings((v) => v.visible);
  const setVisible = useViewSettings((v) => v.setVisible);
  const colors = useViewSettings((v) => v.colors);
  useImageRevision();
  const has = editor.hasDocument();
  return (
    <nav className="ds-palette" aria-label="Tools">
      <div className="ds-tools" role="toolbar" aria-label="Painting tools" aria-orientation="vertical">
        {TOOLS.map((t) => (
          <button
            key={t.id}
            type="button"
            className="ds-tool"
            aria-pressed={s.tool === t.id}
            aria-label={t.label}
            title={`${t.label}${keyHint(t.action)}`}
            onClick={() => runAction(t.action)}
          >
            <span aria-hidden="true" className="ds-tool-icon">
              {t.icon}
            </span>
            <span aria-hidden="true">{t.label}</span>
          </button>
        ))}
      </div>

      <div role="radiogroup" aria-label="Trimap class" className="ds-classes">
        <div className="ds-palette-title" aria-hidden="true">
          Trimap class
        </div>
        {CLASS_ORDER.map((c, i) => (
          <label key={c} className="ds-class" title={`${CLASS_LABELS[c]} (${i + 1})`}>
            <input type="radio" name="trimap-class" checked={s.cls === c} onChange={() => editor.setClass(c as TrimapClass)} />
            <span className="ds-swatch" style={{ background: rgb(colors[c]) }} aria-hidden="true" />
            {CLASS_LABELS[c]}
            <kbd aria-hidden="true">{i + 1}</kbd>
          </label>
        ))}
      </div>

      <div className="ds-palette-section">
        <label htmlFor={sizeId} className="ds-palette-title">
          Size <output>{s.size}px</output>
        </label>
        <input
          id={sizeId}
          type="range"
          aria-label="Brush size"
          min={MIN_BRUSH}
          max={Math.min(MAX_BRUSH, 400)}
          value={Math.min(s.size, 400)}
          onChange={(e) => editor.setSize(Number(e.target.value))}
        />
      </div>

      {s.tool === 'wand' && (
        <div className="ds-palette-section" data-testid="wand-options">
          <label htmlFor={`${sizeId}-tol`} className="ds-palette-title">
            Tolerance <output>{s.tolerance}</output>
          </label>
          <input
            id={`${sizeId}-tol`}
            type="range"
            aria-label="Tolerance"
            min={0}
            max={255}
            value={s.tolerance}
            title="Largest R, G or B difference to the clicked pixel; changing it redoes the last click live"
            onChange={(e) => setToleranceSoon(Number(e.target.value))}
          />
          <label className="ds-check">
            <input type="checkbox" checked={s.contiguous} onChange={(e) => editor.setWandOptions({ contiguous: e.target.checked })} />
            Contiguous
          </label>
          <label className="ds-check" title="Diagonal neighbours join the region (8-connected); off: 4-connected">
            <input type="checkbox" checked={s.connectivity === 8} onChange={(e) => editor.setWandOptions({ connectivity: e.target.checked ? 8 : 4 })} />
            Diagonal neighbours
          </label>
        </div>
      )}

      {s.tool === 'eraser' && (
        <div className="ds-palette-section">
          <label className="ds-palette-title" htmlFor={`${sizeId}-base`}>
            Eraser returns to
          </label>
          <select id={`${sizeId}-base`} value={s.baseClass} onChange={(e) => editor.setBaseClass(Number(e.target.value) as TrimapClass)}>
            {CLASS_ORDER.map((c) => (
              <option key={c} value={c}>
                {CLASS_LABELS[c]}
              </option>
            ))}
          </select>
        </div>
      )}

      <div className="ds-palette-section">
        <button type="button" disabled={!has} onClick={() => editor.fillAll()} title={`Fill the whole image with the current class${keyHint('edit.fillAll')}`}>
          Fill all
        </button>
        <button type="button" disabled={!has} onClick={() => editor.swapDefectObject()} title={`Swap defect and object${keyHint('edit.swap')}`}>
          Swap defect/object
        </button>
        <button
          type="button"
          disabled={!has}
          onClick={() => runAction('refine.objectFromBackground')}
          title={`Propose the object region from the photo (one undo step; refine it with the brush)${keyHint('refine.objectFromBackground')}`}
        >
          Object from background
        </button>
      </div>

      <div className="ds-palette-section" role="group" aria-label="Refine">
        <div className="ds-palette-title">Refine the current class</div>
        <label className="ds-inline">
          Radius
          <input
            type="number"
            aria-label="Refine radius"
            min={1}
            max={200}
            value={s.refineRadius}
            onChange={(e) => editor.setRefineOptions({ refineRadius: Number(e.target.value) })}
          />
          px
        </label>
        <label className="ds-inline">
          Specks below
          <input
            type="number"
            aria-label="Speck size"
            min={1}
            max={1000000}
            value={s.speckSize}
            onChange={(e) => editor.setRefineOptions({ speckSize: Number(e.target.value) })}
          />
          px
        </label>
        <div className="ds-button-row">
          {REFINE.map((r) => (
            <button key={r.action} type="button" disabled={!has} onClick={() => runAction(r.action)} title={`${r.title}${keyHint(r.action)}`}>
              {r.label}
            </button>
          ))}
        </div>
      </div>

      <div className="ds-palette-section">
        <label htmlFor={opacityId} className="ds-palette-title">
          Overlay <output>{Math.round(opacity * 100)}%</output>
        </label>
        <input
          id={opacityId}
          type="range"
          aria-label="Overlay opacity"
          min={0}
          max={100}
          value={Math.round(opacity * 100)}
          onChange={(e) => setOpacity(Number(e.target.value) / 100)}
        />
        {CLASS_ORDER.map((c) => (
          <label key={c} className="ds-check">
            <input type="checkbox" checked={visible[c]} onChange={(e) => setVisible(c, e.target.checked)} aria-label={`Show ${CLASS_LABELS[c].toLowerCase()}`} />
            <span className="ds-swatch" style={{ background: rgb(colors[c]) }} aria-hidden="true" />
            {CLASS_LABELS[c]}
          </label>
        ))}
      </div>
    </nav>
  );
}
