import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Kept apart from vite.config.mts, which builds the renderer: tests run in Node against real sockets.
export default defineConfig({
  // The renderer's import of the UI contract (as in tsconfig.renderer.json and vite.config.mts).
  resolve: { alias: { '@contract': fileURLToPath(new URL('./electron/bridge/contract.ts', import.meta.url)) } },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
