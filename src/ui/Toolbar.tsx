/** The top bar (file and history commands) and the left tool palette (tools, trimap class, size, overlay). */
import { useId } from 'react';
import type { TrimapClass } from '../core/image';
import type { ToolId } from '../editor/tools';
import { MAX_BRUSH, MIN_BRUSH } from '../editor/Editor';
import { editor, useImageRevision, useToolSettings } from './editorInstance';
import { command } from './commands';
import { CommandButton } from './CommandButton';
import { CLASS_LABELS, CLASS_ORDER, useViewSettings } from './stores';

/**
 * The buttons of the top bar and the palette, by command id: labels, tooltips, keys, enabled state and
 * clicks all come from the command table (src/ui/commands.ts).
 */
export const TOP_BAR: readonly { label: string; commands: readonly string[] }[] = [
  { label: 'File', commands: ['file.new', 'file.open', 'file.importTrimap', 'file.importMask', 'file.exportTrimap'] },
  { label: 'Folder', commands: ['folder.open', 'folder.openFiles', 'folder.exportMasks'] },
  { label: 'History', commands: ['edit.undo', 'edit.redo'] },
];

/** The painting tools: the command that picks each, and its icon. */
export const TOOLS: readonly { tool: ToolId; command: string; icon: string }[] = [
  { tool: 'brush', command: 'tool.brush', icon: '●' },
  { tool: 'eraser', command: 'tool.eraser', icon: '◌' },
  { tool: 'lasso', command: 'tool.lasso', icon: '✎' },
  { tool: 'rectangle', command: 'tool.rectangle', icon: '▭' },
  { tool: 'ellipse', command: 'tool.ellipse', icon: '◯' },
  { tool: 'line', command: 'tool.line', icon: '╱' },
  { tool: 'fill', command: 'tool.fill', icon: '▨' },
  { tool: 'wand', command: 'tool.wand', icon: '✦' },
];

export const PALETTE_COMMANDS: readonly string[] = ['edit.fillAll', 'edit.swap', 'refine.objectFromBackground'];
export const REFINE_COMMANDS: readonly string[] = ['refine.grow', 'refine.shrink', 'refine.fillHoles', 'refine.removeSpecks'];

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
  useImageRevision();
  const has = editor.hasDocument();
  return (
    <header className="ds-topbar">
      <div className="ds-brand">
        DefectStudio
        <span className="ds-docname" data-testid="doc-name">
          {has ? `${editor.getImageName()} · ${editor.getImage()!.width}×${editor.getImage()!.height}` : ''}
        </span>
      </div>
      {TOP_BAR.map((g) => (
        <div key={g.label} className="ds-topbar-group" role="toolbar" aria-label={g.label}>
          {g.commands.map((id) => (
            <CommandButton key={id} id={id} />
          ))}
        </div>
      ))}
      <div className="ds-topbar-group">
        <CommandButton id="view.help">?</CommandButton>
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
  return (
    <nav className="ds-palette" aria-label="Tools">
      <div className="ds-tools" role="toolbar" aria-label="Painting tools" aria-orientation="vertical">
        {TOOLS.map((t) => (
          <CommandButton key={t.tool} id={t.command} className="ds-tool" pressed={s.tool === t.tool}>
            <span aria-hidden="true" className="ds-tool-icon">
              {t.icon}
            </span>
            <span aria-hidden="true">{command(t.command).short ?? command(t.command).label}</span>
          </CommandButton>
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
        {PALETTE_COMMANDS.map((id) => (
          <CommandButton key={id} id={id} />
        ))}
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
          {REFINE_COMMANDS.map((id) => (
            <CommandButton key={id} id={id} />
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
