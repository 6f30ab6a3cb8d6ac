import { describe, expect, it } from 'vitest';
import { ACTIONS, dispatchKey, findAction, formatKey, helpSections, matchesKey, performAction } from './keymap';
import { histogram } from '../core/trimap/raster';
import { Editor } from './Editor';
import { BACKGROUND, DEFECT, OBJECT, type RGBAImage } from '../core/image';

function image(w: number, h: number): RGBAImage {
  return { width: w, height: h, data: new Uint8ClampedArray(w * h * 4) };
}

describe('keymap', () => {
  it('has unique ids and no key bound twice', () => {
    const ids = new Set(ACTIONS.map((a) => a.id));
    expect(ids.size).toBe(ACTIONS.length);
    const keys = ACTIONS.flatMap((a) => a.keys.map((k) => k.toLowerCase()));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('matches modifiers: Mod is Ctrl or Cmd, Shift matters for letters, not for symbols', () => {
    expect(matchesKey('Mod+z', { key: 'z', ctrlKey: true })).toBe(true);
    expect(matchesKey('Mod+z', { key: 'z', metaKey: true })).toBe(true);
    expect(matchesKey('Mod+z', { key: 'Z', ctrlKey: true, shiftKey: true })).toBe(false);
    expect(matchesKey('Mod+Shift+z', { key: 'Z', ctrlKey: true, shiftKey: true })).toBe(true);
    expect(matchesKey('b', { key: 'b', ctrlKey: true })).toBe(false);
    expect(matchesKey('b', { key: 'B', shiftKey: true })).toBe(false);
    expect(matchesKey('?', { key: '?', shiftKey: true })).toBe(true);
    expect(matchesKey('[', { key: '[' })).toBe(true);
    expect(matchesKey('Ctrl+y', { key: 'y', metaKey: true })).toBe(false);
    expect(matchesKey('+', { key: '+', shiftKey: true })).toBe(true);
  });

  it('drives the editor: tools, classes, size, undo/redo', () => {
    const editor = new Editor();
    editor.loadImage(image(20, 20), 'x');
    let help = 0;
    const ctx = { editor, ui: { toggleHelp: () => help++ } };
    dispatchKey({ key: 'e' }, ctx);
    expect(editor.getSettings().tool).toBe('eraser');
    dispatchKey({ key: 'l' }, ctx);
    expect(editor.getSettings().tool).toBe('lasso');
    dispatchKey({ key: 'b' }, ctx);
    expect(editor.getSettings().tool).toBe('brush');
    dispatchKey({ key: '1' }, ctx);
    expect(editor.getSettings().cls).toBe(BACKGROUND);
    dispatchKey({ key: '2' }, ctx);
    expect(editor.getSettings().cls).toBe(OBJECT);
    dispatchKey({ key: '3' }, ctx);
    expect(editor.getSettings().cls).toBe(DEFECT);
    const s = editor.getSettings().size;
    dispatchKey({ key: ']' }, ctx);
    expect(editor.getSettings().size).toBeGreaterThan(s);
    dispatchKey({ key: '[' }, ctx);
    dispatchKey({ key: '[' }, ctx);
    expect(editor.getSettings().size).toBeLessThan(s);
    editor.pointerDown({ x: 5, y: 5 });
    editor.pointerUp({ x: 5, y: 5 });
    expect(editor.canUndo()).toBe(true);
    dispatchKey({ key: 'z', ctrlKey: true }, ctx);
    expect(editor.canUndo()).toBe(false);
    dispatchKey({ key: 'Z', metaKey: true, shiftKey: true }, ctx);
    expect(editor.canUndo()).toBe(true);
    dispatchKey({ key: 'z', ctrlKey: true }, ctx);
    dispatchKey({ key: 'y', ctrlKey: true }, ctx);
    expect(editor.canUndo()).toBe(true);
    dispatchKey({ key: '?', shiftKey: true }, ctx);
    expect(help).toBe(1);
    expect(dispatchKey({ key: 'q' }, ctx)).toBeUndefined();
  });

  it('labeling assist: W, Shift+O and the refine keys; folder keys reach the UI hooks', () => {
    const editor = new Editor();
    const w = 32;
    const data = new Uint8ClampedArray(w * w * 4);
    for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) data.set(x >= 8 && x < 24 && y >= 8 && y < 24 ? [250, 200, 0, 255] : [10, 20, 30, 255], (y * w + x) * 4);
    editor.loadImage({ width: w, height: w, data }, 'x');
    const calls: string[] = [];
    const ui = {
      notify: (k: string, t: string) => calls.push(`${k}:${t}`),
      busy: (label: string, f: () => void) => {
        calls.push(`busy:${label}`);
        f();
      },
      nextImage: () => calls.push('next'),
      previousImage: () => calls.push('prev'),
      exportMasks: () => calls.push('export'),
    };
    const ctx = { editor, ui };
    dispatchKey({ key: 'w' }, ctx);
    expect(editor.getSettings().tool).toBe('wand');
    dispatchKey({ key: 'O', shiftKey: true }, ctx);
    expect(editor.getSettings().tool).toBe('wand'); // Shift+O is not the ellipse
    expect(editor.history.peekUndo()?.label).toBe('Object from background');
    expect(histogram(editor.getTrimap()!).slice(0, 3)).toEqual([w * w - 256, 256, 0]);
    dispatchKey({ key: 'o' }, ctx);
    expect(editor.getSettings().tool).toBe('ellipse');
    editor.setClass(OBJECT);
    editor.setRefineOptions({ refineRadius: 1 });
    dispatchKey({ key: 'G', shiftKey: true }, ctx);
    expect(editor.history.peekUndo()?.label).toBe('Grow region');
    expect(histogram(editor.getTrimap()!)[1]).toBe(256 + 4 * 16);
    dispatchKey({ key: 'S', shiftKey: true }, ctx);
    dispatchKey({ key: 'H', shiftKey: true }, ctx);
    expect(calls).toContain('info:Nothing changed.');
    dispatchKey({ key: 'K', shiftKey: true }, ctx);
    expect(editor.history.undoCount).toBe(3); // proposal, grow, shrink (fill holes and specks changed nothing)
    dispatchKey({ key: 'd' }, ctx);
    dispatchKey({ key: 'PageUp' }, ctx);
    dispatchKey({ key: 'E', ctrlKey: true, shiftKey: true }, ctx);
    expect(calls.filter((c) => !c.startsWith('busy') && !c.startsWith('info'))).toEqual(['next', 'prev', 'export']);
    expect(() => performAction('nope', ctx)).toThrow(/unknown action/);
    performAction('tool.brush', ctx);
    expect(editor.getSettings().tool).toBe('brush');
  });

  it('feeds the help dialog with every shortcut and gesture, and readable keys', () => {
    const sections = helpSections();
    const rows = sections.flatMap((s) => s.rows);
    // every action with a key or a gesture; keyless buttons (New, Open folder) are not shortcuts
    expect(rows.map((r) => r.id)).toEqual(ACTIONS.filter((a) => a.keys.length || a.gesture).map((a) => a.id));
    expect(rows.some((r) => r.id === 'folder.open')).toBe(false);
    expect(rows.find((r) => r.label === 'Undo')?.keys).toEqual([formatKey('Mod+z')]);
    expect(formatKey('Mod+Shift+z', false)).toBe('Ctrl+Shift+Z');
    expect(formatKey('Mod+Shift+z', true)).toBe('⌘⇧Z');
    expect(rows.find((r) => r.label === 'Pan')?.keys[0]).toMatch(/Space/);
    expect(findAction({ key: 'f' })?.id).toBe('view.fit');
  });
});
