// Security headers of the served app (vite preview: the production build) and the cross-origin model prompt.
import { expect, test, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { PACKS_DIR, openApp, openSample, paintDefect, serveTestPacks, setField } from './generate-helpers';

const OTHER = 'https://models.example.test';

/** Serve tiny-builtin at https://models.example.test/pack/ (a different origin), with CORS. */
async function serveOtherOrigin(page: Page): Promise<string[]> {
  const hits: string[] = [];
  await page.context().route(`${OTHER}/**`, async (route) => {
    const rel = decodeURIComponent(new URL(route.request().url()).pathname.replace(/^\/pack\//, ''));
    hits.push(rel);
    const file = path.join(PACKS_DIR, 'tiny-builtin', rel);
    if (!file.startsWith(PACKS_DIR) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      await route.fulfill({ status: 404, body: 'not found', headers: { 'access-control-allow-origin': '*' } });
      return;
    }
    await route.fulfill({
      status: 200,
      body: fs.readFileSync(file),
      headers: { 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin', 'content-type': 'application/octet-stream' },
    });
  });
  return hits;
}

/** Collect CSP violations reported on the page, and console lines that mention the policy. */
async function watchCsp(page: Page): Promise<() => Promise<string[]>> {
  const consoleLines: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) consoleLines.push(m.text());
  });
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return async () => [...consoleLines, ...(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp))];
}

test.describe('security', () => {
  test('CSP (no unsafe-eval), nosniff and cross-origin isolation on the page, scripts and the worker; a generation runs under them', async ({ page }) => {
    await serveTestPacks(page);
    const violations = await watchCsp(page);
    const responses: { url: string; headers: Record<string, string> }[] = [];
    page.on('response', (r) => {
      if (r.url().startsWith('http://127.0.0.1:4173/')) responses.push({ url: r.url(), headers: r.headers() });
    });
    const doc = await page.goto('/?model=/test-packs/tiny-builtin/');
    const h = doc!.headers();
    const csp = h['content-security-policy'];
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp).not.toMatch(/'unsafe-eval'|'unsafe-inline'/);
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(h['x-content-type-options']).toBe('nosniff');
    expect(h['cross-origin-opener-policy']).toBe('same-origin');
    expect(h['cross-origin-embedder-policy']).toBe('require-corp');
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);

    await expect(page.getByTestId('model-status')).toHaveText(/ready/, { timeout: 90_000 });
    await openSample(page);
    await paintDefect(page);
    await setField(page, 'Steps', '2');
    await page.getByRole('button', { name: 'Generate' }).click();
    await expect(page.getByRole('button', { name: 'Export', exact: true })).toBeVisible({ timeout: 60_000 });

    // Every script, the wasm and the worker came with nosniff.
    const scripts = responses.filter((r) => /\.(m?js|wasm)(\?|$)/.test(r.url));
    expect(scripts.length).toBeGreaterThan(2);
    expect(scripts.some((r) => /worker/i.test(r.url))).toBe(true);
    for (const r of scripts) expect(r.headers['x-content-type-options'], r.url).toBe('nosniff');
    expect(await violations()).toEqual([]);
  });

  test('a model from another origin is loaded only after the user agrees', async ({ page }) => {
    await serveTestPacks(page);
    const hits = await serveOtherOrigin(page);
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(`${d.type()}: ${d.message()}`);
      void d.dismiss();
    });
    await page.goto(`/?model=${encodeURIComponent(`${OTHER}/pack/`)}`);
    await expect(page.getByTestId('generation-notice')).toContainText(`The model from ${OTHER} was not loaded`);
    expect(dialogs).toHaveLength(1);
    expect(dialogs[0]).toMatch(/^confirm: Load a model from another site\?/);
    expect(dialogs[0]).toContain(`${OTHER}/pack/`);
    expect(hits).toEqual([]); // nothing was fetched from there

    // Agreeing loads it from there (under the page's CSP and COEP).
    page.removeAllListeners('dialog');
    page.on('dialog', (d) => {
      dialogs.push(`${d.type()}: ${d.message()}`);
      void d.accept();
    });
    const violations = await watchCsp(page);
    await page.goto(`/?model=${encodeURIComponent(`${OTHER}/pack/`)}`);
    await expect(page.getByTestId('model-status')).toHaveText(/ready/, { timeout: 90_000 });
    expect(dialogs).toHaveLength(2);
    expect(hits).toContain('defect-studio.json');
    expect(hits).toContain('unet/model.onnx');
    expect(await violations()).toEqual([]);
  });

  test('a model on this origin loads without a question', async ({ page }) => {
    await serveTestPacks(page);
    let asked = 0;
    page.on('dialog', (d) => {
      asked++;
      void d.dismiss();
    });
    await openApp(page, 'tiny-builtin');
    expect(asked).toBe(0);
  });
});
