// The one command table (issue 11): it feeds the buttons, the key listener and the help dialog.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Editor } from '../editor/Editor';
import { formatKey, matchesKey, parseKey, type KeyFocus, type KeyLike } from '../editor/keymap';
import { COMMANDS, command, commandForKey, commandHelp, runCommand, type CommandContext } from './commands';
import { GenerationController } from './generate/controller';
import * as stores from './generate/stores';
import { useMessages } from './messages';
import { PALETTE_COMMANDS, REFINE_COMMANDS, TOOLS, TOP_BAR } from './Toolbar';

/** The key events a binding stands for: Mod as Ctrl and as Cmd. */
function eventsFor(binding: string): KeyLike[] {
  const b = parseKey(binding);
  const key = b.key.length === 1 ? b.key : b.key[0].toUpperCase() + b.key.slice(1);
  const base = { key: b.shift && /^[a-z]$/.test(key) ? key.toUpperCase() : key, shiftKey: b.shift, altKey: b.alt };
  return b.mod ? [{ ...base, ctrlKey: true }, { ...base, metaKey: true }] : [{ ...base, ctrlKey: b.ctrl }];
}

/** A page's context: a real editor and a real controller (its transport is never reached by these tests). */
function context(): { ctx: CommandContext; calls: string[]; results: Map<number, never> } {
  const editor = new Editor();
  editor.loadImage({ width: 8, height: 8, data: new Uint8ClampedArray(256) }, 'a.png');
  const calls: string[] = [];
  const results = new Map<number, never>();
  stores.useResults.setState({ results: [], selectedId: null, showOriginal: false });
  const generation = new GenerationController({
    editor,
    transport: () => {
      throw new Error('no transport in this test');
    },
    stores: { settings: stores.useSettings, model: stores.useModel, run: stores.useRun, results: stores.useResults, messages: useMessages },
    overlay: { showPreview() {}, showResult() {}, addResultPatch() {}, clear() {} },
    results,
    thumbnails: new Map(),
    choosePack: () => ({ url: 'x/' }),
    download: (_b, name) => calls.push(`download ${name}`),
    appVersion: 'test',
  });
  const ui = {
    toggleHelp: () => calls.push('help'),
    openImage: () => calls.push('open'),
    exportTrimap: () => calls.push('export trimap'),
  };
  return { ctx: { editor, ui, generation }, calls, results };
}

/** Every command whose key test accepts `e` (whatever the focus and state). */
const allMatching = (e: KeyLike) => COMMANDS.filter((c) => c.keys.some((k) => matchesKey(k, e)));

describe('command table', () => {
  it('has unique ids; every command in the help dialog has its key binding, and each key shown runs that command alone', () => {
    expect(new Set(COMMANDS.map((c) => c.id)).size).toBe(COMMANDS.length);
    const rows = commandHelp().flatMap((s) => s.rows);
    for (const row of rows) {
      const c = command(row.id);
      if (c.gesture) {
        expect(c.keys).toEqual([]);
        expect(row.keys).toEqual([c.gesture]);
        continue;
      }
      expect(c.keys.length, row.id).toBeGreaterThan(0);
      expect(row.keys).toEqual(c.keys.map((k) => formatKey(k)));
      for (const k of c.keys) for (const e of eventsFor(k)) expect(allMatching(e).map((x) => x.id), `${row.id}: ${k}`).toEqual([c.id]);
    }
    // every command with a key is in the help dialog; keyless buttons are not
    const inHelp = new Set(rows.map((r) => r.id));
    for (const c of COMMANDS) expect(inHelp.has(c.id), c.id).toBe(c.keys.length > 0 || !!c.gesture);
    // the generation commands are there
    for (const id of ['generate.run', 'generate.stop', 'generate.compare', 'generate.export']) expect(inHelp.has(id)).toBe(true);
  });

  it('no two commands share a key', () => {
    const seen = new Map<string, string>();
    for (const c of COMMANDS)
      for (const k of c.keys) {
        const p = parseKey(k);
        const norm = `${p.mod ? 'mod+' : ''}${p.ctrl ? 'ctrl+' : ''}${p.alt ? 'alt+' : ''}${p.shift ? 'shift+' : ''}${p.key}`;
        expect(seen.get(norm), `${k} of ${c.id}`).toBeUndefined();
        seen.set(norm, c.id);
      }
    // and through the key test itself: Ctrl+Y (redo) is not Cmd+Y, Ctrl+Enter (generate) is not Enter (close the polygon)
    expect(allMatching({ key: 'Enter', ctrlKey: true }).map((c) => c.id)).toEqual(['generate.run']);
    expect(allMatching({ key: 'Enter' }).map((c) => c.id)).toEqual(['edit.confirm']);
  });

  it('the toolbar and palette buttons come from the table, with the accessible names of the contract', () => {
    const ids = [...TOP_BAR.flatMap((g) => g.commands), ...TOOLS.map((t) => t.command), ...PALETTE_COMMANDS, ...REFINE_COMMANDS];
    for (const id of ids) expect(() => command(id), id).not.toThrow();
    const name = (id: string) => command(id).short ?? command(id).label;
    expect(['file.open', 'tool.brush', 'tool.eraser', 'edit.undo', 'edit.redo', 'generate.run', 'generate.stop', 'generate.export'].map(name)).toEqual([
      'Open image',
      'Brush',
      'Eraser',
      'Undo',
      'Redo',
      'Generate',
      'Stop',
      'Export',
    ]);
    // no button is written by hand beside the table in the bars, and the panel's Generate/Stop/Export are the table's
    expect(readFileSync('src/ui/Toolbar.tsx', 'utf8')).not.toMatch(/<button/);
    const panel = readFileSync('src/ui/generate/GeneratePanel.tsx', 'utf8');
    for (const id of ['generate.run', 'generate.stop', 'generate.export']) expect(panel).toContain(`<CommandButton id="${id}"`);
    expect(panel).not.toMatch(/>\s*(Generate|Stop|Export)\s*</);
  });

  it('keys do nothing while typing in a text field such as the prompt, except Ctrl/Cmd+Enter', () => {
    const { ctx } = context();
    for (const c of COMMANDS)
      for (const k of c.keys)
        for (const e of eventsFor(k)) {
          const inText = commandForKey(e, 'text', ctx);
          if (c.id === 'generate.run') expect(inText?.id).toBe('generate.run');
          else if (c.keyScope === 'anywhere') expect(inText === undefined || inText.id === c.id).toBe(true);
          else expect(inText, `${k} while typing`).toBeUndefined();
        }
    // typing a word into the prompt changes no tool
    const tool = ctx.editor.getSettings().tool;
    for (const key of 'a bright scratch on brushed metal [wide] 3x'.split('')) expect(commandForKey({ key }, 'text', ctx)).toBeUndefined();
    expect(ctx.editor.getSettings().tool).toBe(tool);
    // outside text fields the same keys work
    expect(commandForKey({ key: 'e' }, 'none', ctx)?.id).toBe('tool.eraser');
    expect(commandForKey({ key: 'e' }, 'control', ctx)?.id).toBe('tool.eraser');
  });

  it('enabled(state) decides both the button and the key; Tab compares only while a result is selected, never on a control', () => {
    const { ctx, calls, results } = context();
    const focus: KeyFocus = 'none';
    // nothing to undo: the key does nothing (and keeps its usual meaning)
    expect(commandForKey({ key: 'z', ctrlKey: true }, focus, ctx)).toBeUndefined();
    // nothing running: Stop is disabled, Generate enabled
    expect(commandForKey({ key: '.', ctrlKey: true }, focus, ctx)).toBeUndefined();
    expect(commandForKey({ key: 'Enter', ctrlKey: true }, focus, ctx)?.id).toBe('generate.run');
    // no result: Tab and Export do nothing
    expect(commandForKey({ key: 'Tab' }, focus, ctx)).toBeUndefined();
    runCommand('generate.export', ctx);
    expect(calls).toEqual([]);
    runCommand('view.help', ctx);
    runCommand('file.open', ctx);
    expect(calls).toEqual(['help', 'open']);
    // a selected result: Tab held shows the original, released shows the result again; not while on a control
    results.set(1, {} as never);
    stores.useResults.setState({ selectedId: 1 });
    expect(commandForKey({ key: 'Tab' }, 'control', ctx)).toBeUndefined();
    const compare = commandForKey({ key: 'Tab' }, focus, ctx)!;
    expect(compare.id).toBe('generate.compare');
    compare.perform!(ctx);
    expect(stores.useResults.getState().showOriginal).toBe(true);
    compare.release!(ctx);
    expect(stores.useResults.getState().showOriginal).toBe(false);
    expect(commandForKey({ key: 'e', ctrlKey: true }, focus, ctx)?.id).toBe('generate.export');
  });
});
