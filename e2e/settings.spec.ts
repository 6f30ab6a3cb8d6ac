// Settings in the browser (issue 16) and the same result in the browser and the CLI (issue 11), in Chromium
// with real ONNX Runtime sessions on the tiny test packs.
import { expect, test, type Page } from '@playwright/test';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { decodePng, openSample, paintDefect, PACKS_DIR, readDownload, serveTestPacks, setField } from './generate-helpers';
import { settingsToArgs } from '../src/core/settings';

/** Record the settings of every generate message the page sends to its worker (the real request). */
async function recordGenerateMessages(page: Page) {
  await page.addInitScript(() => {
    const sent: unknown[] = [];
    (window as unknown as { __sentSettings: unknown[] }).__sentSettings = sent;
    const post = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function (this: Worker, msg: unknown, ...rest: unknown[]) {
      const m = msg as { type?: string; settings?: unknown };
      if (m?.type === 'generate') sent.push(JSON.parse(JSON.stringify(m.settings)));
      return (post as (...a: unknown[]) => void).call(this, msg, ...rest);
    } as typeof Worker.prototype.postMessage;
  });
}
const sentSettings = (page: Page) => page.evaluate(() => (window as unknown as { __sentSettings: Record<string, unknown>[] }).__sentSettings);

/**
 * tiny-builtin with the built-in model's defaults (Steps 25, Guidance 7) and Euler as its scheduler; its
 * model files are held back until `release()` so the page stays "loading" while the user types.
 */
async function serveSlowPack(page: Page) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const manifest = JSON.parse(fs.readFileSync(path.join(PACKS_DIR, 'tiny-builtin', 'defect-studio.json'), 'utf8'));
  manifest.id = 'tiny-builtin-slow';
  manifest.defaults = { ...manifest.defaults, steps: 25, guidance: 7, scheduler: 'euler' };
  await page.route(
    (u) => u.pathname.startsWith('/test-packs/slow/'),
    async (route) => {
      const rel = new URL(route.request().url()).pathname.replace(/^.*\/test-packs\/slow\//, '');
      if (rel === 'defect-studio.json') {
        await route.fulfill({ status: 200, body: JSON.stringify(manifest), headers: { 'content-type': 'application/json' } });
        return;
      }
      await gate;
      const file = path.join(PACKS_DIR, 'tiny-builtin', decodeURIComponent(rel));
      if (!file.startsWith(path.join(PACKS_DIR, 'tiny-builtin')) || !fs.existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
      await route.fulfill({ status: 200, body: fs.readFileSync(file), headers: { 'content-type': 'application/octet-stream' } });
    },
  );
  return { release };
}

const field = (page: Page, label: string) => page.getByLabel(label, { exact: true });
const status = (page: Page) => page.getByTestId('model-status');

test.describe('settings', () => {
  test('values typed while the model loads are kept through loading, a model switch and a reload', async ({ page }) => {
    test.setTimeout(300_000); // three model loads and one generation on a loaded 2-core machine
    await recordGenerateMessages(page);
    await serveTestPacks(page);
    const slow = await serveSlowPack(page);
    await page.goto('/?model=/test-packs/slow/');
    await expect(status(page)).toHaveText(/loading/);
    await setField(page, 'Steps', '10');
    await setField(page, 'Guidance', '3');
    await expect(status(page)).toHaveText(/loading/); // typed before the model was ready
    slow.release();
    await expect(status(page)).toHaveText(/ready/, { timeout: 90_000 });

    // The user's values stay; the fields the user did not touch take the pack's defaults.
    await expect(field(page, 'Steps')).toHaveValue('10');
    await expect(field(page, 'Guidance')).toHaveValue('3');
    await expect(field(page, 'Scheduler')).toHaveValue('euler'); // the pack's default scheduler
    await expect(field(page, 'Context margin (px)')).toHaveValue('8'); // resolution 32 / 4
    await expect(page.getByTestId('settings-differing')).toHaveText(
      "Differs from the model's defaults: Steps 10 (model 25), Guidance 3 (model 7)",
    );

    // The next Generate sends exactly that.
    await openSample(page);
    await paintDefect(page);
    await page.getByRole('textbox', { name: 'Prompt' }).fill('a metal surface with a scratch');
    await page.getByRole('button', { name: 'Generate' }).click();
    await expect(page.getByRole('button', { name: 'Export', exact: true })).toBeVisible({ timeout: 90_000 });
    const [sent] = await sentSettings(page);
    expect(sent).toMatchObject({ steps: 10, guidance: 3, scheduler: 'euler', contextMargin: 8, eta: 0, stages: { latentEditStart: 0.52, pixelEditStart: 0.9 } });

    // A model switch: the user's values stay, the rest follows the new pack (tiny-sd: DDIM, 64 px).
    await page.goto('/?model=/test-packs/tiny-sd/');
    await expect(status(page)).toHaveText(/ready/, { timeout: 90_000 });
    await expect(field(page, 'Steps')).toHaveValue('10');
    await expect(field(page, 'Guidance')).toHaveValue('3');
    await expect(field(page, 'Scheduler')).toHaveValue('ddim');
    await expect(field(page, 'Context margin (px)')).toHaveValue('16');

    // A reload of the first pack: still the user's values.
    await page.goto('/?model=/test-packs/slow/');
    await expect(status(page)).toHaveText(/ready/, { timeout: 90_000 });
    await expect(field(page, 'Steps')).toHaveValue('10');
    await expect(field(page, 'Guidance')).toHaveValue('3');
    await expect(field(page, 'Scheduler')).toHaveValue('euler');

    // One explicit command brings the model's defaults back (and that, too, survives a reload).
    await page.getByRole('button', { name: "Reset to the model's defaults" }).click();
    await expect(field(page, 'Steps')).toHaveValue('25');
    await expect(field(page, 'Guidance')).toHaveValue('7');
    await expect(page.getByTestId('settings-differing')).toHaveText("All settings are the model's defaults.");
    await page.reload();
    await expect(status(page)).toHaveText(/ready/, { timeout: 90_000 });
    await expect(field(page, 'Steps')).toHaveValue('25');
    await expect(field(page, 'Guidance')).toHaveValue('7');
  });

  // Without and with context normalisation (manifest contextNorm: the built-in model has it from v2 on), and with
  // a prompt preset that has its own settings, chosen from the preset list in the app and given as --prompt to the CLI.
  for (const variant of ['plain', 'contextNorm', 'preset'] as const) test(`same result everywhere: the browser on WASM and the CLI with --backend wasm give identical bytes${variant === 'plain' ? '' : ` (${variant})`}`, async ({ page }) => {
    const contextNorm = variant === 'contextNorm';
    test.setTimeout(300_000); // a model load, a generation and a CLI run (tsx start, WASM session)
    // One pack folder for both: tiny-builtin whose defaults name DPM-Solver++ (the app used to ignore a
    // pack's scheduler) at resolution 32 (the app used a 32 px context margin, the CLI resolution / 4).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ds-same-'));
    const pack = path.join(dir, 'pack');
    fs.cpSync(path.join(PACKS_DIR, 'tiny-builtin'), pack, { recursive: true });
    const manifest = JSON.parse(fs.readFileSync(path.join(pack, 'defect-studio.json'), 'utf8'));
    // seamPx: the seam blend (src/core/diffusion/seam.ts) runs in both, from the pack's defaults as for the built-in pack;
    // seamSpareStrokes (its band capped by the stroke's local half-width) in the contextNorm and preset variants
    const seamSpareStrokes = variant !== 'plain';
    manifest.defaults = { ...manifest.defaults, scheduler: 'dpmpp-2m', seamPx: 2, seamSpareStrokes };
    if (contextNorm) manifest.contextNorm = true;
    // the preset's own negative prompt too (the built-in "a crack" has one): the CLI applies it from the pack as the app does
    const presetSettings = { guidance: 4, latentEditStart: 0.4, negativePrompt: 'a dent' };
    if (variant === 'preset') manifest.promptPresets = ['a hazelnut with a hole', { prompt: 'a metal surface with a scratch', ...presetSettings }];
    fs.writeFileSync(path.join(pack, 'defect-studio.json'), JSON.stringify(manifest));
    await page.route(
      (u) => u.pathname.startsWith('/test-packs/same/'),
      async (route) => {
        const rel = decodeURIComponent(new URL(route.request().url()).pathname.replace(/^.*\/test-packs\/same\//, ''));
        const file = path.join(pack, rel);
        if (!file.startsWith(pack) || !fs.existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
        await route.fulfill({ status: 200, body: fs.readFileSync(file), headers: { 'content-type': 'application/octet-stream' } });
      },
    );
    await page.addInitScript(() => localStorage.setItem('defect-studio.backend', 'wasm'));
    try {
      await page.goto('/?model=/test-packs/same/');
      await expect(status(page)).toHaveText(/ready/, { timeout: 90_000 });
      await expect(page.getByTestId('backend-in-use')).toContainText('WASM');
      await openSample(page);
      await paintDefect(page);
      // What the user sets; everything else is the pack's defaults, in the app and in the CLI.
      // preset: the user picks the preset (its guidance and latent start are not the user's), sets seed and steps
      const user: Record<string, string | number> =
        variant === 'preset' ? { prompt: 'a metal surface with a scratch', seed: 7, steps: 6 } : { prompt: 'a metal surface with a scratch', seed: 7, steps: 6, guidance: 4 };
      if (variant === 'preset') {
        await expect(field(page, 'Guidance')).toHaveValue('7.5'); // the pack's default for its first preset
        await page.getByLabel('Preset', { exact: true }).selectOption(String(user.prompt));
        await expect(page.getByRole('textbox', { name: 'Prompt' })).toHaveValue(String(user.prompt));
        await expect(field(page, 'Guidance')).toHaveValue('4');
        await expect(field(page, 'Latent blending from')).toHaveValue('0.4');
        await expect(page.getByLabel('Negative', { exact: true })).toHaveValue('a dent');
        await expect(page.getByTestId('preset-settings')).toHaveText('Preset settings: Guidance 4, Latent blending from 0.4, Negative prompt "a dent"');
        await expect(page.getByTestId('settings-differing')).toHaveText("All settings are the model's defaults.");
      } else {
        await page.getByRole('textbox', { name: 'Prompt' }).fill(String(user.prompt));
      }
      await setField(page, 'Seed', String(user.seed));
      await setField(page, 'Steps', String(user.steps));
      if (user.guidance !== undefined) await setField(page, 'Guidance', String(user.guidance));
      await page.getByRole('button', { name: 'Generate' }).click();
      await expect(page.getByRole('button', { name: 'Export', exact: true })).toBeVisible({ timeout: 90_000 });

      // Export: the result, its mask, the trimap and the record; the dataset export gives the photo itself.
      const downloads: import('@playwright/test').Download[] = [];
      page.on('download', (d) => downloads.push(d));
      await page.getByRole('button', { name: 'Export', exact: true }).click();
      await expect.poll(() => downloads.length, { timeout: 20_000 }).toBe(4);
      await page.getByRole('button', { name: 'Accept' }).click();
      await page.getByRole('button', { name: 'Export dataset' }).click();
      await expect.poll(() => downloads.length, { timeout: 20_000 }).toBe(5);
      const files = new Map<string, Buffer>();
      for (const d of downloads) files.set(d.suggestedFilename(), await readDownload(d));
      const zipName = [...files.keys()].find((n) => n.endsWith('.zip'))!;
      const zip = unzipSync(new Uint8Array(files.get(zipName)!));
      const record = JSON.parse(files.get('Brushed_metal_record.json')!.toString('utf8'));
      expect(record.backend).toBe('wasm');
      expect(record.settings).toMatchObject({ steps: 6, guidance: 4, scheduler: 'dpmpp-2m', contextMargin: 8, seamPx: 2, seamSpareStrokes });
      expect(record.settings.latentEditStart).toBe(variant === 'preset' ? 0.4 : 0.52);
      expect(record.negativePrompt).toBe(variant === 'preset' ? 'a dent' : '');

      fs.writeFileSync(path.join(dir, 'photo.png'), zip['brushed_metal/train/good/000.png']);
      fs.writeFileSync(path.join(dir, 'trimap.png'), files.get('Brushed_metal_trimap.png')!);
      const args = [
        'bin/defect-studio.mjs', 'generate', '--backend', 'wasm', '--model', pack,
        '--image', path.join(dir, 'photo.png'), '--trimap', path.join(dir, 'trimap.png'), '--out', path.join(dir, 'out'),
        ...settingsToArgs(user),
      ];
      const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
        execFile(process.execPath, args, { timeout: 240_000 }, (err, _out, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stderr })),
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      // The same settings (one record type) and the same crop...
      const meta = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'meta.json'), 'utf8'));
      expect(meta.settings).toEqual(record.settings);
      expect(meta.crop).toEqual(record.crop);
      expect([meta.prompt, meta.negativePrompt, meta.seed, meta.backend]).toEqual([record.prompt, record.negativePrompt, record.seed, 'wasm']);

      // ...and the same bytes.
      const app = decodePng(files.get('Brushed_metal_defect.png')!);
      const cli = decodePng(fs.readFileSync(path.join(dir, 'out', 'image.png')));
      expect([cli.width, cli.height, cli.channels, cli.depth]).toEqual([app.width, app.height, app.channels, app.depth]);
      let differing = 0;
      for (let i = 0; i < app.data.length; i++) if (app.data[i] !== cli.data[i]) differing++;
      expect(differing).toBe(0);
      // The model did paint (not just the photo twice).
      const photo = decodePng(zip['brushed_metal/train/good/000.png']);
      let changed = 0;
      for (let i = 0; i < app.data.length; i++) if (app.data[i] !== photo.data[i]) changed++;
      expect(changed).toBeGreaterThan(0);
      const appMask = decodePng(files.get('Brushed_metal_mask.png')!);
      const cliMask = decodePng(fs.readFileSync(path.join(dir, 'out', 'mask.png')));
      expect(Buffer.from(cliMask.data).equals(Buffer.from(appMask.data))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
