// Opening and importing files of every kind (issue 10, items 5 and 7): decoded in the decode Worker, header
// checked first, clear messages, the painting untouched on failure.
//   npx vite build --outDir /tmp/ds-editor-dist && npx playwright test -c e2e/editor.playwright.config.ts e2e/editor-inputs.spec.ts
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { expect, test, type Page } from '@playwright/test';
import { encode } from 'fast-png';

type FilePayload = { name: string; mimeType: string; buffer: Buffer };

async function chooseFile(page: Page, button: string, file: FilePayload) {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: button, exact: true }).click();
  await (await chooser).setFiles(file);
}

const alert = (page: Page) => page.locator('.ds-messages [role="alert"]');

async function trimapValues(page: Page): Promise<number[]> {
  return page.evaluate(() => Array.from(window.__defectStudio!.editor.getTrimap()!.data));
}

function crc32(b: Buffer): number {
  let c = ~0;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

/** A real PNG bomb: side x side 1-bit grey zeros, ~100 KB on disk. */
function bomb(side: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const td = Buffer.concat([Buffer.from(type), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    td.copy(out, 4);
    out.writeUInt32BE(crc32(td), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 1;
  const idat = deflateSync(Buffer.alloc(side * (1 + Math.ceil(side / 8))), { level: 9 });
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

test('16-bit, palette and JPEG files open; a PNG bomb is refused from its header; imports run in the decode worker', async ({ page }) => {
  await page.goto('/');
  const W = 40;
  const H = 30;
  // 16-bit RGB: the page works in 8 bits, round(v / 257)
  const rgb16 = Uint16Array.from({ length: W * H * 3 }, (_, i) => (i * 2654435761) >>> 16);
  await chooseFile(page, 'Open image', { name: 'deep.png', mimeType: 'image/png', buffer: Buffer.from(encode({ width: W, height: H, data: rgb16, channels: 3, depth: 16 })) });
  await expect(page.getByTestId('doc-name')).toContainText('deep.png · 40×30');
  const rgba = await page.evaluate(() => Array.from(window.__defectStudio!.editor.getImage()!.data));
  const want: number[] = [];
  for (let p = 0; p < W * H; p++) want.push(...[0, 1, 2].map((c) => Math.round(rgb16[p * 3 + c] / 257)), 255);
  expect(rgba).toEqual(want);

  // A 2-bit palette trimap: indices 0..3 -> red 0 / 127 / 255 / 60 -> background, object, defect, background
  const rowBytes = Math.ceil((W * 2) / 8);
  const packed = new Uint8Array(rowBytes * H);
  const index = (x: number, y: number) => (x + y) & 3;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) packed[y * rowBytes + (x >> 2)] |= index(x, y) << (6 - 2 * (x & 3));
  const pal = encode({ width: W, height: H, depth: 2, channels: 1, data: packed, palette: [[0, 5, 5], [127, 0, 9], [255, 1, 1], [60, 200, 200]] });
  await chooseFile(page, 'Import trimap', { name: 'pal.png', mimeType: 'image/png', buffer: Buffer.from(pal) });
  const expected: number[] = [];
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) expected.push([0, 1, 2, 0][index(x, y)]);
  await expect.poll(() => trimapValues(page)).toEqual(expected);
  expect(page.workers().some((w) => /decode/.test(w.url()))).toBe(true);

  // A PNG bomb as trimap and as image: refused from the header, nothing changed
  const bombFile = { name: 'bomb.png', mimeType: 'image/png', buffer: bomb(30000) };
  await chooseFile(page, 'Import trimap', bombFile);
  await expect(alert(page)).toContainText('Could not import "bomb.png" as a trimap: it is 30000x30000 but the image is 40x30; nothing was changed.');
  expect(await trimapValues(page)).toEqual(expected);
  await chooseFile(page, 'Open image', bombFile);
  await expect(alert(page)).toContainText('Could not open "bomb.png": it is 30000x30000 (900 MP), over the limit of 100 MP.');
  await expect(page.getByTestId('doc-name')).toContainText('deep.png · 40×30');
  expect(await trimapValues(page)).toEqual(expected);

  // A JPEG goes through the browser's decoder, in the worker
  await chooseFile(page, 'Open image', { name: 'samples.jpg', mimeType: 'image/jpeg', buffer: readFileSync('tools/train/samples.jpg') });
  await expect
    .poll(async () => `${await page.getByTestId('doc-name').textContent()} | ${await alert(page).allTextContents()}`, { timeout: 30_000 })
    .toBe('samples.jpg · 1024×1560 | ');
  await expect(page.getByTestId('doc-name')).toContainText('samples.jpg · 1024×1560');
  await expect(alert(page)).toHaveCount(0);
});
