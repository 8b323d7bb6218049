import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const backend = process.env.POSE_BACKEND_URL ?? 'http://127.0.0.1:8000';

export default defineConfig({
  plugins: [react()],
  base: './',
  resolve: {
    alias: {
      // Only pose-detection's "tfjs" runtime is used; see src/lib/mediapipe-stub.ts.
      '@mediapipe/pose': fileURLToPath(new URL('./src/lib/mediapipe-stub.ts', import.meta.url)),
    },
  },
  // The pose-model worker is created with { type: 'module' }, so it is built as one.
  worker: { format: 'es' },
  build: {
    outDir: 'dist',
    chunkSizeWarningLimit: 4096,
  },
  server: {
    // `npm run dev` talks to a backend started with `make run`.
    proxy: { '/v1': { target: backend, ws: true } },
  },
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    environment: 'node',
  },
});
