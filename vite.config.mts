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
    // The UI loads from disk (Electron) or from the hub's own machine (serve), so one bundle costs no
    // download and is not split; Vite's 500 kB web default would warn on every build. 2 MB still
    // flags a dependency pulled in by mistake.
    chunkSizeWarningLimit: 2000,
  },
});
