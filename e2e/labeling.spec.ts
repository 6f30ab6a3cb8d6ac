import { expect, test, type Page } from '@playwright/test';
import { decode, encode } from 'fast-png';
import { unzipSync } from 'fflate';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileAction, flushAutosave, sessionRestored } from './app';

/** Counts per class id [background, object, defect] of the live trimap in the page. */
function liveCounts(page: Page): Promise<[number, number, number]> {
  return page.evaluate(() => {
    const t = window.__defectStudio!.editor.getTrimap()!;
    const c: [number, number, number] = [0, 0, 0];
    for (let i = 0; i < t.data.length; i++) c[t.data[i]]++;
    return c;
  });
}

const undoCount = (page: Page) => page.evaluate(() => window.__defectStudio!.editor.history.undoCount);

/** Page coordinates of an image point. */
async function toPage(page: Page, ix: number, iy: number): Promise<{ x: number; y: number }> {
  const box = (await page.getByTestId('canvas').boundingBox())!;
  const vp = await page.evaluate(() => window.__defectStudio!.editor.getViewport());
  return { x: box.x + vp.x + ix * vp.zoom, y: box.y + vp.y + iy * vp.zoom };
}

async function clickImage(page: Page, ix: number, iy: number): Promise<void> {
  const p = await toPage(page, ix, iy);
  await page.mouse.click(p.x, p.y);
}

function png(name: string, width: number, height: number, fill: (x: number, y: number) => number[]) {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(fill(x, y), (y * width + x) * 4);
  return { name, mimeType: 'image/png', buffer: Buffer.from(encode({ width, height, data, channels: 4, depth: 8 })) };
}

/** A part photo: a warm disc (r = 50) on a dark cloth, with a 20x20 dark-brown defect patch. */
const inDisc = (x: number, y: number) => (x + 0.5 - 100) ** 2 + (y + 0.5 - 75) ** 2 <= 50 * 50;
const inPatch = (x: number, y: number) => x >= 90 && x < 110 && y >= 60 && y < 80;
function partPhoto(name: string) {
  return png(name, 200, 150, (x, y) => {
    const n = ((x * 7 + y * 13) % 5) - 2; // a little texture
    if (inPatch(x, y)) return [90 + n, 60 + n, 30 + n, 255];
    if (inDisc(x, y)) return [200 + n, 150 + n, 80 + n, 255];
    return [20 + n, 22 + n, 30 + n, 255];
  });
}

test('magic wand with a live tolerance, object from background and refine, each one undo step', async ({ page }) => {
  await page.goto('/');
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Open image', exact: true }).click();
  await (await chooser).setFiles(partPhoto('part.png'));
  await expect(page.getByTestId('doc-name')).toContainText('part.png · 200×150');

  await page.getByTestId('canvas').hover();
  await page.keyboard.press('w');
  await expect(page.getByRole('button', { name: 'Magic wand' })).toHaveAttribute('aria-pressed', 'true');
  await page.keyboard.press('3');
  await clickImage(page, 100, 70);
  await expect.poll(() => liveCounts(page)).toEqual([0, 200 * 150 - 400, 400]);
  expect(await undoCount(page)).toBe(1);

  // The slider redoes the click live, still one undo step
  const tol = page.getByRole('slider', { name: 'Tolerance' });
  await tol.fill('255');
  await expect.poll(() => liveCounts(page)).toEqual([0, 0, 200 * 150]);
  await tol.fill('32');
  await expect.poll(() => liveCounts(page)).toEqual([0, 200 * 150 - 400, 400]);
  expect(await undoCount(page)).toBe(1);
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect.poll(() => liveCounts(page)).toEqual([0, 200 * 150, 0]);

  // Object from background: the disc (with the patch inside) is the object, the rest background
  await page.getByRole('button', { name: 'Object from background' }).click();
  let disc = 0;
  for (let y = 0; y < 150; y++) for (let x = 0; x < 200; x++) if (inDisc(x, y)) disc++;
  await expect.poll(async () => (await liveCounts(page))[0]).toBeGreaterThan(0);
  const c = await liveCounts(page);
  expect(Math.abs(c[1] - disc)).toBeLessThan(disc * 0.03);
  expect(await undoCount(page)).toBe(1);

  // Refine the object region: grow by 3 px (keys and buttons run the same action)
  await page.getByRole('radio', { name: 'Object' }).check();
  await page.getByRole('spinbutton', { name: 'Refine radius' }).fill('3');
  await page.getByRole('button', { name: 'Grow', exact: true }).click();
  await expect.poll(async () => (await liveCounts(page))[1]).toBeGreaterThan(c[1] + 2 * Math.PI * 50 * 2.5);
  expect(await undoCount(page)).toBe(2);
  await page.getByTestId('canvas').hover();
  await page.keyboard.press('Shift+S');
  await expect.poll(() => undoCount(page)).toBe(3);
  expect(Math.abs((await liveCounts(page))[1] - c[1])).toBeLessThan(disc * 0.01);

  // The help dialog lists the new commands from the same table
  await page.keyboard.press('Shift+?');
  const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(dialog).toContainText('Magic wand');
  await expect(dialog).toContainText('Object from background');
  await expect(dialog).toContainText('Remove specks');
  await page.keyboard.press('Escape');
});

/** The open image's defect pixels as a 0/255 mask (what "Export masks" must write for it). */
function liveMask(page: Page): Promise<{ name: string; w: number; h: number; mask: number[] }> {
  return page.evaluate(() => {
    const ed = window.__defectStudio!.editor;
    const t = ed.getTrimap()!;
    return { name: ed.getImageName(), w: t.width, h: t.height, mask: Array.from(t.data, (v) => (v === 2 ? 255 : 0)) };
  });
}

async function dragImage(page: Page, pts: [number, number][]): Promise<void> {
  const first = await toPage(page, pts[0][0], pts[0][1]);
  await page.mouse.move(first.x, first.y);
  await page.mouse.down();
  for (const [x, y] of pts.slice(1)) {
    const p = await toPage(page, x, y);
    await page.mouse.move(p.x, p.y, { steps: 5 });
  }
  await page.mouse.up();
}

/** Three part photos, the defect patch moved per photo. */
function folderPhoto(patchX: number, tint: number) {
  return (x: number, y: number) => {
    const n = ((x * 7 + y * 13) % 5) - 2;
    if (x >= patchX && x < patchX + 20 && y >= 60 && y < 80) return [90 + n, 60 + n, 30 + n, 255];
    if ((x + 0.5 - 100) ** 2 + (y + 0.5 - 75) ** 2 <= 2500) return [200 + n, 150 + tint + n, 80 + n, 255];
    return [20 + n, 22 + n, 30 + n, 255];
  };
}

test('a folder of three photos: wand and brush on two, keys step between them, reload, export masks', async ({ page }, info) => {
  const dir = info.outputPath('photos');
  mkdirSync(dir, { recursive: true });
  const patches = [70, 100, 110];
  ['p1.png', 'p2.png', 'p3.png'].forEach((name, i) => writeFileSync(join(dir, name), png(name, 200, 150, folderPhoto(patches[i], i * 10)).buffer));

  await page.goto('/');
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Open folder' }).click();
  await (await chooser).setFiles(dir);
  const strip = page.getByTestId('folder-strip');
  await expect(strip.getByRole('button', { name: /^p\d\.png/ })).toHaveCount(3);
  await expect(page.getByTestId('doc-name')).toContainText('p1.png · 200×150');
  await expect(strip.getByRole('button', { name: 'p1.png: not labelled' })).toHaveAttribute('aria-current', 'true');

  // Photo 1: magic wand on the patch, then a brush stroke
  await page.getByTestId('canvas').hover();
  await page.keyboard.press('w');
  await page.keyboard.press('3');
  await clickImage(page, 75, 70);
  await expect.poll(async () => (await liveCounts(page))[2]).toBe(400);
  await page.keyboard.press('b');
  await page.evaluate(() => window.__defectStudio!.editor.setSize(6));
  await dragImage(page, [[30, 20], [60, 30]]);
  await expect.poll(() => undoCount(page)).toBe(2);
  const mask1 = await liveMask(page);
  expect(mask1.name).toBe('p1.png');
  expect(mask1.mask.filter((v) => v).length).toBeGreaterThan(400 + 150);

  // Next photo with the key; its own empty history
  await page.keyboard.press('d');
  await expect(page.getByTestId('doc-name')).toContainText('p2.png');
  await expect.poll(() => undoCount(page)).toBe(0);
  await expect(strip.getByRole('button', { name: 'p1.png: defect labelled' })).toBeVisible();
  await page.keyboard.press('w');
  await clickImage(page, 105, 65);
  await expect.poll(async () => (await liveCounts(page))[2]).toBe(400);
  await page.keyboard.press('b');
  await dragImage(page, [[150, 120], [170, 100]]);
  await expect.poll(() => undoCount(page)).toBe(2);
  const mask2 = await liveMask(page);

  // Step around: PageDown to the third, back with 'a' twice; each keeps its own trimap and history
  await page.keyboard.press('PageDown');
  await expect(page.getByTestId('doc-name')).toContainText('p3.png');
  expect((await liveCounts(page))[2]).toBe(0);
  await page.keyboard.press('a');
  await expect(page.getByTestId('doc-name')).toContainText('p2.png');
  await page.keyboard.press('a');
  await expect(page.getByTestId('doc-name')).toContainText('p1.png');
  await expect.poll(() => undoCount(page)).toBe(2);
  expect((await liveMask(page)).mask).toEqual(mask1.mask);
  await page.keyboard.press('d');
  await expect(page.getByTestId('doc-name')).toContainText('p2.png');
  await expect(strip.getByRole('button', { name: 'p2.png: defect labelled' })).toBeVisible();
  await flushAutosave(page);

  // Reload: the folder, the open photo and its history come back
  await page.reload();
  await expect(page.getByTestId('doc-name')).toContainText('p2.png · 200×150', { timeout: 30_000 });
  await expect(strip.getByRole('button', { name: 'p2.png: defect labelled' })).toHaveAttribute('aria-current', 'true');
  await expect(strip.getByRole('button', { name: 'p1.png: defect labelled' })).toBeVisible();
  await expect(strip.getByRole('button', { name: 'p3.png: not labelled' })).toBeVisible();
  await expect.poll(() => undoCount(page)).toBe(2);
  expect((await liveMask(page)).mask).toEqual(mask2.mask);

  // Export masks: MVTec ground truth for the two labelled photos, pixel for pixel what was painted
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export masks' }).click();
  const d = await download;
  expect(d.suggestedFilename()).toBe('photos_masks.zip');
  const zip = unzipSync(readFileSync((await d.path())!));
  expect(Object.keys(zip).sort()).toEqual([
    'photos/ground_truth/p1_mask.png',
    'photos/ground_truth/p2_mask.png',
    'photos/labels.json',
    'photos/trimaps/p1_trimap.png',
    'photos/trimaps/p2_trimap.png',
  ]);
  for (const [path, want] of [
    ['photos/ground_truth/p1_mask.png', mask1],
    ['photos/ground_truth/p2_mask.png', mask2],
  ] as const) {
    const m = decode(zip[path]);
    expect([m.width, m.height, m.channels, m.depth]).toEqual([200, 150, 1, 8]);
    expect(Array.from(m.data)).toEqual(want.mask);
  }
  const labels = JSON.parse(new TextDecoder().decode(zip['photos/labels.json']));
  expect(labels.images.map((i: { name: string; status: string }) => `${i.name}:${i.status}`)).toEqual(['p1.png:defect', 'p2.png:defect', 'p3.png:unlabelled']);
});

test('dropping several images opens them as a folder; opening a single image leaves it', async ({ page }) => {
  await page.goto('/');
  const a = png('drop-a.png', 40, 30, () => [200, 10, 30, 255]).buffer.toString('base64');
  const b = png('drop-b.png', 30, 20, () => [10, 200, 30, 255]).buffer.toString('base64');
  await sessionRestored(page);
  const opened = await fileAction(page, () =>
    page.evaluate(
      ([a, b]) => {
        const dt = new DataTransfer();
        for (const [name, data] of [['drop-b.png', b], ['drop-a.png', a]]) dt.items.add(new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], name, { type: 'image/png' }));
        const el = document.querySelector('[data-testid="canvas"]')!;
        el.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
        el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      },
      [a, b],
    ),
  );
  expect(opened).toBe(true);
  const strip = page.getByTestId('folder-strip');
  await expect(strip.getByRole('button', { name: /^drop-/ })).toHaveCount(2);
  await expect(page.getByTestId('doc-name')).toContainText('drop-a.png · 40×30');
  await strip.getByRole('button', { name: 'drop-b.png: not labelled' }).click();
  await expect(page.getByTestId('doc-name')).toContainText('drop-b.png · 30×20');
  await expect(page.getByRole('button', { name: 'Export masks' })).toBeEnabled();

  // A sample opens as a single image: the strip goes, and a reload brings the sample back, not the folder
  await page.getByRole('button', { name: 'New' }).click();
  await page.getByRole('button', { name: 'Wood' }).click();
  await expect(page.getByTestId('doc-name')).toContainText('Wood.png');
  await expect(strip).toBeHidden();
  await expect(page.getByRole('button', { name: 'Export masks' })).toBeDisabled();
  await flushAutosave(page);
  await page.reload();
  await sessionRestored(page);
  await expect(page.getByTestId('doc-name')).toContainText('Wood.png');
  await expect(strip).toBeHidden();
});
