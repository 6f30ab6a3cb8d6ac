// Shared e2e steps that wait for the app through its test hook (window.__defectStudio, src/ui/testHook.ts).
// Rules: e2e/README.md. Every step waits on the state it needs, never on time.
import { expect, type Page } from '@playwright/test';
import { deflateSync } from 'node:zlib';

export interface FilePayload {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

/**
 * Runs `act` (choosing, dropping or pasting a file) and waits until the app has finished the file action it
 * started: the document and any message are final then. Returns whether the action changed the document.
 */
export async function fileAction(page: Page, act: () => Promise<void>, opts: { timeout?: number } = {}): Promise<boolean> {
  const before = await page.evaluate(() => window.__defectStudio!.files.finished);
  await act();
  await expect
    .poll(() => page.evaluate(() => window.__defectStudio!.files.finished), { message: 'the file action finishes', timeout: opts.timeout })
    .toBeGreaterThan(before);
  return page.evaluate(() => window.__defectStudio!.files.last!.ok);
}

/** Clicks `button`, gives its file chooser `file`, and waits until the app is done with it (see fileAction). */
export async function chooseFile(page: Page, button: string, file: FilePayload, opts: { timeout?: number } = {}): Promise<boolean> {
  return fileAction(
    page,
    async () => {
      const chooser = page.waitForEvent('filechooser');
      await page.getByRole('button', { name: button, exact: true }).click();
      await (await chooser).setFiles(file);
    },
    opts,
  );
}

/** Waits until the page has looked up (and maybe restored) the autosaved session. */
export async function sessionRestored(page: Page): Promise<void> {
  await page.waitForFunction(() => window.__defectStudio?.session !== undefined);
  await page.evaluate(() => window.__defectStudio!.session.restored());
}

/** Writes the pending autosave now (the debounce would otherwise race a reload). */
export async function flushAutosave(page: Page): Promise<void> {
  await sessionRestored(page);
  await page.evaluate(() => window.__defectStudio!.session.flush());
}

export async function viewport(page: Page) {
  return page.evaluate(() => window.__defectStudio!.editor.getViewport());
}

export async function toolSize(page: Page): Promise<number> {
  return page.evaluate(() => window.__defectStudio!.editor.getSettings().size);
}

// ---- PNG files made in Node (node:zlib: a 4096x4096 image takes well under a second) ----------------------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(body.length + 8);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), body.length + 4);
  return out;
}

/** An 8-bit PNG (1 gray, 3 RGB or 4 RGBA channels) of `data` (row-major, `channels` bytes a pixel). */
export function encodePng(width: number, height: number, channels: 1 | 3 | 4, data: Uint8Array): Buffer {
  const stride = width * channels;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) raw.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1); // filter 0
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = { 1: 0, 3: 2, 4: 6 }[channels];
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 1 })),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** A PNG file whose pixel (x, y) is `fill(x, y)` (`channels` values). */
export function pngFile(name: string, width: number, height: number, channels: 1 | 3 | 4, fill: (x: number, y: number) => number[]): FilePayload {
  const data = new Uint8Array(width * height * channels);
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = fill(x, y);
      for (let k = 0; k < channels; k++) data[i++] = v[k];
    }
  }
  return { name, mimeType: 'image/png', buffer: encodePng(width, height, channels, data) };
}
