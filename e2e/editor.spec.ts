import { expect, test, type Page } from '@playwright/test';
import { decode } from 'fast-png';
import { chooseFile, encodePng, fileAction, flushAutosave, pngFile, sessionRestored, toolSize, viewport } from './app';

/** Counts per class id [background, object, defect] of the live trimap in the page. */
async function liveCounts(page: Page): Promise<[number, number, number]> {
  return page.evaluate(() => {
    const t = window.__defectStudio!.editor.getTrimap()!;
    const c: [number, number, number] = [0, 0, 0];
    for (let i = 0; i < t.data.length; i++) c[t.data[i]]++;
    return c;
  });
}

async function trimapHash(page: Page): Promise<string> {
  return page.evaluate(() => {
    const t = window.__defectStudio!.editor.getTrimap()!;
    let h = 2166136261;
    for (let i = 0; i < t.data.length; i++) h = Math.imul(h ^ t.data[i], 16777619);
    return `${t.width}x${t.height}:${h >>> 0}`;
  });
}

/** Page coordinates of an image point. */
async function toPage(page: Page, ix: number, iy: number): Promise<{ x: number; y: number }> {
  const box = (await page.getByTestId('canvas').boundingBox())!;
  const vp = await page.evaluate(() => window.__defectStudio!.editor.getViewport());
  return { x: box.x + vp.x + ix * vp.zoom, y: box.y + vp.y + iy * vp.zoom };
}

const undoCount = (page: Page) => page.evaluate(() => window.__defectStudio!.editor.history.undoCount);

/** Drags through image points with the left button; waits until the edit is committed (one more undo step). */
async function dragImage(page: Page, pts: [number, number][]): Promise<void> {
  const steps = await undoCount(page);
  const first = await toPage(page, pts[0][0], pts[0][1]);
  await page.mouse.move(first.x, first.y);
  await page.mouse.down();
  for (const [x, y] of pts.slice(1)) {
    const p = await toPage(page, x, y);
    await page.mouse.move(p.x, p.y, { steps: 6 });
  }
  await page.mouse.up();
  await expect.poll(() => undoCount(page), { message: 'the stroke is committed' }).toBe(steps + 1);
}

const editorAlert = (page: Page) => page.locator('.ds-messages [role="alert"]');

test('opens a sample, paints every class, undo/redo, exports the trimap', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('welcome')).toBeVisible();
  await page.getByRole('button', { name: 'Brushed metal' }).click();
  await expect(page.getByTestId('doc-name')).toContainText('512×512');
  await expect.poll(() => liveCounts(page)).toEqual([0, 512 * 512, 0]);

  // Defect with the brush
  await page.getByRole('button', { name: 'Brush', exact: true }).click();
  await page.getByRole('radio', { name: 'Defect' }).check();
  await dragImage(page, [[100, 100], [200, 120], [300, 140]]);
  const afterDefect = await liveCounts(page);
  expect(afterDefect[2]).toBeGreaterThan(200 * 20);
  expect(afterDefect[0]).toBe(0);

  // Background with a rectangle (key 1 selects the class)
  await page.getByRole('button', { name: 'Rectangle' }).click();
  await page.getByTestId('canvas').hover();
  await page.keyboard.press('1');
  await expect(page.getByRole('radio', { name: 'Background' })).toBeChecked();
  await dragImage(page, [[400, 400], [500, 500]]);
  const afterBg = await liveCounts(page);
  expect(afterBg[0]).toBeGreaterThan(90 * 90);
  expect(afterBg[0]).toBeLessThan(102 * 102);

  // Object over part of the defect stroke with the brush
  await page.keyboard.press('b');
  await expect(page.getByRole('button', { name: 'Brush', exact: true })).toHaveAttribute('aria-pressed', 'true');
  await page.getByRole('radio', { name: 'Object' }).check();
  await dragImage(page, [[200, 80], [200, 160]]);
  const afterObj = await liveCounts(page);
  expect(afterObj[2]).toBeLessThan(afterDefect[2]);
  expect(afterObj[0]).toBe(afterBg[0]);

  // Undo / redo: buttons and keys, exact counts
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect.poll(() => liveCounts(page)).toEqual(afterBg);
  await page.keyboard.press('Control+z');
  await expect.poll(() => liveCounts(page)).toEqual(afterDefect);
  await page.getByRole('button', { name: 'Redo' }).click();
  await expect.poll(() => liveCounts(page)).toEqual(afterBg);
  await page.keyboard.press('Control+Shift+z');
  await expect.poll(() => liveCounts(page)).toEqual(afterObj);

  // Export: decode the downloaded PNG and check pixel counts per class
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export trimap' }).click();
  const d = await download;
  expect(d.suggestedFilename()).toBe('Brushed metal_trimap.png');
  const path = await d.path();
  const fs = await import('node:fs');
  const png = decode(fs.readFileSync(path!));
  expect([png.width, png.height, png.channels]).toEqual([512, 512, 1]);
  const counts = new Map<number, number>();
  for (const v of png.data) counts.set(v, (counts.get(v) ?? 0) + 1);
  expect([...counts.keys()].sort((a, b) => a - b)).toEqual([0, 127, 255]);
  expect([counts.get(0), counts.get(127), counts.get(255)]).toEqual(afterObj);
});

test('opens a PNG file, imports a mask and a trimap, rejects bad files without changes', async ({ page }) => {
  await page.goto('/');
  expect(await chooseFile(page, 'Open image', pngFile('part.png', 300, 200, 4, (x, y) => [x % 256, y, 128, 255]))).toBe(true);
  await expect(page.getByTestId('doc-name')).toContainText('part.png · 300×200');
  const pix = await page.evaluate(() => {
    const im = window.__defectStudio!.editor.getImage()!;
    const i = (50 * im.width + 70) * 4;
    return Array.from(im.data.slice(i, i + 4));
  });
  expect(pix).toEqual([70, 50, 128, 255]);

  // A binary mask (MVTec-style 0/255) becomes defect over object
  expect(await chooseFile(page, 'Import mask', pngFile('mask.png', 300, 200, 1, (x, y) => [x >= 10 && x < 60 && y >= 20 && y < 50 ? 255 : 0]))).toBe(true);
  expect(await liveCounts(page)).toEqual([0, 300 * 200 - 1500, 1500]);

  // Size mismatch: a clear message, nothing changed
  const before = await trimapHash(page);
  expect(await chooseFile(page, 'Import trimap', pngFile('small.png', 100, 100, 1, () => [0]))).toBe(false);
  await expect(editorAlert(page)).toContainText('100x100');
  await expect(editorAlert(page)).toContainText('nothing was changed');
  expect(await trimapHash(page)).toBe(before);

  // Not a PNG at all
  expect(await chooseFile(page, 'Import trimap', { name: 'junk.png', mimeType: 'image/png', buffer: Buffer.from('definitely not a png') })).toBe(false);
  await expect(editorAlert(page)).toContainText('not a readable PNG');
  expect(await trimapHash(page)).toBe(before);

  // A corrupt image: the open document stays
  expect(await chooseFile(page, 'Open image', { name: 'broken.jpg', mimeType: 'image/jpeg', buffer: Buffer.from([0xff, 0xd8, 0xff, 0, 1, 2, 3]) })).toBe(false);
  await expect(editorAlert(page)).toContainText('broken.jpg');
  await expect(page.getByTestId('doc-name')).toContainText('part.png');

  // A trimap with all three classes
  expect(await chooseFile(page, 'Import trimap', pngFile('t.png', 300, 200, 1, (x) => [x < 100 ? 0 : x < 250 ? 127 : 255]))).toBe(true);
  expect(await liveCounts(page)).toEqual([100 * 200, 150 * 200, 50 * 200]);
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect.poll(() => liveCounts(page)).toEqual([0, 300 * 200 - 1500, 1500]);
});

test('a reload restores image, painting and undo position', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Leather' }).click();
  await page.getByRole('radio', { name: 'Defect' }).check();
  await dragImage(page, [[50, 50], [150, 60]]);
  await page.getByRole('button', { name: 'Line' }).click();
  await dragImage(page, [[300, 300], [450, 400]]);
  await page.getByRole('button', { name: 'Undo' }).click();
  await page.getByTestId('canvas').hover();
  const zoom0 = (await viewport(page)).zoom;
  await page.mouse.wheel(0, -200); // zoom in: the view is part of the session too
  await expect.poll(async () => (await viewport(page)).zoom).toBeGreaterThan(zoom0);
  const view = await viewport(page);
  const hash = await trimapHash(page);
  const counts = await liveCounts(page);
  expect(counts[2]).toBeGreaterThan(0);
  await flushAutosave(page);

  await page.reload();
  await sessionRestored(page);
  await expect(page.getByTestId('doc-name')).toContainText('Leather.png · 512×512');
  expect(await trimapHash(page)).toBe(hash);
  const h = await page.evaluate(() => ({ u: window.__defectStudio!.editor.history.undoCount, r: window.__defectStudio!.editor.history.redoCount }));
  expect(h).toEqual({ u: 1, r: 1 });
  await expect(page.getByRole('button', { name: 'Line' })).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByRole('radio', { name: 'Defect' })).toBeChecked();
  const view2 = await viewport(page);
  expect([view2.zoom, view2.x, view2.y]).toEqual([view.zoom, view.x, view.y]);
  await page.getByRole('button', { name: 'Redo' }).click();
  expect((await liveCounts(page))[2]).toBeGreaterThan(counts[2]);

  // New starts over, also after a reload
  await page.getByRole('button', { name: 'New' }).click();
  await expect(page.getByTestId('welcome')).toBeVisible();
  await flushAutosave(page);
  await page.reload();
  await sessionRestored(page); // the lookup is over: had the session survived, it would be open now
  await expect(page.getByText('Looking for your last session')).toBeHidden();
  await expect(page.getByTestId('welcome')).toBeVisible();
  await expect(page.getByTestId('doc-name')).toHaveText('');
});

test('help dialog lists the keymap; zoom and pan move the view', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Tile' }).click();
  await page.getByTestId('canvas').hover();
  await page.keyboard.press('Shift+?');
  const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('Brush');
  await expect(dialog).toContainText('Fit to view');
  // the generation commands come from the same table: Generate, Stop, compare, Export with their keys
  for (const id of ['generate.run', 'generate.stop', 'generate.compare', 'generate.export']) await expect(dialog.locator(`tr[data-command="${id}"] kbd`)).toHaveCount(1);
  await expect(dialog.locator('tr[data-command="generate.run"]')).toContainText('Enter');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();

  // keys do nothing while typing in the prompt: no tool, class or history change, the text is typed
  const before = await page.evaluate(() => ({ ...window.__defectStudio!.editor.getSettings(), undo: window.__defectStudio!.editor.history.undoCount }));
  const prompt = page.getByRole('textbox', { name: 'Prompt' });
  await prompt.fill('');
  await prompt.pressSequentially('we lox 3 ]');
  await expect(prompt).toHaveValue('we lox 3 ]');
  const after = await page.evaluate(() => ({ ...window.__defectStudio!.editor.getSettings(), undo: window.__defectStudio!.editor.history.undoCount }));
  expect(after).toEqual(before);
  // outside the text box the same key picks the eraser
  await prompt.blur();
  await page.keyboard.press('e');
  expect(await page.evaluate(() => window.__defectStudio!.editor.getSettings().tool)).toBe('eraser');
  await page.keyboard.press('b');

  const vp0 = await viewport(page);
  const p = await toPage(page, 256, 256);
  await page.mouse.move(p.x, p.y);
  await page.mouse.wheel(0, -300);
  await expect.poll(async () => (await viewport(page)).zoom).toBeGreaterThan(vp0.zoom);
  const vp1 = await viewport(page);
  // the image point under the cursor stays put
  const box = (await page.getByTestId('canvas').boundingBox())!;
  expect((p.x - box.x - vp1.x) / vp1.zoom).toBeCloseTo(256, 0);
  // middle-drag pans
  await page.mouse.down({ button: 'middle' });
  await page.mouse.move(p.x + 40, p.y + 25, { steps: 4 });
  await page.mouse.up({ button: 'middle' });
  const vp2 = await viewport(page);
  expect(vp2.x - vp1.x).toBeCloseTo(40, 0);
  expect(vp2.y - vp1.y).toBeCloseTo(25, 0);
  await page.keyboard.press('f');
  await expect.poll(async () => (await viewport(page)).zoom).toBeCloseTo(vp0.zoom);
  // painting did not happen while panning
  expect((await liveCounts(page))[2]).toBe(0);
});

/** Inserts an EXIF APP1 segment with the given orientation right after a JPEG's SOI marker. */
function withExifOrientation(jpeg: Buffer, orientation: number): Buffer {
  const tiff = Buffer.from([
    0x49, 0x49, 0x2a, 0x00, 0x08, 0x00, 0x00, 0x00, // "II", 42, IFD0 at offset 8
    0x01, 0x00, // one entry
    0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, orientation, 0x00, 0x00, 0x00, // 0x0112 SHORT 1 value
    0x00, 0x00, 0x00, 0x00, // no next IFD
  ]);
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'binary'), tiff]);
  const len = payload.length + 2;
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, len >> 8, len & 0xff]), payload]);
  return Buffer.concat([jpeg.subarray(0, 2), app1, jpeg.subarray(2)]);
}

test('EXIF orientation is honoured; paste and drop open images', async ({ page }) => {
  await page.goto('/');
  // A 40x20 JPEG, left half red and right half blue, made by the browser's encoder.
  const b64 = await page.evaluate(async () => {
    const c = new OffscreenCanvas(40, 20);
    const ctx = c.getContext('2d')!;
    ctx.fillStyle = '#f00';
    ctx.fillRect(0, 0, 20, 20);
    ctx.fillStyle = '#00f';
    ctx.fillRect(20, 0, 20, 20);
    const blob = await c.convertToBlob({ type: 'image/jpeg', quality: 0.95 });
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let s = '';
    for (const v of bytes) s += String.fromCharCode(v);
    return btoa(s);
  });
  const jpeg = withExifOrientation(Buffer.from(b64, 'base64'), 6); // 6: rotate 90 degrees clockwise
  expect(await chooseFile(page, 'Open image', { name: 'rotated.jpg', mimeType: 'image/jpeg', buffer: jpeg })).toBe(true);
  await expect(page.getByTestId('doc-name')).toContainText('rotated.jpg · 20×40');
  const px = await page.evaluate(() => {
    const im = window.__defectStudio!.editor.getImage()!;
    const at = (x: number, y: number) => Array.from(im.data.slice((y * im.width + x) * 4, (y * im.width + x) * 4 + 3));
    return { top: at(10, 5), bottom: at(10, 35) };
  });
  expect(px.top[0]).toBeGreaterThan(200); // the red left half is now on top
  expect(px.top[2]).toBeLessThan(60);
  expect(px.bottom[2]).toBeGreaterThan(200);
  await expect.poll(() => liveCounts(page)).toEqual([0, 800, 0]);

  // Paste from the clipboard
  const png = pngFile('clip.png', 64, 32, 4, () => [10, 200, 30, 255]).buffer.toString('base64');
  const pasted = await fileAction(page, () =>
    page.evaluate((data) => {
      const bytes = Uint8Array.from(atob(data), (ch) => ch.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'clip.png', { type: 'image/png' }));
      window.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt }));
    }, png),
  );
  expect(pasted).toBe(true);
  await expect(page.getByTestId('doc-name')).toContainText('clip.png · 64×32');

  // Drop onto the canvas
  const png2 = pngFile('dropped.png', 30, 50, 4, () => [200, 10, 30, 255]).buffer.toString('base64');
  const dropped = await fileAction(page, () =>
    page.evaluate((data) => {
      const bytes = Uint8Array.from(atob(data), (ch) => ch.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
      const el = document.querySelector('[data-testid="canvas"]')!;
      el.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, png2),
  );
  expect(dropped).toBe(true);
  await expect(page.getByTestId('doc-name')).toContainText('dropped.png · 30×50');
  await expect.poll(() => liveCounts(page)).toEqual([0, 1500, 0]);
});

test('a 4096x4096 photo opens and paints; brush size keys and Alt+wheel', async ({ page }) => {
  test.setTimeout(240_000); // a 48 MB image through the file chooser, decoded and painted on a busy machine
  await page.goto('/');
  const n = 4096;
  const rgb = new Uint8Array(n * n * 3);
  for (let y = 0, i = 0; y < n; y++) {
    for (let x = 0; x < n; x++, i += 3) {
      rgb[i] = (x >> 4) & 255;
      rgb[i + 1] = (y >> 4) & 255;
      rgb[i + 2] = 90;
    }
  }
  const big = { name: 'big.png', mimeType: 'image/png', buffer: encodePng(n, n, 3, rgb) };
  expect(await chooseFile(page, 'Open image', big, { timeout: 120_000 })).toBe(true);
  await expect(page.getByTestId('doc-name')).toContainText('big.png · 4096×4096');
  const px = await page.evaluate(() => {
    const im = window.__defectStudio!.editor.getImage()!;
    const i = (1234 * im.width + 3000) * 4;
    return Array.from(im.data.slice(i, i + 4));
  });
  expect(px).toEqual([(3000 >> 4) & 255, (1234 >> 4) & 255, 90, 255]);
  await page.getByRole('radio', { name: 'Defect' }).check();
  await page.getByRole('button', { name: 'Brush', exact: true }).click();
  const size0 = await toolSize(page);
  await page.getByTestId('canvas').hover();
  await page.keyboard.press(']');
  await expect.poll(() => toolSize(page)).toBeGreaterThan(size0);
  const size1 = await toolSize(page);
  await page.keyboard.down('Alt');
  await page.mouse.wheel(0, -200);
  await page.keyboard.up('Alt');
  await expect.poll(() => toolSize(page)).toBeGreaterThan(size1);
  await page.evaluate(() => window.__defectStudio!.editor.setSize(200));
  const zoom = (await viewport(page)).zoom;
  await dragImage(page, [[1000, 1000], [2000, 1500], [3000, 1000]]);
  const c = await liveCounts(page);
  // a 200 px wide stroke about 2240 px long
  expect(c[2]).toBeGreaterThan(200 * 2000);
  expect(c[2]).toBeLessThan(200 * 2600);
  expect(c[0]).toBe(0);
  const histBytes = await page.evaluate(() => window.__defectStudio!.editor.history.bytes);
  expect(histBytes).toBeLessThan(2 * 2300 * 800); // a dirty-rect patch, not the whole image
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect.poll(() => liveCounts(page)).toEqual([0, 4096 * 4096, 0]);
  expect(await page.evaluate(() => window.__defectStudio!.editor.getViewport().zoom)).toBe(zoom);
});

/** Drops `files` onto the canvas one right after the other (one task: none of them has been read yet). */
async function dropFilesAtOnce(page: Page, files: { name: string; b64: string }[], thenClickSample?: string) {
  await page.evaluate(
    ({ files, sample }) => {
      const el = document.querySelector('[data-testid="canvas"]')!;
      for (const f of files) {
        const dt = new DataTransfer();
        dt.items.add(new File([Uint8Array.from(atob(f.b64), (ch) => ch.charCodeAt(0))], f.name, { type: 'image/png' }));
        el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      }
      if (sample) document.querySelector<HTMLButtonElement>(`button[aria-label="${sample}"]`)!.click();
    },
    { files, sample: thenClickSample },
  );
}

test('file actions land in the order chosen: the later open wins, a sample chosen meanwhile wins', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('welcome')).toBeVisible();
  // A big photo takes a while to decode, a tiny one no time: still the tiny one, chosen last, is what stays open.
  const n = 1500;
  const big = encodePng(n, n, 3, new Uint8Array(n * n * 3).fill(77)).toString('base64');
  const tiny = pngFile('tiny.png', 8, 6, 4, () => [1, 2, 3, 255]).buffer.toString('base64');
  await dropFilesAtOnce(page, [
    { name: 'big.png', b64: big },
    { name: 'tiny.png', b64: tiny },
  ]);
  await page.evaluate(() => window.__defectStudio!.files.idle());
  await expect(page.getByTestId('doc-name')).toHaveText('tiny.png · 8×6');
  expect(await page.evaluate(() => window.__defectStudio!.editor.imageRevision)).toBe(2); // both opened, in order

  // "New", then a sample clicked while a dropped photo is still being read: the sample stays.
  await page.getByRole('button', { name: 'New' }).click();
  await expect(page.getByTestId('welcome')).toBeVisible();
  await dropFilesAtOnce(page, [{ name: 'big.png', b64: big }], 'Leather');
  await page.evaluate(() => window.__defectStudio!.files.idle());
  await expect(page.getByTestId('doc-name')).toHaveText('Leather.png · 512×512');
  expect(await page.evaluate(() => window.__defectStudio!.files.last)).toEqual({ label: 'Opening big.png…', ok: false });
});
