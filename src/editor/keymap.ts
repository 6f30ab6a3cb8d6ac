/**
 * One declarative table of editor actions: it feeds the keyboard shortcuts, the help dialog and the tests.
 *
 * Key syntax: modifiers joined with '+', then the key as `KeyboardEvent.key` spells it (case-insensitive):
 * 'b', '[', 'Mod+z' (Ctrl or Cmd), 'Mod+Shift+z', 'Ctrl+y', 'Shift+Backspace', '?'. For symbol keys such as
 * '?' or '[' Shift is ignored (keyboard layouts differ on whether it is needed); for letters it must match.
 */
import { BACKGROUND, DEFECT, OBJECT } from '../core/image';
import type { RefineOp } from '../core/trimap/refine';
import type { Editor } from './Editor';

/** Hooks that only the UI can provide (dialogs, file pickers, downloads). */
export interface UiHooks {
  openImage?: () => void;
  importTrimap?: () => void;
  importMask?: () => void;
  exportTrimap?: () => void;
  toggleHelp?: () => void;
  newDocument?: () => void;
  /** A short message for the user (e.g. a command that found nothing to do). */
  notify?: (kind: 'info' | 'error', text: string) => void;
  /** Long-running editor commands, wrapped by the UI in a busy indicator. */
  busy?: (label: string, f: () => void) => void;
  openFolder?: () => void;
  openImages?: () => void;
  nextImage?: () => void;
  previousImage?: () => void;
  exportMasks?: () => void;
  /** Whether a folder session is open (Export masks needs one). */
  folderActive?: () => boolean;
}

export interface ActionContext {
  editor: Editor;
  ui: UiHooks;
}

export type ActionGroup = 'Tools' | 'Trimap class' | 'Edit' | 'Refine' | 'View' | 'File' | 'Folder' | 'Generate';

/**
 * Where the keyboard focus may be for an action's key to run it: `not-text` (the default) anywhere but in a
 * text field, `anywhere` also while typing (Ctrl+Enter in the prompt), `no-control` only when no form
 * control (button, field) has the focus (Tab, which otherwise moves the focus).
 */
export type KeyScope = 'not-text' | 'anywhere' | 'no-control';

/** Where the focus is when a key arrives: in a text field, on another form control, or elsewhere. */
export type KeyFocus = 'text' | 'control' | 'none';

/**
 * An action object: one entry feeds the buttons (label, enabled state, what a click does), the key listener
 * (key test, scope) and the help dialog. `C` is the context it runs in: the editor's own actions need
 * `ActionContext`; the UI's table (src/ui/commands.ts) adds the generation controller.
 */
export interface EditorAction<C extends ActionContext = ActionContext> {
  id: string;
  label: string;
  /** A shorter text for its button (e.g. 'Lasso' for 'Lasso / polygon'); the label otherwise. */
  short?: string;
  /** A longer tooltip for its button; the label otherwise. */
  hint?: string;
  group: ActionGroup;
  /** Shortcut bindings; empty for actions without a key. */
  keys: string[];
  keyScope?: KeyScope;
  /** For pointer gestures listed in the help dialog (no key binding), e.g. 'Space + drag'. */
  gesture?: string;
  /** Whether it can run now (a disabled button; its key does nothing). Always, when absent. */
  enabled?: (ctx: C) => boolean;
  perform?: (ctx: C) => void;
  /** For actions held down (a key kept pressed): the key went up, or the window lost the focus. */
  release?: (ctx: C) => void;
}

const hasDoc = ({ editor }: ActionContext) => editor.hasDocument();

export const ACTIONS: readonly EditorAction[] = [
  // Tools
  { id: 'tool.brush', label: 'Brush', group: 'Tools', keys: ['b'], perform: ({ editor }) => editor.setTool('brush') },
  { id: 'tool.eraser', label: 'Eraser', group: 'Tools', keys: ['e'], perform: ({ editor }) => editor.setTool('eraser') },
  { id: 'tool.lasso', label: 'Lasso / polygon', short: 'Lasso', group: 'Tools', keys: ['l'], perform: ({ editor }) => editor.setTool('lasso') },
  { id: 'tool.rectangle', label: 'Rectangle', group: 'Tools', keys: ['r'], perform: ({ editor }) => editor.setTool('rectangle') },
  { id: 'tool.ellipse', label: 'Ellipse', group: 'Tools', keys: ['o'], perform: ({ editor }) => editor.setTool('ellipse') },
  { id: 'tool.line', label: 'Line', group: 'Tools', keys: ['i'], perform: ({ editor }) => editor.setTool('line') },
  { id: 'tool.fill', label: 'Flood fill', short: 'Fill', group: 'Tools', keys: ['g'], perform: ({ editor }) => editor.setTool('fill') },
  { id: 'tool.wand', label: 'Magic wand', group: 'Tools', keys: ['w'], perform: ({ editor }) => editor.setTool('wand') },
  { id: 'size.down', label: 'Smaller brush', group: 'Tools', keys: ['['], perform: ({ editor }) => editor.stepSize(-1) },
  { id: 'size.up', label: 'Larger brush', group: 'Tools', keys: [']'], perform: ({ editor }) => editor.stepSize(1) },
  { id: 'size.wheel', label: 'Brush size', group: 'Tools', keys: [], gesture: 'Alt + wheel' },
  // Classes
  { id: 'class.background', label: 'Background', group: 'Trimap class', keys: ['1'], perform: ({ editor }) => editor.setClass(BACKGROUND) },
  { id: 'class.object', label: 'Object', group: 'Trimap class', keys: ['2'], perform: ({ editor }) => editor.setClass(OBJECT) },
  { id: 'class.defect', label: 'Defect', group: 'Trimap class', keys: ['3'], perform: ({ editor }) => editor.setClass(DEFECT) },
  // Edit
  { id: 'edit.undo', label: 'Undo', group: 'Edit', keys: ['Mod+z'], enabled: ({ editor }) => editor.canUndo(), perform: ({ editor }) => editor.undo() },
  { id: 'edit.redo', label: 'Redo', group: 'Edit', keys: ['Mod+Shift+z', 'Ctrl+y'], enabled: ({ editor }) => editor.canRedo(), perform: ({ editor }) => editor.redo() },
  {
    id: 'edit.fillAll',
    label: 'Fill all with the current class',
    short: 'Fill all',
    hint: 'Fill the whole image with the current class',
    group: 'Edit',
    keys: ['Shift+Backspace'],
    enabled: hasDoc,
    perform: ({ editor }) => editor.fillAll(),
  },
  { id: 'edit.swap', label: 'Swap defect and object', short: 'Swap defect/object', group: 'Edit', keys: ['x'], enabled: hasDoc, perform: ({ editor }) => editor.swapDefectObject() },
  { id: 'edit.confirm', label: 'Close the polygon', group: 'Edit', keys: ['Enter'], perform: ({ editor }) => editor.confirmGesture() },
  { id: 'edit.cancel', label: 'Cancel the shape in progress', group: 'Edit', keys: ['Escape'], perform: ({ editor }) => editor.cancelGesture() },
  // Refine (the region of the current class)
  {
    id: 'refine.objectFromBackground',
    label: 'Object from background',
    hint: 'Propose the object region from the photo (one undo step; refine it with the brush)',
    group: 'Refine',
    keys: ['Shift+o'],
    enabled: hasDoc,
    perform: ({ editor, ui }) =>
      runBusy(ui, 'Finding the object…', () => {
        if (!editor.hasDocument()) return;
        if (editor.objectFromBackground() === 0) ui.notify?.('info', 'No object found: no part of the photo stands out from the colours along its border.');
      }),
  },
  { id: 'refine.grow', label: 'Grow the region', short: 'Grow', hint: 'Grow the region of the current class by the radius', group: 'Refine', keys: ['Shift+g'], enabled: hasDoc, perform: (ctx) => refine(ctx, 'grow') },
  { id: 'refine.shrink', label: 'Shrink the region', short: 'Shrink', hint: 'Shrink the region of the current class by the radius', group: 'Refine', keys: ['Shift+s'], enabled: hasDoc, perform: (ctx) => refine(ctx, 'shrink') },
  { id: 'refine.fillHoles', label: 'Fill holes', hint: 'Fill the enclosed holes of the region of the current class', group: 'Refine', keys: ['Shift+h'], enabled: hasDoc, perform: (ctx) => refine(ctx, 'fillHoles') },
  { id: 'refine.removeSpecks', label: 'Remove specks', hint: 'Remove parts of the region smaller than the speck size', group: 'Refine', keys: ['Shift+k'], enabled: hasDoc, perform: (ctx) => refine(ctx, 'removeSpecks') },
  // View
  { id: 'view.fit', label: 'Fit to view', group: 'View', keys: ['f', 'Mod+0'], perform: ({ editor }) => editor.fitToView() },
  { id: 'view.actual', label: 'Actual size (100%)', group: 'View', keys: ['Mod+1'], perform: ({ editor }) => editor.actualSize() },
  { id: 'view.zoomIn', label: 'Zoom in', group: 'View', keys: ['+', '='], perform: ({ editor }) => editor.zoomCentered(1.25) },
  { id: 'view.zoomOut', label: 'Zoom out', group: 'View', keys: ['-'], perform: ({ editor }) => editor.zoomCentered(1 / 1.25) },
  { id: 'view.zoomWheel', label: 'Zoom toward the cursor', group: 'View', keys: [], gesture: 'Wheel' },
  { id: 'view.pan', label: 'Pan', group: 'View', keys: [], gesture: 'Space + drag, or middle-drag' },
  { id: 'view.help', label: 'Keyboard shortcuts', group: 'View', keys: ['?'], perform: ({ ui }) => ui.toggleHelp?.() },
  // File
  { id: 'file.new', label: 'New', hint: 'Close the image and start over', group: 'File', keys: [], perform: ({ ui }) => ui.newDocument?.() },
  { id: 'file.open', label: 'Open image', hint: 'Open a PNG, JPEG, WebP or BMP image', group: 'File', keys: ['Mod+o'], perform: ({ ui }) => ui.openImage?.() },
  { id: 'file.importTrimap', label: 'Import trimap', hint: 'Load a trimap PNG (0 / 127 / 255)', group: 'File', keys: [], enabled: hasDoc, perform: ({ ui }) => ui.importTrimap?.() },
  { id: 'file.importMask', label: 'Import mask', hint: 'Paint a binary defect mask PNG as defect over object', group: 'File', keys: [], enabled: hasDoc, perform: ({ ui }) => ui.importMask?.() },
  { id: 'file.exportTrimap', label: 'Export trimap', hint: 'Download the trimap PNG', group: 'File', keys: ['Mod+s'], enabled: hasDoc, perform: ({ ui }) => ui.exportTrimap?.() },
  // Folder sessions
  { id: 'folder.open', label: 'Open folder', hint: 'Label a folder of photos one after the other (or drop a folder on the canvas)', group: 'Folder', keys: [], perform: ({ ui }) => ui.openFolder?.() },
  { id: 'folder.openFiles', label: 'Open images', hint: 'Pick several images to label as a folder', group: 'Folder', keys: [], perform: ({ ui }) => ui.openImages?.() },
  { id: 'folder.next', label: 'Next image', group: 'Folder', keys: ['d', 'PageDown'], perform: ({ ui }) => ui.nextImage?.() },
  { id: 'folder.previous', label: 'Previous image', group: 'Folder', keys: ['a', 'PageUp'], perform: ({ ui }) => ui.previousImage?.() },
  {
    id: 'folder.exportMasks',
    label: 'Export masks',
    hint: "Download the folder's masks (MVTec AD ground truth, <name>_mask.png) and trimaps as a zip",
    group: 'Folder',
    keys: ['Mod+Shift+e'],
    enabled: ({ ui }) => ui.folderActive?.() ?? true,
    perform: ({ ui }) => ui.exportMasks?.(),
  },
];

function runBusy(ui: UiHooks, label: string, f: () => void): void {
  if (ui.busy) ui.busy(label, f);
  else f();
}

function refine({ editor, ui }: ActionContext, op: RefineOp): void {
  if (!editor.hasDocument()) return;
  runBusy(ui, 'Refining…', () => {
    if (!editor.refine(op)) ui.notify?.('info', 'Nothing changed.');
  });
}

/** Runs an action by id (toolbar buttons use this, so a button and its key do the same thing). */
export function performAction<C extends ActionContext>(id: string, ctx: C, actions: readonly EditorAction<C>[] = ACTIONS): void {
  const a = actions.find((x) => x.id === id);
  if (!a?.perform) throw new Error(`unknown action: ${id}`);
  a.perform(ctx);
}

export interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  shiftKey?: boolean;
  altKey?: boolean;
}

interface ParsedKey {
  key: string;
  mod: boolean;
  ctrl: boolean;
  shift: boolean;
  alt: boolean;
}

export function parseKey(binding: string): ParsedKey {
  // '+' alone (or a trailing '+', as in 'Ctrl++') is the plus key
  const parts = binding === '+' ? ['+'] : binding.endsWith('++') ? [...binding.slice(0, -2).split('+'), '+'] : binding.split('+');
  const key = parts[parts.length - 1].toLowerCase();
  const mods = new Set(parts.slice(0, -1).map((m) => m.toLowerCase()));
  return { key, mod: mods.has('mod'), ctrl: mods.has('ctrl'), shift: mods.has('shift'), alt: mods.has('alt') };
}

function isLetterLike(key: string): boolean {
  return /^[a-z0-9]$/.test(key) || key.length > 1; // letters, digits and named keys (Enter, Backspace)
}

export function matchesKey(binding: string, e: KeyLike): boolean {
  const b = parseKey(binding);
  const key = e.key.toLowerCase();
  if (key !== b.key) return false;
  const ctrl = !!e.ctrlKey;
  const meta = !!e.metaKey;
  if (b.mod) {
    if (!(ctrl || meta)) return false;
  } else {
    if (meta) return false;
    if (ctrl !== b.ctrl) return false;
  }
  if (!!e.altKey !== b.alt) return false;
  if (isLetterLike(b.key) && !!e.shiftKey !== b.shift) return false;
  return true;
}

export function findAction<C extends ActionContext>(e: KeyLike, actions: readonly EditorAction<C>[] = ACTIONS as readonly EditorAction<C>[]): EditorAction<C> | undefined {
  return actions.find((a) => a.perform && a.keys.some((k) => matchesKey(k, e)));
}

/** Whether a key of an action with `scope` may run it with the focus at `focus`. */
export function keyAllowed(scope: KeyScope = 'not-text', focus: KeyFocus): boolean {
  return scope === 'anywhere' || focus === 'none' || (scope === 'not-text' && focus === 'control');
}

/**
 * The action a key runs now: bound to the key, allowed with the focus where it is, and enabled; or
 * undefined (the key then keeps its usual meaning: typing, moving the focus).
 */
export function actionForKey<C extends ActionContext>(e: KeyLike, focus: KeyFocus, ctx: C, actions: readonly EditorAction<C>[] = ACTIONS as readonly EditorAction<C>[]): EditorAction<C> | undefined {
  const a = findAction(e, actions);
  if (!a || !keyAllowed(a.keyScope, focus) || (a.enabled && !a.enabled(ctx))) return undefined;
  return a;
}

/** Runs the action bound to the key; returns it (so that the caller can preventDefault), or undefined. */
export function dispatchKey<C extends ActionContext>(e: KeyLike, ctx: C, actions: readonly EditorAction<C>[] = ACTIONS as readonly EditorAction<C>[], focus: KeyFocus = 'none'): EditorAction<C> | undefined {
  const a = actionForKey(e, focus, ctx, actions);
  a?.perform?.(ctx);
  return a;
}

const IS_MAC = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform ?? '');

/** Human-readable key, e.g. 'Ctrl+Shift+Z' or '⌘⇧Z'. */
export function formatKey(binding: string, mac = IS_MAC): string {
  const b = parseKey(binding);
  const key = b.key.length === 1 ? b.key.toUpperCase() : b.key[0].toUpperCase() + b.key.slice(1);
  const mods: string[] = [];
  if (b.mod) mods.push(mac ? '⌘' : 'Ctrl');
  if (b.ctrl) mods.push(mac ? '⌃' : 'Ctrl');
  if (b.alt) mods.push(mac ? '⌥' : 'Alt');
  if (b.shift) mods.push(mac ? '⇧' : 'Shift');
  return mac ? mods.join('') + key : [...mods, key].join('+');
}

/** A help-dialog row: an action with its key binding (one or more equivalent keys), or a pointer gesture. */
export interface HelpRow {
  id: string;
  label: string;
  keys: string[];
}

/** Actions with a key or a gesture, grouped for the help dialog in table order (keyless buttons are left out). */
export function helpSections<C extends ActionContext>(actions: readonly EditorAction<C>[] = ACTIONS as readonly EditorAction<C>[]): { group: ActionGroup; rows: HelpRow[] }[] {
  const out: { group: ActionGroup; rows: HelpRow[] }[] = [];
  for (const a of actions) {
    if (!a.gesture && !a.keys.length) continue;
    let sec = out.find((s) => s.group === a.group);
    if (!sec) out.push((sec = { group: a.group, rows: [] }));
    sec.rows.push({ id: a.id, label: a.label, keys: a.gesture ? [a.gesture] : a.keys.map((k) => formatKey(k)) });
  }
  return out;
}

/** ' (B)' / ' (Ctrl+Shift+Z, Ctrl+Y)' for a button's tooltip; '' for an action without keys. */
export function keyHint(a: Pick<EditorAction, 'keys'> | undefined): string {
  return a && a.keys.length ? ` (${a.keys.map((k) => formatKey(k)).join(', ')})` : '';
}
