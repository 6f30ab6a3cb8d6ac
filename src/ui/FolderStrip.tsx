/** The folder session's strip: every image with its label status, the open one marked; previous / next. */
import { formatKey } from '../editor/keymap';
import { showFolderImage, useFolder } from './actions';
import { command, runCommand } from './commands';
import { useCommandContext } from './CommandButton';


const STATUS_TEXT = { unlabelled: 'not labelled', object: 'object region labelled', defect: 'defect labelled' } as const;

function keys(id: string): string {
  return command(id).keys.map((k) => formatKey(k)).join(', ');
}

export function FolderStrip() {
  const folder = useFolder();
  const ctx = useCommandContext();
  if (!folder?.active) return null;
  const items = folder.items;
  const current = folder.current;
  const labelled = items.filter((i) => i.status !== 'unlabelled').length;
  return (
    <nav className="ds-strip" aria-label="Folder" data-testid="folder-strip">
      <button type="button" aria-label="Previous image" title={`Previous image (${keys('folder.previous')})`} disabled={current <= 0} onClick={() => runCommand('folder.previous', ctx)}>
        ‹
      </button>
      <ol className="ds-strip-items">
        {items.map((it, i) => (
          <li key={`${i}-${it.name}`}>
            <button
              type="button"
              className="ds-strip-item"
              data-status={it.status}
              aria-current={i === current ? 'true' : undefined}
              aria-label={`${it.name}: ${STATUS_TEXT[it.status]}`}
              title={`${it.name}: ${STATUS_TEXT[it.status]}${it.defectPixels ? ` (${it.defectPixels} defect pixels)` : ''}`}
              onClick={() => void showFolderImage(i)}
            >
              <span className="ds-strip-dot" aria-hidden="true" />
              {it.name}
            </button>
          </li>
        ))}
      </ol>
      <span className="ds-muted" data-testid="folder-progress">
        {folder.name}: {current + 1} / {items.length} · {labelled} labelled
      </span>
      <button
        type="button"
        aria-label="Next image"
        title={`Next image (${keys('folder.next')})`}
        disabled={current >= items.length - 1}
        onClick={() => runCommand('folder.next', ctx)}
      >
        ›
      </button>
    </nav>
  );
}
