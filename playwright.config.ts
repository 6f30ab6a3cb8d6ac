import { defineConfig } from '@playwright/test';

// Debian's Chromium: Playwright never downloads a browser here.
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The tests always start their own server on this checkout's dist/: a server already on the port (another
// checkout's build, a stale preview) makes the run fail at once instead of testing the wrong build.
const port = Number(process.env.E2E_PORT ?? 4173);

// Generous limits for a loaded 2-core machine; every wait in the tests is on app state (e2e/README.md), so
// a limit only decides how long a real failure takes to report. No retries: a flaky test is a bug to fix.
export default defineConfig({
  testDir: 'e2e',
  timeout: 240_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    launchOptions: {
      executablePath,
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run',
        '--enable-unsafe-webgpu',
      ],
    },
  },
  webServer: {
    // e2e runs against the production build (built by `npm test` before this step).
    command: `npx vite preview --port ${port} --strictPort --host 127.0.0.1`,
    url: `http://127.0.0.1:${port}`,
    reuseExistingServer: false,
    timeout: 120_000,
  },
});
