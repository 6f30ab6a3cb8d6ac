// Two tabs, one pack store: two pages of the same origin share the origin-private file system, and the
// store's writes of one pack are serialised by the Web Lock `defect-studio-pack:<id>` (packStore.ts). Two
// pages loading the same pack at once download it once and both load it; a delete from another page during
// a download waits for it and then removes the whole pack (never a half pack left listed).
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { opfsPacks, PACKS_DIR } from './generate-helpers';

const PACK = 'tiny-builtin';
const UNET = 'unet/model.onnx';
const manifest = () =>
  JSON.parse(fs.readFileSync(path.join(PACKS_DIR, PACK, 'defect-studio.json'), 'utf8')) as { files: Record<string, { bytes: number; sha256: string }> };

interface Log {
  requests: { tab: string; file: string }[];
  release: () => void;
}

/** Serve the test packs to both pages (their workers' fetches), holding every UNet answer until `release`. */
async function servePacks(pages: [string, Page][]): Promise<Log> {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const log: Log = { requests: [], release };
  for (const [tab, page] of pages) {
    await page.route((u) => u.pathname.startsWith('/test-packs/'), async (route) => {
      const rel = decodeURIComponent(new URL(route.request().url()).pathname.replace(/^.*\/test-packs\//, ''));
      const file = rel.split('/').slice(1).join('/');
      log.requests.push({ tab, file });
      const full = path.join(PACKS_DIR, rel);
      if (!full.startsWith(PACKS_DIR) || !fs.existsSync(full) || fs.statSync(full).isDirectory()) return route.fulfill({ status: 404, body: 'not found' });
      if (file === UNET) await gate;
      await route.fulfill({ status: 200, body: fs.readFileSync(full), headers: { 'content-type': 'application/octet-stream' } });
    });
  }
  return log;
}

/** The store's folders in OPFS, each file with its size and sha256 (computed in the page). */
async function opfs(page: Page): Promise<Record<string, Record<string, { size: number; sha256: string }>>> {
  return (await opfsPacks(page, { hash: true })) as Record<string, Record<string, { size: number; sha256: string }>>;
}

/** Exactly one complete copy of the pack: every file with the manifest's size and sha256, and the manifest. */
function expectOneVerifiedCopy(stored: Awaited<ReturnType<typeof opfs>>) {
  expect(Object.keys(stored)).toEqual([`pack-${PACK}`]);
  const dir = stored[`pack-${PACK}`];
  expect(dir['defect-studio.json']?.size).toBeGreaterThan(0);
  for (const f of Object.values(manifest().files)) expect(dir[f.sha256]).toEqual({ size: f.bytes, sha256: f.sha256 });
}

const status = (page: Page) => page.getByTestId('model-status');
const url = `/?model=/test-packs/${PACK}/`;

async function twoPages(context: BrowserContext): Promise<[Page, Page]> {
  await context.addInitScript(() => localStorage.setItem('defect-studio.backend', 'wasm'));
  return [await context.newPage(), await context.newPage()];
}

test.describe('pack store: two tabs', () => {
  test('two pages load the same pack at once: it is downloaded once, stored once complete and checked, and both load it', async ({ context }) => {
    const [a, b] = await twoPages(context);
    const log = await servePacks([
      ['a', a],
      ['b', b],
    ]);
    await Promise.all([a.goto(url), b.goto(url)]);
    // Both pages have read the manifest and one of them is downloading the UNet (held): they overlap.
    await expect
      .poll(() => log.requests.some((r) => r.file === UNET) && ['a', 'b'].every((t) => log.requests.some((r) => r.tab === t && r.file === 'defect-studio.json')), { timeout: 90_000 })
      .toBe(true);
    log.release();
    await expect(status(a)).toHaveText(/^ready/, { timeout: 90_000 });
    await expect(status(b)).toHaveText(/^ready/, { timeout: 90_000 });
    // One page downloaded; the other waited for the pack's lock and loaded the stored copy.
    expect(log.requests.filter((r) => r.file === UNET)).toHaveLength(1);
    expect([await status(a).textContent(), await status(b).textContent()].sort()).toEqual(['ready', 'ready (from cache)']);
    expectOneVerifiedCopy(await opfs(a));
  });

  test('a delete from another page during a download waits for it, then removes the whole pack', async ({ context }) => {
    const [a, b] = await twoPages(context);
    const log = await servePacks([
      ['a', a],
      ['b', b],
    ]);
    await a.goto(url);
    await expect.poll(() => log.requests.some((r) => r.tab === 'a' && r.file === UNET), { timeout: 90_000 }).toBe(true);
    // Page b (another pack of its own) lists the unfinished download and deletes it while a is downloading.
    await b.goto('/?model=/test-packs/tiny-sd/');
    const row = b.locator(`[data-testid=kept-model][data-id=${PACK}]`);
    await expect(row.getByTestId('kept-model-size')).toContainText('(unfinished)', { timeout: 90_000 });
    await b.getByRole('button', { name: 'Delete tiny builtin' }).click();
    log.release();
    // The delete ran after the download: nothing of the pack is left, in b's list or in the storage.
    await expect(row).toHaveCount(0, { timeout: 90_000 });
    await expect(b.getByTestId('model-status')).toHaveText(/^ready/, { timeout: 90_000 });
    await expect(status(a)).toHaveText(/^(ready|failed)/, { timeout: 90_000 }); // a settles: loaded before the delete, or a clean error
    expect(Object.keys(await opfs(a))).not.toContain(`pack-${PACK}`);
    await expect(b.getByRole('alert')).toHaveCount(0); // the delete did not fail
    // And a can load it again (downloaded anew, one complete checked copy).
    await a.reload();
    await expect(status(a)).toHaveText('ready', { timeout: 90_000 });
    const stored = await opfs(a);
    delete stored['pack-tiny-sd'];
    expectOneVerifiedCopy(stored);
  });
});
