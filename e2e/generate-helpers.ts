// Shared steps of the generation e2e tests: serve the test packs, open a sample, paint a defect, read
// pixels back from the page and from downloaded files.
import { expect, type Download, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { decode } from 'fast-png';

export const PACKS_DIR = path.resolve('tests/fixtures/packs');

/** Serve tests/fixtures/packs/<id>/... at /test-packs/<id>/... (same origin, so COEP is satisfied). */
export async function serveTestPacks(page: Page): Promise<{ requests: string[] }> {
  const requests: string[] = [];
  await page.route((u) => u.pathname.startsWith('/test-packs/'), async (route) => {
    const url = new URL(route.request().url());
    const rel = decodeURIComponent(url.pathname.replace(/^.*\/test-packs\//, ''));
    const file = path.join(PACKS_DIR, rel);
    requests.push(rel);
    if (!file.startsWith(PACKS_DIR) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      await route.fulfill({ status: 404, body: 'not found' });
      return;
    }
    await route.fulfill({
      status: 200,
      body: fs.readFileSync(file),
      headers: { 'content-type': file.endsWith('.json') ? 'application/json' : 'application/octet-stream' },
    });
  });
  return { requests };
}

export async function openApp(page: Page, pack = 'tiny-builtin', extra = '') {
  await page.goto(`/?model=/test-packs/${pack}/${extra}`);
  await expect(page.getByTestId('model-status')).toHaveText(/ready/, { timeout: 90_000 });
}

/** Open the "Brushed metal" sample from the welcome screen (512x512). */
export async function openSample(page: Page, name = 'Brushed metal') {
  await page.getByRole('button', { name }).click();
  await expect.poll(() => page.evaluate(() => window.__defectStudio!.editor.hasDocument())).toBe(true);
}

/** Paint a defect stroke with the real pointer through the canvas (brush tool, class Defect). */
export async function paintDefect(page: Page, from: [number, number] = [100, 110], to: [number, number] = [150, 130]) {
  await page.evaluate(() => {
    const ed = window.__defectStudio!.editor;
    ed.setTool('brush');
    ed.setClass(2);
    ed.setSize(12);
  });
  const canvas = page.getByTestId('canvas');
  const box = (await canvas.boundingBox())!;
  const vp = await page.evaluate(() => window.__defectStudio!.editor.getViewport());
  const toScreen = ([x, y]: [number, number]) => [box.x + vp.x + x * vp.zoom, box.y + vp.y + y * vp.zoom] as const;
  const a = toScreen(from);
  const b = toScreen(to);
  const undoSteps = () => page.evaluate(() => window.__defectStudio!.editor.history.undoCount);
  const steps = await undoSteps();
  await page.mouse.move(a[0], a[1]);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(a[0] + ((b[0] - a[0]) * i) / 10, a[1] + ((b[1] - a[1]) * i) / 10);
  await page.mouse.up();
  await expect.poll(undoSteps, { message: 'the stroke is committed' }).toBe(steps + 1);
  const n = await defectCount(page);
  expect(n).toBeGreaterThan(50);
  return n;
}

export async function defectCount(page: Page): Promise<number> {
  return page.evaluate(() => {
    const t = window.__defectStudio!.editor.getTrimap()!;
    let n = 0;
    for (let i = 0; i < t.data.length; i++) if (t.data[i] === 2) n++;
    return n;
  });
}

/** The photo and trimap as plain arrays (for comparisons in Node). */
export async function documentPixels(page: Page): Promise<{ width: number; height: number; image: number[]; trimap: number[] }> {
  return page.evaluate(() => {
    const ed = window.__defectStudio!.editor;
    const img = ed.getImage()!;
    const t = ed.getTrimap()!;
    return { width: img.width, height: img.height, image: Array.from(img.data), trimap: Array.from(t.data) };
  });
}

export async function setField(page: Page, label: string, value: string) {
  const f = page.getByLabel(label, { exact: true });
  await f.fill(value);
}

export async function readDownload(d: Download): Promise<Buffer> {
  const p = await d.path();
  return fs.readFileSync(p!);
}

export function decodePng(bytes: Uint8Array) {
  return decode(bytes);
}

/**
 * What the pack store holds in OPFS, read from the page (the same origin's storage): pack folder -> file ->
 * its size, and with `hash` its sha256 computed in the page. {} when the store's folder does not exist.
 */
export async function opfsPacks(page: Page, opts: { hash?: boolean } = {}): Promise<Record<string, Record<string, { size: number; sha256?: string }>>> {
  return page.evaluate(async (hash) => {
    const out: Record<string, Record<string, { size: number; sha256?: string }>> = {};
    let root: FileSystemDirectoryHandle;
    try {
      root = await (await navigator.storage.getDirectory()).getDirectoryHandle('defect-studio-packs');
    } catch {
      return out;
    }
    type Entries = AsyncIterable<[string, FileSystemHandle]>;
    for await (const [name, h] of (root as unknown as { entries(): Entries }).entries()) {
      if (h.kind !== 'directory') continue;
      out[name] = {};
      for await (const [f, fh] of (h as unknown as { entries(): Entries }).entries()) {
        if (fh.kind !== 'file') continue;
        const file = await (fh as FileSystemFileHandle).getFile();
        if (!hash) {
          out[name][f] = { size: file.size };
          continue;
        }
        const bytes = await file.arrayBuffer();
        const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
        out[name][f] = { size: bytes.byteLength, sha256: [...d].map((b) => b.toString(16).padStart(2, '0')).join('') };
      }
    }
    return out;
  }, opts.hash ?? false);
}
