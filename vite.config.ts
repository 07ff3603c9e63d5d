import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The renderer is one Vite project rooted at renderer/; it may import shared/ but never electron/.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'es2022',
  },
});
