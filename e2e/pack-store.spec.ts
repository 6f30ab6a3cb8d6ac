// The pack store in real Chromium: packs stream into the origin-private file system (OPFS) with per-file
// byte progress, an interrupted download resumes with an HTTP Range request, a file with a wrong sha256 is
// refused with nothing stored, and a pack larger than the quota is refused with the sizes before any
// download. The test packs are served by a route that honours Range (and breaks on purpose).
import { expect, test, type Page, type Route } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { opfsPacks, PACKS_DIR } from './generate-helpers';

const PACK = 'tiny-builtin';
const UNET = 'unet/model.onnx';
const manifest = () => JSON.parse(fs.readFileSync(path.join(PACKS_DIR, PACK, 'defect-studio.json'), 'utf8'));

interface Served {
  requests: { file: string; range?: string }[];
}

/**
 * Serve tests/fixtures/packs/<id>/ at /test-packs/<id>/, honouring `Range: bytes=N-` (206), with `hook`
 * deciding first for any request (return true when it answered).
 */
async function servePacks(page: Page, hook?: (route: Route, file: string, data: Buffer, start: number | null) => Promise<boolean>): Promise<Served> {
  const served: Served = { requests: [] };
  await page.route((u) => u.pathname.startsWith('/test-packs/'), async (route) => {
    const url = new URL(route.request().url());
    const rel = decodeURIComponent(url.pathname.replace(/^.*\/test-packs\//, ''));
    const file = rel.slice(PACK.length + 1);
    const range = (await route.request().allHeaders())['range'];
    served.requests.push({ file, range });
    const full = path.join(PACKS_DIR, rel);
    if (!full.startsWith(PACKS_DIR) || !fs.existsSync(full) || fs.statSync(full).isDirectory()) {
      await route.fulfill({ status: 404, body: 'not found' });
      return;
    }
    const data = fs.readFileSync(full);
    const m = /^bytes=(\d+)-$/.exec(range ?? '');
    const start = m ? Number(m[1]) : null;
    if (hook && (await hook(route, file, data, start))) return;
    if (start !== null) {
      if (start >= data.length) return route.fulfill({ status: 416, headers: { 'content-range': `bytes */${data.length}` }, body: '' });
      return route.fulfill({
        status: 206,
        body: data.subarray(start),
        headers: { 'content-type': 'application/octet-stream', 'content-range': `bytes ${start}-${data.length - 1}/${data.length}` },
      });
    }
    await route.fulfill({ status: 200, body: data, headers: { 'content-type': 'application/octet-stream' } });
  });
  return served;
}

/** What the store holds in OPFS: pack folder -> file -> size (read from the page, the same origin's storage). */
async function opfs(page: Page): Promise<Record<string, Record<string, number>>> {
  const packs = await opfsPacks(page);
  return Object.fromEntries(Object.entries(packs).map(([d, files]) => [d, Object.fromEntries(Object.entries(files).map(([f, x]) => [f, x.size]))]));
}

const status = (page: Page) => page.getByTestId('model-status');
const open = (page: Page) => page.goto(`/?model=/test-packs/${PACK}/`);

test.describe('pack store (OPFS)', () => {
  test.beforeEach(async ({ page }) => {
    await page.addInitScript(() => localStorage.setItem('defect-studio.backend', 'wasm'));
  });

  test('downloads into OPFS with per-file byte progress; the second visit loads from the store', async ({ page }) => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const served = await servePacks(page, async (_route, file) => {
      if (file === UNET) await gate; // hold the UNet: the status line shows that file's progress meanwhile
      return false;
    });
    await open(page);
    const line = page.getByTestId('model-progress');
    await expect(line).toContainText(/Downloading unet\/model\.onnx 0\.00 MB \/ 0\.\d\d MB · total \d+\.\d\d MB \/ 0\.\d\d MB \(\d+%\)/);
    release();
    await expect(status(page)).toHaveText('ready', { timeout: 90_000 });

    const m = manifest();
    const stored = await opfs(page);
    const dir = stored[`pack-${PACK}`];
    expect(dir['defect-studio.json']).toBeGreaterThan(0); // written last: the pack is complete
    for (const f of Object.values(m.files) as { bytes: number; sha256: string }[]) expect(dir[f.sha256]).toBe(f.bytes);

    const first = served.requests.length;
    await page.reload();
    await expect(status(page)).toHaveText('ready (from cache)', { timeout: 90_000 });
    expect(served.requests.slice(first).map((r) => r.file)).toEqual(['defect-studio.json']);
  });

  test('an interrupted download keeps its bytes and resumes with a Range request', async ({ page }) => {
    const CUT = 40_000;
    let broken = true;
    const served = await servePacks(page, async (route, file, data, start) => {
      if (file !== UNET || !broken) return false;
      // The first answer stops after CUT bytes; then the server fails (503) until it is "back".
      if (start === null) await route.fulfill({ status: 200, body: data.subarray(0, CUT), headers: { 'content-type': 'application/octet-stream' } });
      else await route.fulfill({ status: 503, body: 'unavailable' });
      return true;
    });
    await open(page);
    await expect(status(page)).toHaveText('failed', { timeout: 90_000 });
    await expect(page.getByTestId('generation-error')).toContainText(/download interrupted; file unet\/model\.onnx; expected \d+ bytes; found 40000 bytes after 3 tries/);
    const sha = manifest().files[UNET].sha256;
    const partial = (await opfs(page))[`pack-${PACK}`];
    expect(partial[sha]).toBe(CUT); // what arrived is kept
    expect(partial['defect-studio.json']).toBeUndefined(); // not complete

    broken = false;
    served.requests.length = 0;
    await page.getByRole('button', { name: 'Retry loading' }).click();
    await expect(status(page)).toHaveText('ready', { timeout: 90_000 });
    expect(served.requests.filter((r) => r.file === UNET)).toEqual([{ file: UNET, range: `bytes=${CUT}-` }]);
    expect((await opfs(page))[`pack-${PACK}`][sha]).toBe(manifest().files[UNET].bytes);
  });

  test('a file with a wrong sha256 is refused and nothing of the pack is stored', async ({ page }) => {
    await servePacks(page, async (route, file, data) => {
      if (file !== UNET) return false;
      const bad = Buffer.from(data);
      bad[1234] ^= 0xff;
      await route.fulfill({ status: 200, body: bad, headers: { 'content-type': 'application/octet-stream' } });
      return true;
    });
    await open(page);
    await expect(status(page)).toHaveText('failed', { timeout: 90_000 });
    await expect(page.getByTestId('generation-error')).toContainText(
      `sha256 differs from the manifest; file unet/model.onnx; expected ${manifest().files[UNET].sha256}; found `,
    );
    expect(await opfs(page)).toEqual({});
  });

  test('a pack larger than the quota is refused before any download, with both sizes', async ({ page }) => {
    const served = await servePacks(page, async (route, file) => {
      if (file !== 'defect-studio.json') return false;
      const m = manifest();
      m.files['extra/weights.bin'] = { bytes: 10 ** 15, sha256: 'a'.repeat(64) }; // declares 1 PB
      await route.fulfill({ status: 200, body: JSON.stringify(m), headers: { 'content-type': 'application/json' } });
      return true;
    });
    await open(page);
    await expect(status(page)).toHaveText('failed', { timeout: 90_000 });
    const err = page.getByTestId('generation-error');
    await expect(err).toContainText('Not enough storage for the model');
    await expect(err).toContainText(/this pack needs 1,000,000,\d{3} MB; the browser allows [\d,]+ MB more here/);
    expect(served.requests.map((r) => r.file)).toEqual(['defect-studio.json']);
    expect(await opfs(page)).toEqual({});
  });
});
