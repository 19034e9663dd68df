import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Builds the renderer (renderer/) into dist/renderer for the Electron window and the browser mode.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
  },
});
