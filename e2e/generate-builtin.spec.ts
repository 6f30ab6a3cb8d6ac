// The built-in pack (public/models/<id>/, served by the app itself), loaded by default with no ?model.
import { expect, test } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { documentPixels, openSample, paintDefect } from './generate-helpers';

const appController = fs.readFileSync(path.resolve('src/ui/generate/appController.ts'), 'utf8');
const BUILTIN = /\?\? '([^']+)'/.exec(appController)![1];
const manifest = path.resolve('dist/models', BUILTIN, 'defect-studio.json');

test('the built-in pack loads by default and generates', async ({ page }) => {
  test.skip(!fs.existsSync(manifest), `no built-in pack in this build (dist/models/${BUILTIN})`);
  test.setTimeout(300_000);
  await page.goto('/');
  await expect(page.getByTestId('model-status')).toHaveText(/ready/, { timeout: 180_000 });
  await openSample(page);
  await paintDefect(page);
  await page.getByLabel('Steps', { exact: true }).fill('3');
  await page.getByRole('button', { name: 'Generate' }).click();
  const progress = page.getByRole('progressbar', { name: 'Generation progress' });
  await expect(progress).toHaveAttribute('aria-valuenow', '3', { timeout: 180_000 });
  await expect(page.getByRole('button', { name: 'Export', exact: true })).toBeVisible({ timeout: 180_000 });
  expect(await page.evaluate(() => window.__defectStudio!.generation.overlay.frames)).toBe(3);
  const doc = await documentPixels(page);
  const res = await page.evaluate(() => {
    const r = [...window.__defectStudio!.generation.results.values()][0];
    return { data: Array.from(r.image.data), mask: Array.from(r.mask) };
  });
  let outsideDiff = 0, maskWrong = 0, insideChanged = 0;
  for (let i = 0; i < doc.width * doc.height; i++) {
    const d = doc.trimap[i] === 2;
    if (res.mask[i] !== (d ? 255 : 0)) maskWrong++;
    for (let k = 0; k < 4; k++) {
      const same = res.data[i * 4 + k] === doc.image[i * 4 + k];
      if (!d && !same) outsideDiff++;
      if (d && !same) insideChanged++;
    }
  }
  expect(outsideDiff).toBe(0);
  expect(maskWrong).toBe(0);
  expect(insideChanged).toBeGreaterThan(0);
});

test('prompt words the built-in tokenizer does not know are marked, with the presets one click away', async ({ page }) => {
  test.skip(!fs.existsSync(manifest), `no built-in pack in this build (dist/models/${BUILTIN})`);
  test.setTimeout(300_000);
  const vocab = JSON.parse(fs.readFileSync(path.resolve('dist/models', BUILTIN, 'tokenizer', 'tokenizer.json'), 'utf8')).vocab;
  // Words this pack does not know, taken from its own vocabulary (a new built-in model learns new words:
  // v3's vocabulary knows "rust" and "bracket"); a known word between them, written as the user might.
  const [w1, w2] = ['zebra', 'galaxy', 'violin', 'tulip', 'comet', 'banjo', 'walrus', 'meadow'].filter((w) => vocab[w] === undefined);
  expect(w2, 'two words the built-in vocabulary does not contain').toBeDefined();
  expect(vocab.scratch).toBeDefined();
  await page.goto('/');
  await expect(page.getByTestId('model-status')).toHaveText(/ready/, { timeout: 180_000 });
  const marker = page.getByTestId('unknown-words');
  await expect(marker).toHaveCount(0); // the pack's first preset is understood
  const cap = (w: string) => w[0].toUpperCase() + w.slice(1);
  await page.getByLabel('Prompt', { exact: true }).fill(`A ${w1}-scratch on ${cap(w2)}, ${w1}!`);
  const unknown = [w1, 'on', w2].filter((w) => vocab[w] === undefined); // each once, in order
  await expect(marker).toHaveText(`not understood: ${unknown.join(', ')}presets`);
  await marker.getByRole('button', { name: 'presets' }).click();
  const presetSelect = page.getByLabel('Preset', { exact: true });
  await expect(presetSelect).toBeFocused();
  await presetSelect.selectOption('a scratch');
  await expect(page.getByLabel('Prompt', { exact: true })).toHaveValue('a scratch');
  await expect(marker).toHaveCount(0);
});
