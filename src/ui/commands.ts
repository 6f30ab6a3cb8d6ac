/**
 * The page's one command table: the editor's actions (src/editor/keymap.ts) plus the generation commands
 * (generate, stop, compare, export). Each entry is an action object (id, label, key test, enabled(state),
 * perform); the same entry feeds the toolbar and panel buttons (`CommandButton`), the key listener
 * (`useCommandKeys` in canvas/keyboard.ts) and the help dialog. Nothing else binds a key or labels one of
 * these buttons.
 */
import { ACTIONS, actionForKey, helpSections, keyHint, type ActionContext, type EditorAction, type KeyFocus, type KeyLike } from '../editor/keymap';
import type { GenerationController } from './generate/controller';

export interface CommandContext extends ActionContext {
  generation: GenerationController;
}

export type Command = EditorAction<CommandContext>;

/** Generate, Stop, Compare and Export of the generation panel. */
export const GENERATION_COMMANDS: readonly Command[] = [
  {
    id: 'generate.run',
    label: 'Generate',
    hint: 'Generate a defect in the painted region',
    group: 'Generate',
    keys: ['Mod+Enter'],
    keyScope: 'anywhere', // also from the prompt box
    enabled: ({ generation }) => !generation.running,
    perform: ({ generation }) => void generation.generate(),
  },
  {
    id: 'generate.stop',
    label: 'Stop',
    hint: 'Stop the run; nothing of it is kept',
    group: 'Generate',
    keys: ['Mod+.'],
    keyScope: 'anywhere',
    enabled: ({ generation }) => generation.running,
    perform: ({ generation }) => generation.stop(),
  },
  {
    id: 'generate.compare',
    label: 'Show the original while held',
    group: 'Generate',
    keys: ['Tab'],
    keyScope: 'no-control', // Tab keeps moving the focus between controls
    enabled: ({ generation }) => generation.hasSelection(),
    perform: ({ generation }) => generation.showOriginal(true),
    release: ({ generation }) => generation.showOriginal(false),
  },
  {
    id: 'generate.export',
    label: 'Export',
    hint: 'Download the selected result: image, mask, trimap and record',
    group: 'Generate',
    keys: ['Mod+e'],
    enabled: ({ generation }) => generation.hasSelection(),
    perform: ({ generation }) => generation.exportSelected(),
  },
];

export const COMMANDS: readonly Command[] = [...ACTIONS, ...GENERATION_COMMANDS];

/** The command with this id (a typo is a bug: it throws). */
export function command(id: string): Command {
  const c = COMMANDS.find((x) => x.id === id);
  if (!c) throw new Error(`unknown command: ${id}`);
  return c;
}

export function isEnabled(c: Command, ctx: CommandContext): boolean {
  return !c.enabled || c.enabled(ctx);
}

/** Runs a command by id if it is enabled (buttons call this, so a button does what its key does). */
export function runCommand(id: string, ctx: CommandContext): void {
  const c = command(id);
  if (isEnabled(c, ctx)) c.perform?.(ctx);
}

/** The command a key runs now, with the focus at `focus` (see `KeyScope`), or undefined. */
export function commandForKey(e: KeyLike, focus: KeyFocus, ctx: CommandContext): Command | undefined {
  return actionForKey(e, focus, ctx, COMMANDS);
}

/** The help dialog's sections: every command with a key, and the pointer gestures. */
export function commandHelp() {
  return helpSections(COMMANDS);
}

/** A button's tooltip: its hint (or label) and its keys. */
export function commandTitle(c: Command): string {
  return `${c.hint ?? c.label}${keyHint(c)}`;
}
