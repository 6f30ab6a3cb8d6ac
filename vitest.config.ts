import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'tests/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    pool: 'forks',
    // Tests that use onnxruntime-node directly (tests/adaptation) get the same telemetry opt-out as the CLI
    // (src/core/models/ort-node.node.ts); tests/ort-node-privacy.test.ts clears it for the CLI it checks.
    env: { ORT_DISABLE_TELEMETRY: '1' },
  },
});
