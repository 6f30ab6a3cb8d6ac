/**
 * A button for a command of the table (src/ui/commands.ts): its label, tooltip (with the key), enabled
 * state and click all come from the command, so a button does what its key does.
 */
import { useMemo, type ReactNode } from 'react';
import { uiHooks, useFolder } from './actions';
import { command, commandTitle, isEnabled, type CommandContext } from './commands';
import { editor, useHistoryState, useImageRevision } from './editorInstance';
import { useGeneration } from './generate/context';
import { useResults, useRun } from './generate/stores';

/** The context every command runs in on this page. */
export function useCommandContext(): CommandContext {
  const generation = useGeneration();
  return useMemo(() => ({ editor, ui: uiHooks, generation }), [generation]);
}

/** Re-renders when anything a command's `enabled` reads changes (document, history, folder, run, selection). */
function useCommandState(): void {
  useHistoryState();
  useImageRevision();
  useFolder();
  useRun((r) => r.running);
  useResults((r) => r.selectedId);
}

export function CommandButton(props: { id: string; className?: string; pressed?: boolean; children?: ReactNode }) {
  const ctx = useCommandContext();
  useCommandState();
  const c = command(props.id);
  const text = c.short ?? c.label;
  return (
    <button
      type="button"
      className={props.className}
      aria-pressed={props.pressed}
      // with its own content (an icon), the button is still named by its command
      aria-label={props.children !== undefined && text !== props.children ? text : undefined}
      title={commandTitle(c)}
      disabled={!isEnabled(c, ctx)}
      data-command={c.id}
      onClick={() => isEnabled(c, ctx) && c.perform?.(ctx)}
    >
      {props.children ?? text}
    </button>
  );
}

