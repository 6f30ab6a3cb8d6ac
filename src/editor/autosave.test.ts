import { describe, expect, it } from 'vitest';
import { IDBFactory } from 'fake-indexeddb';
import { Autosaver, SessionDb } from './autosave';
import { Editor } from './Editor';
import { DEFECT, BACKGROUND } from '../core/image';
import { generateSample } from './samples';

function paint(ed: Editor, x: number, y: number, cls: 0 | 1 | 2) {
  ed.setClass(cls);
  ed.pointerDown({ x, y });
  ed.pointerMove({ x: x + 10, y: y + 3 });
  ed.pointerUp({ x: x + 10, y: y + 3 });
}

describe('autosave', () => {
  it('restores image, trimap and undo position exactly after a "reload"', async () => {
    const factory = new IDBFactory();
    const ed = new Editor();
    const saver = new Autosaver(ed, new SessionDb(factory), { delayMs: 5 });
    saver.start();
    ed.loadImage(generateSample('wood', 64), 'wood.png');
    paint(ed, 10, 10, DEFECT);
    paint(ed, 30, 30, BACKGROUND);
    paint(ed, 40, 5, DEFECT);
    ed.undo(); // undo position: 2 undo, 1 redo
    ed.setTool('line');
    ed.setSize(7);
    ed.zoomAt(2, 10, 10);
    await saver.flush();
    const trimapBytes = ed.getTrimap()!.data.slice();

    // a second page load
    const ed2 = new Editor();
    const saver2 = new Autosaver(ed2, new SessionDb(factory), { delayMs: 5 });
    expect(await saver2.restore()).toBe(true);
    expect(ed2.getImageName()).toBe('wood.png');
    expect(Buffer.from(ed2.getImage()!.data).equals(Buffer.from(ed.getImage()!.data))).toBe(true);
    expect(Buffer.from(ed2.getTrimap()!.data).equals(Buffer.from(trimapBytes))).toBe(true);
    expect(ed2.history.undoCount).toBe(2);
    expect(ed2.history.redoCount).toBe(1);
    expect(ed2.getSettings()).toEqual(ed.getSettings());
    expect(ed2.getViewport().zoom).toBe(ed.getViewport().zoom);
    expect(ed2.getViewport().x).toBe(ed.getViewport().x);
    ed2.redo();
    ed.redo();
    expect(Buffer.from(ed2.getTrimap()!.data).equals(Buffer.from(ed.getTrimap()!.data))).toBe(true);
    ed2.undo();
    ed2.undo();
    ed2.undo();
    expect(ed2.getTrimap()!.data.every((v) => v === 1)).toBe(true);

    // incremental: saving again after one more stroke adds one step and deletes the dropped redo step
    saver2.start();
    paint(ed2, 5, 50, DEFECT);
    await saver2.flush();
    expect((await saver2.db.allStepIds()).length).toBe(1);
    saver.stop();
    saver2.stop();
  });

  it('debounces writes and "New" clears the session', async () => {
    const factory = new IDBFactory();
    const ed = new Editor();
    const saver = new Autosaver(ed, new SessionDb(factory), { delayMs: 20 });
    saver.start();
    ed.loadImage(generateSample('tile', 32), 't');
    for (let i = 0; i < 5; i++) paint(ed, i * 5, i * 5, DEFECT);
    expect(saver.saves).toBe(0);
    await new Promise((r) => setTimeout(r, 80));
    await saver.flush();
    expect(saver.saves).toBe(1);
    ed.clearDocument();
    await saver.flush();
    const ed2 = new Editor();
    expect(await new Autosaver(ed2, new SessionDb(factory)).restore()).toBe(false);
    expect(ed2.getImage()).toBeNull();
    saver.stop();
  });
});
