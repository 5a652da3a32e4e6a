import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Docker-heavy tests share a 2-core machine; a few files at a time keeps timings sane.
    maxWorkers: 2,
    globalSetup: ['tests/global-setup.ts'],
  },
});
