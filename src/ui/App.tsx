/** The editor's layout: top bar, tool palette (left), canvas (centre), generation panel (right), status bar. */
import { useCallback, useEffect, useReducer } from 'react';
import { CanvasView } from './canvas/CanvasView';
import { useCommandKeys } from './canvas/keyboard';
import { useCommandContext } from './CommandButton';
import { GeneratePanel } from './generate/GeneratePanel';
import { HelpDialog } from './HelpDialog';
import { TopBar, ToolPalette } from './Toolbar';
import { Welcome } from './Welcome';
import { StatusBar } from './StatusBar';
import { FolderStrip } from './FolderStrip';
import { ErrorBoundary } from './ErrorBoundary';
import { editor, useImageRevision } from './editorInstance';
import { openImageFile, startAutosave } from './actions';
import { useUi } from './stores';
import { Messages } from './Messages';
import './styles.css';

export function App() {
  useImageRevision();
  const restored = useUi((s) => s.restored);
  const [, rerender] = useReducer((x: number) => x + 1, 0);
  const onSpace = useCallback(() => rerender(), []);
  useCommandKeys(useCommandContext(), onSpace);

  useEffect(() => {
    void startAutosave();
  }, []);

  // Paste an image from the clipboard.
  useEffect(() => {
    const onPaste = (e: ClipboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.isContentEditable)) return;
      const items = Array.from(e.clipboardData?.items ?? []);
      const item = items.find((i) => i.kind === 'file' && i.type.startsWith('image/'));
      const file = item?.getAsFile();
      if (file) {
        e.preventDefault();
        void openImageFile(file, file.name && file.name !== 'image.png' ? file.name : 'pasted image.png');
      }
    };
    window.addEventListener('paste', onPaste);
    return () => window.removeEventListener('paste', onPaste);
  }, []);

  const has = editor.hasDocument();
  return (
    <div className="ds-app">
      <TopBar />
      <div className="ds-main">
        <ToolPalette />
        <div className="ds-center">
          <main className="ds-stage" aria-label="Canvas">
            <CanvasView />
            {!has && <Welcome restoring={!restored} />}
            <Messages />
          </main>
          <FolderStrip />
        </div>
        <aside className="ds-side" aria-label="Generation">
          <ErrorBoundary name="The generation panel">
            <GeneratePanel />
          </ErrorBoundary>
        </aside>
      </div>
      <StatusBar />
      <HelpDialog />
    </div>
  );
}
