import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Builds the renderer (renderer/) into dist/renderer for the Electron window and the browser mode.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  // The UI contract, as the renderer imports it (the same alias as in tsconfig.renderer.json).
  resolve: { alias: { '@contract': fileURLToPath(new URL('./electron/bridge/contract.ts', import.meta.url)) } },
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
  },
});
