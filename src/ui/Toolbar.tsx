/** The top bar (file and history commands) and the left tool palette (tools, trimap class, size, overlay). */
import { useId } from 'react';
import type { TrimapClass } from '../core/image';
import { ACTIONS, formatKey } from '../editor/keymap';
import type { ToolId } from '../editor/tools';
import { MAX_BRUSH, MIN_BRUSH } from '../editor/Editor';
import { editor, useHistoryState, useImageRevision, useToolSettings } from './editorInstance';
import { exportTrimap, importMaskDialog, importTrimapDialog, newDocument, openImageDialog } from './actions';
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
];

function rgb(c: [number, number, number]) {
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

export function TopBar() {
  const { canUndo, canRedo } = useHistoryState();
  useImageRevision();
  const has = editor.hasDocument();
  const setHelp = useUi((s) => s.setHelpOpen);
  const busy = useUi((s) => s.busy);
  return (
    <header className="ds-topbar">
      <div className="ds-brand">
        DefectStudio
        <span className="ds-docname" data-testid="doc-name">
          {has ? `${editor.getImageName()} · ${editor.getImage()!.width}×${editor.getImage()!.height}` : ''}
        </span>
      </div>
      <div className="ds-topbar-group" role="toolbar" aria-label="File">
        <button type="button" onClick={() => newDocument()} title="Close the image and start over">
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
      <div className="ds-topbar-group" role="toolbar" aria-label="History">
        <button type="button" onClick={() => editor.undo()} disabled={!canUndo} title={`Undo${keyHint('edit.undo')}`}>
          Undo
        </button>
        <button type="button" onClick={() => editor.redo()} disabled={!canRedo} title={`Redo${keyHint('edit.redo')}`}>
          Redo
        </button>
      </div>
      <div className="ds-topbar-group">
        {busy && (
          <span className="ds-muted" role="status">
            {busy}
          </span>
        )}
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
            onClick={() => editor.setTool(t.id)}
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
