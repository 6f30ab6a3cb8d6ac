// "Add model": a local pack folder through the UI (the folder input, as the directory picker's fallback),
// checked with real WASM sessions, kept in the browser, listed with its size, chosen, generated with, kept
// through a reload, deleted; a broken pack refused with the CLI's words and nothing kept.
import { expect, test, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodePng } from './app';
import { PACKS_DIR, openApp, openSample, paintDefect, readDownload, serveTestPacks, setField } from './generate-helpers';

let tmp: string;
test.beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ds-e2e-add-model-'));
});
test.afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Bytes of a pack as the manifest declares them (defect-studio.json and every listed file). */
function packBytes(dir: string): number {
  const text = fs.readFileSync(path.join(dir, 'defect-studio.json'));
  const m = JSON.parse(text.toString('utf8')) as { files: Record<string, { bytes: number }> };
  return Object.values(m.files).reduce((a, f) => a + f.bytes, 0);
}

/** The one line the CLI prints for `generate --model dir`, without its "defect-studio: model pack: " prefix. */
function cliPackMessage(dir: string): string {
  const img = path.join(tmp, 'cli-image.png');
  const tri = path.join(tmp, 'cli-trimap.png');
  fs.writeFileSync(img, encodePng(32, 32, 3, new Uint8Array(32 * 32 * 3).fill(128)));
  fs.writeFileSync(tri, encodePng(32, 32, 1, new Uint8Array(32 * 32).map((_, i) => (i % 32 > 10 && i % 32 < 20 && i > 320 && i < 640 ? 255 : 127))));
  try {
    execFileSync(process.execPath, ['bin/defect-studio.mjs', 'generate', '--model', dir, '--image', img, '--trimap', tri, '--prompt', 'x', '--out', path.join(tmp, 'cli-out')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (e) {
    const line = String((e as { stderr: Buffer }).stderr).trim();
    expect(line).toMatch(/^defect-studio: model pack: /);
    return line.replace(/^defect-studio: model pack: /, '');
  }
  throw new Error('the CLI accepted the broken pack');
}

async function addFolder(page: Page, dir: string) {
  const before = await page.evaluate(() => window.__defectStudio!.models.adds.finished);
  await page.getByRole('button', { name: 'Add model' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add model' });
  await expect(dialog).toBeVisible();
  await dialog.getByTestId('add-model-folder-input').setInputFiles(dir);
  // Checking creates every ONNX session of the pack: one model load on a loaded machine.
  await expect.poll(() => page.evaluate(() => window.__defectStudio!.models.adds.finished), { timeout: 120_000 }).toBe(before + 1);
  return dialog;
}

test.describe('Add model', () => {
  test.beforeEach(async ({ page }) => {
    await serveTestPacks(page);
    await page.addInitScript(() => localStorage.setItem('defect-studio.backend', 'wasm'));
  });

  test('a broken pack is refused with the CLI message and nothing is kept', async ({ page }) => {
    const broken = path.join(tmp, 'broken-sd');
    fs.cpSync(path.join(PACKS_DIR, 'tiny-sd'), broken, { recursive: true });
    const unet = path.join(broken, 'unet', 'model.onnx');
    const b = fs.readFileSync(unet);
    b[b.length - 10] ^= 0xff;
    fs.writeFileSync(unet, b);
    const expected = cliPackMessage(broken);
    expect(expected).toMatch(/^sha256 differs from the manifest; file unet\/model.onnx; expected [0-9a-f]{64}; found [0-9a-f]{64}$/);

    await openApp(page, 'tiny-builtin');
    const dialog = await addFolder(page, broken);
    await expect(dialog.getByRole('alert')).toHaveText(expected);
    expect(await page.evaluate(() => window.__defectStudio!.models.adds.last)).toEqual({ ok: false, message: expected });
    // Nothing kept: the list (which shows the store: the tiny-builtin pack of ?model= is in it) has no tiny-sd,
    // and the store has no folder for it.
    await expect(page.locator('[data-testid=kept-model][data-id=tiny-builtin]')).toHaveCount(1);
    await expect(page.locator('[data-testid=kept-model][data-id=tiny-sd]')).toHaveCount(0);
    const state = await page.evaluate(() => window.__defectStudio!.models.state().packs.map((p) => p.id));
    expect(state).not.toContain('tiny-sd');
    const opfs = await page.evaluate(async () => {
      const names: string[] = [];
      const root = await navigator.storage.getDirectory();
      for await (const k of (root as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(k);
      return names;
    });
    expect(opfs.filter((n) => n.includes('tiny-sd'))).toEqual([]);
  });

  test('a local folder pack: added, listed with its size, chosen, generated with, kept through a reload, deleted', async ({ page }) => {
    test.setTimeout(480_000); // two pack checks/loads and a generation on a loaded 2-core machine
    const dir = path.join(PACKS_DIR, 'tiny-sd');
    const size = `${(packBytes(dir) / 1e6).toFixed(2)} MB`;
    await openApp(page, 'tiny-builtin');
    const dialog = await addFolder(page, dir);
    await expect(dialog.getByTestId('add-model-notice')).toHaveText(`Added "tiny sd" (${size}). Choose it in the list to generate with it.`);
    await dialog.getByRole('button', { name: 'Close' }).click();

    const row = page.getByTestId('kept-model').filter({ hasText: 'tiny sd' });
    await expect(row).toHaveCount(1);
    await expect(row.getByTestId('kept-model-size')).toHaveText(size);
    await expect(page.getByTestId('model-storage')).toContainText(/browser storage [\d.]+ [MG]B used of [\d.]+ [MG]B/);

    // Switch to it: it loads from the browser's storage and Generate uses it.
    await page.getByRole('radio', { name: 'tiny sd' }).check();
    await expect(page.getByRole('region', { name: 'Model' }).locator('strong').first()).toHaveText('tiny sd', { timeout: 120_000 });
    await expect(page.getByTestId('model-status')).toHaveText(/ready/, { timeout: 120_000 });
    expect(new URL(page.url()).searchParams.has('model')).toBe(false);
    await openSample(page);
    await paintDefect(page);
    await setField(page, 'Steps', '2');
    await page.getByRole('button', { name: 'Generate' }).click();
    await expect(page.getByRole('button', { name: 'Export', exact: true })).toBeVisible({ timeout: 180_000 });
    const downloads: import('@playwright/test').Download[] = [];
    page.on('download', (d) => downloads.push(d));
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    await expect.poll(() => downloads.length, { timeout: 20_000 }).toBe(4);
    const record = downloads.find((d) => d.suggestedFilename().endsWith('_record.json'))!;
    const rec = JSON.parse((await readDownload(record)).toString('utf8'));
    expect(rec.model.id).toBe('tiny-sd');
    expect(rec.settings.steps).toBe(2);

    // A reload keeps the choice (and the pack).
    await page.reload();
    await expect(page.getByTestId('model-status')).toHaveText(/ready/, { timeout: 120_000 });
    await expect(page.getByRole('region', { name: 'Model' }).locator('strong').first()).toHaveText('tiny sd');
    await expect(page.getByRole('radio', { name: 'tiny sd' })).toBeChecked();
    await expect(page.getByTestId('kept-model').filter({ hasText: 'tiny sd' }).getByTestId('kept-model-size')).toHaveText(size);

    // Delete it: gone from the list and the storage; the built-in model is the choice again.
    await page.getByRole('button', { name: 'Delete tiny sd' }).click();
    await expect(page.getByTestId('kept-model').filter({ hasText: 'tiny sd' })).toHaveCount(0);
    await expect(page.getByRole('radio', { name: 'Built-in model' })).toBeChecked();
    expect(await page.evaluate(() => localStorage.getItem('defect-studio.model'))).toBeNull();
    expect(await page.evaluate(() => window.__defectStudio!.models.state().packs.map((p) => p.id))).not.toContain('tiny-sd');
  });
});
