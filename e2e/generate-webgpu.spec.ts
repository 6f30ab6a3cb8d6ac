// The WebGPU path end to end: headless Chromium's WebGPU is SwiftShader (a CPU emulation), so this runs
// the tiniest pack with two steps, to prove the backend works, not to time it.
import { expect, test } from '@playwright/test';
import { documentPixels, openApp, openSample, paintDefect, serveTestPacks, setField } from './generate-helpers';

test.describe.configure({ timeout: 540_000 });

test('WebGPU backend: load, generate, exact paste', async ({ page }) => {
  test.setTimeout(540_000);
  await serveTestPacks(page);
  await page.addInitScript(() => localStorage.setItem('defect-studio.backend', 'webgpu'));
  await openApp(page, 'tiny-builtin'); // SwiftShader compiles every shader on the CPU: slow, once
  await expect(page.getByTestId('backend-in-use')).toContainText('WebGPU');
  console.log(`WebGPU pack load: ${await page.getByTestId('model-status').getAttribute('data-load-ms')} ms`);
  await openSample(page);
  await paintDefect(page);
  await setField(page, 'Steps', '2');
  await setField(page, 'Guidance', '1'); // no classifier-free guidance: one UNet run per step
  await page.getByLabel('Decoder adaptation').uncheck();
  await page.getByRole('button', { name: 'Generate' }).click();
  const progress = page.getByRole('progressbar', { name: 'Generation progress' });
  await expect(progress).toHaveAttribute('aria-valuenow', '2', { timeout: 180_000 });
  await expect(page.getByRole('button', { name: 'Export', exact: true })).toBeVisible({ timeout: 180_000 });
  expect(await page.evaluate(() => window.__defectStudio!.generation.overlay.frames)).toBe(2);
  const t = await page.evaluate(() => window.__defectStudio!.generation.timings);
  console.log(`WebGPU run: first preview ${Math.round(t.firstPreviewAt - t.clickAt)} ms, total ${Math.round(t.doneAt - t.clickAt)} ms`);
  const doc = await documentPixels(page);
  const res = await page.evaluate(() => {
    const r = [...window.__defectStudio!.generation.results.values()][0];
    return { data: Array.from(r.image.data), mask: Array.from(r.mask) };
  });
  let outsideDiff = 0, maskWrong = 0, nonFinite = 0;
  for (let i = 0; i < doc.width * doc.height; i++) {
    const isDefect = doc.trimap[i] === 2;
    if (res.mask[i] !== (isDefect ? 255 : 0)) maskWrong++;
    if (!isDefect) for (let k = 0; k < 4; k++) if (res.data[i * 4 + k] !== doc.image[i * 4 + k]) outsideDiff++;
    if (!Number.isFinite(res.data[i * 4])) nonFinite++;
  }
  expect(outsideDiff).toBe(0);
  expect(maskWrong).toBe(0);
  expect(nonFinite).toBe(0);
  await expect(page.getByText(/webgpu/).first()).toBeVisible();

  // A lost GPU device falls back to WASM, says so, and the next run works.
  await page.evaluate(() => window.__defectStudio!.generation.simulateDeviceLost());
  await expect(page.getByTestId('backend-in-use')).toContainText('WASM', { timeout: 60_000 });
  await expect(page.getByTestId('generation-notice')).toContainText('GPU device was lost');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('listitem')).toHaveCount(2, { timeout: 120_000 });
  await expect(page.getByText(/· wasm ·/)).toBeVisible();
});
