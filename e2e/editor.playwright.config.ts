// Runs the editor e2e alone on its own port and build folder, so that it can run beside other suites
// in a shared checkout:  npx vite build --outDir /tmp/ds-editor-dist && npx playwright test -c e2e/editor.playwright.config.ts
import { defineConfig } from '@playwright/test';
import base from '../playwright.config';

const port = Number(process.env.EDITOR_E2E_PORT ?? 4191);
const outDir = process.env.EDITOR_E2E_DIST ?? '/tmp/ds-editor-dist';

export default defineConfig({
  ...base,
  testDir: '.',
  testMatch: /editor.*\.spec\.ts$/,
  use: { ...base.use, baseURL: `http://127.0.0.1:${port}` },
  webServer: {
    command: `npx vite preview --outDir ${outDir} --port ${port} --strictPort --host 127.0.0.1`,
    url: `http://127.0.0.1:${port}`,
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
