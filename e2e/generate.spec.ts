// Generation in the browser, end to end in Chromium with a real pack and real ONNX Runtime sessions (WASM).
import { expect, test } from '@playwright/test';
import { unzipSync } from 'fflate';
import { decodePng, defectCount, documentPixels, openApp, openSample, paintDefect, readDownload, serveTestPacks, setField } from './generate-helpers';

test.describe('generation (WASM)', () => {
  test.beforeEach(async ({ page }) => {
    await serveTestPacks(page);
    await page.addInitScript(() => localStorage.setItem('defect-studio.backend', 'auto'));
  });

  test('generate with step previews, then export image, mask, trimap and record', async ({ page }) => {
    await openApp(page);
    await expect(page.getByTestId('backend-in-use')).toContainText('WASM');
    await openSample(page);
    await paintDefect(page);
    await setField(page, 'Steps', '4');
    await page.getByRole('textbox', { name: 'Prompt' }).fill('a metal surface with a scratch');
    const framesBefore = await page.evaluate(() => window.__defectStudio!.generation.overlay.frames);

    await page.getByRole('button', { name: 'Generate' }).click();
    const progress = page.getByRole('progressbar', { name: 'Generation progress' });
    await expect(progress).toHaveAttribute('aria-valuemax', '4');
    await expect(progress).toHaveAttribute('aria-valuenow', '4', { timeout: 60_000 });
    await expect(page.getByTestId('generation-status')).toContainText('step 4/4');
    await expect(page.getByRole('button', { name: 'Export', exact: true })).toBeVisible({ timeout: 60_000 });
    await expect(page.getByRole('button', { name: 'Generate' })).toBeEnabled();
    // One preview frame per step.
    const frames = await page.evaluate(() => window.__defectStudio!.generation.overlay.frames);
    expect(frames - framesBefore).toBe(4);

    // The result shows above the photo; hold Tab for the original; the Compare slider wipes.
    const overlayEl = page.getByTestId('generation-overlay');
    await expect(overlayEl).toBeVisible();
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.down('Tab');
    await expect(overlayEl).toBeHidden();
    await page.keyboard.up('Tab');
    await expect(overlayEl).toBeVisible();
    await page.getByLabel('Compare').fill('25');
    await expect(overlayEl).toHaveCSS('clip-path', /inset\(0px 75% 0px 0px\)|inset\(0px 75%/);

    const doc = await documentPixels(page);
    const downloads: import('@playwright/test').Download[] = [];
    page.on('download', (d) => downloads.push(d));
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    await expect.poll(() => downloads.length, { timeout: 20_000 }).toBe(4);
    const byName = new Map<string, Buffer>();
    for (const d of downloads) byName.set(d.suggestedFilename(), await readDownload(d));
    expect([...byName.keys()].sort()).toEqual(['Brushed_metal_defect.png', 'Brushed_metal_mask.png', 'Brushed_metal_record.json', 'Brushed_metal_trimap.png']);

    const out = decodePng(byName.get('Brushed_metal_defect.png')!);
    const mask = decodePng(byName.get('Brushed_metal_mask.png')!);
    const tri = decodePng(byName.get('Brushed_metal_trimap.png')!);
    expect([out.width, out.height, out.channels]).toEqual([doc.width, doc.height, 4]);
    expect([mask.channels, tri.channels]).toEqual([1, 1]);
    let outsideDiff = 0, insideChanged = 0, maskWrong = 0, triWrong = 0;
    for (let i = 0; i < doc.width * doc.height; i++) {
      const isDefect = doc.trimap[i] === 2;
      if (mask.data[i] !== (isDefect ? 255 : 0)) maskWrong++;
      if (tri.data[i] !== [0, 127, 255][doc.trimap[i]]) triWrong++;
      let same = true;
      for (let k = 0; k < 4; k++) if (out.data[i * 4 + k] !== doc.image[i * 4 + k]) same = false;
      if (!isDefect && !same) outsideDiff++;
      if (isDefect && !same) insideChanged++;
    }
    expect(outsideDiff).toBe(0); // outside the defect: the input, bit for bit
    expect(maskWrong).toBe(0); // the mask is exactly the painted defect
    expect(triWrong).toBe(0);
    expect(insideChanged).toBeGreaterThan(0); // and the model did paint inside it

    const rec = JSON.parse(byName.get('Brushed_metal_record.json')!.toString('utf8'));
    expect(rec.prompt).toBe('a metal surface with a scratch');
    expect(rec.settings.steps).toBe(4);
    expect(rec.model.id).toBe('tiny-builtin');
    expect(rec.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(rec.app.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(typeof rec.seed).toBe('number');
  });

  test('the second visit loads the pack from the cache', async ({ page }) => {
    const served = await serveTestPacks(page);
    await openApp(page);
    const first = served.requests.length;
    expect(first).toBeGreaterThan(5); // the manifest and every file
    await page.reload();
    await expect(page.getByTestId('model-status')).toHaveText(/ready \(from cache\)/, { timeout: 90_000 });
    expect(served.requests.slice(first)).toEqual(['tiny-builtin/defect-studio.json']); // only the manifest is asked again
  });

  test('Stop cancels within a step and keeps nothing partial', async ({ page }) => {
    await openApp(page);
    await openSample(page);
    await paintDefect(page);
    await setField(page, 'Steps', '1000');
    await page.getByRole('button', { name: 'Generate' }).click();
    const progress = page.getByRole('progressbar', { name: 'Generation progress' });
    // Press Stop from inside the page as soon as two steps are done (the tiny model is fast).
    const clickedAt = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const bar = document.querySelector('[role="progressbar"][aria-label="Generation progress"]')!;
          const check = () => {
            if (Number(bar.getAttribute('aria-valuenow')) >= 2) {
              obs.disconnect();
              const stopButton = [...document.querySelectorAll('button')].find((b) => b.textContent === 'Stop')!;
              stopButton.click();
              resolve(Number(bar.getAttribute('aria-valuenow')));
            }
          };
          const obs = new MutationObserver(check);
          obs.observe(bar, { attributes: true });
          check();
        }),
    );
    await expect(page.getByRole('button', { name: 'Generate' })).toBeEnabled();
    await expect(page.getByTestId('generation-notice')).toContainText('Stopped');
    const stoppedAt = Number(await progress.getAttribute('aria-valuenow'));
    expect(stoppedAt).toBeLessThan(1000);
    expect(stoppedAt).toBeGreaterThanOrEqual(clickedAt);
    // The worker finished at most the step under way when the cancel arrived.
    const cancel = await page.evaluate(() => window.__defectStudio!.generation.lastCancel);
    expect(cancel.stepsAtCancel).toBeGreaterThanOrEqual(2);
    expect(cancel.stepsDone - cancel.stepsAtCancel).toBeLessThanOrEqual(1);
    await expect(page.getByRole('button', { name: 'Export', exact: true })).toHaveCount(0);
    expect(await page.evaluate(() => window.__defectStudio!.generation.results.size)).toBe(0);
    expect(await page.evaluate(() => window.__defectStudio!.generation.overlay.content)).toBeNull();
  });

  test('variants, accept, and a dataset in the MVTec AD layout', async ({ page }) => {
    await openApp(page);
    await openSample(page);
    const painted = await paintDefect(page);
    await setField(page, 'Steps', '2');
    await setField(page, 'Variants', '2');
    await setField(page, 'Decode preview every', '1'); // a full VAE decode after step 1 of 2
    await page.getByRole('textbox', { name: 'Prompt' }).fill('a metal surface with a scratch');
    await page.keyboard.press('Control+Enter');
    await expect(page.getByRole('listitem')).toHaveCount(2, { timeout: 60_000 });
    const g = await page.evaluate(() => ({ frames: window.__defectStudio!.generation.overlay.frames, decoded: window.__defectStudio!.generation.overlay.decodedFrames }));
    expect(g).toEqual({ frames: 4, decoded: 2 });
    for (const item of await page.getByRole('listitem').all()) {
      await item.click();
      await page.getByRole('button', { name: 'Accept' }).click();
    }
    await expect(page.getByText('2 accepted')).toBeVisible();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export dataset' }).click()]);
    const zip = unzipSync(new Uint8Array(await readDownload(download)));
    expect(Object.keys(zip).sort()).toEqual([
      'brushed_metal/ground_truth/scratch/000_mask.png',
      'brushed_metal/ground_truth/scratch/001_mask.png',
      'brushed_metal/records/scratch/000.json',
      'brushed_metal/records/scratch/001.json',
      'brushed_metal/test/scratch/000.png',
      'brushed_metal/test/scratch/001.png',
      'brushed_metal/train/good/000.png',
    ]);
    const m = decodePng(zip['brushed_metal/ground_truth/scratch/001_mask.png']);
    let on = 0;
    for (const v of m.data) if (v === 255) on++;
    expect(on).toBe(painted);
    const good = decodePng(zip['brushed_metal/train/good/000.png']);
    const doc = await documentPixels(page);
    expect(Buffer.from(good.data).equals(Buffer.from(doc.image))).toBe(true);
    const seeds = [0, 1].map((i) => JSON.parse(Buffer.from(zip[`brushed_metal/records/scratch/00${i}.json`]).toString()).seed);
    expect(seeds[1]).toBe((seeds[0] + 1) >>> 0);
  });

  test('a crashed worker is restarted and the painting is untouched', async ({ page }) => {
    await openApp(page);
    await openSample(page);
    const painted = await paintDefect(page);
    await page.evaluate(() => window.__defectStudio!.generation.crashWorker());
    await expect(page.getByTestId('generation-notice')).toContainText('restarted');
    expect(await defectCount(page)).toBe(painted);
    await setField(page, 'Steps', '2');
    await page.getByRole('button', { name: 'Generate' }).click();
    await expect(page.getByRole('button', { name: 'Export', exact: true })).toBeVisible({ timeout: 90_000 });
  });

  test('a worker crash while the model loads: the new load wins, no stale error', async ({ page }) => {
    // Hold the UNet download until the worker that asked for it has been crashed.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let held = 0;
    await page.route(
      (u) => u.pathname.endsWith('/test-packs/tiny-builtin/unet/model.onnx'),
      async (route) => {
        held++;
        await gate;
        await route.fallback().catch(() => undefined); // the crashed worker's request may be gone
      },
    );
    await page.goto('/?model=/test-packs/tiny-builtin/');
    await expect.poll(() => held, { message: 'the load asks for the UNet' }).toBeGreaterThanOrEqual(1);
    await expect(page.getByTestId('model-status')).toHaveText('loading…');
    await page.evaluate(() => window.__defectStudio!.generation.crashWorker());
    await expect(page.getByTestId('generation-notice')).toContainText('restarted');
    release();
    await expect(page.getByTestId('model-status')).toHaveText(/^ready/, { timeout: 90_000 });
    // The crashed worker's load neither failed the model nor left an error behind.
    await expect(page.getByTestId('generation-error')).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Retry loading' })).toHaveCount(0);
    await openSample(page);
    await paintDefect(page);
    await setField(page, 'Steps', '2');
    await page.getByRole('button', { name: 'Generate' }).click();
    await expect(page.getByRole('button', { name: 'Export', exact: true })).toBeVisible({ timeout: 90_000 });
  });

  test('clear messages: model load failure and bad settings', async ({ page }) => {
    await page.goto('/?model=/test-packs/does-not-exist/');
    await expect(page.getByTestId('generation-error')).toContainText('The model could not be loaded', { timeout: 30_000 });
    await serveTestPacks(page);
    await openApp(page);
    await openSample(page);
    await paintDefect(page);
    await setField(page, 'Steps', '0');
    await page.getByRole('button', { name: 'Generate' }).click();
    await expect(page.getByTestId('generation-error')).toContainText('Steps must be');
  });
});
