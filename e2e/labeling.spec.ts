import { expect, test, type Page } from '@playwright/test';
import { encode } from 'fast-png';

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
