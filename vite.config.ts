import { defineConfig } from 'vite';

// Builds the renderer (renderer/) into dist/renderer for the Electron window and the browser mode.
export default defineConfig({
  root: 'renderer',
  base: './',
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
  },
});
