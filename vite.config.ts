import { randomBytes } from 'node:crypto';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { contentSecurityPolicy } from './src/security/csp.ts';

// Cross-origin isolation: onnxruntime-web needs SharedArrayBuffer for WASM threads.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig(({ command }) => {
  // The dev server's HTML has inline code (React Refresh preamble) and Vite injects <style> tags: both carry
  // this per-server nonce (html.cspNonce), which the dev policy allows. The production build needs none.
  const nonce = command === 'serve' ? randomBytes(16).toString('base64') : undefined;
  const security = {
    'Content-Security-Policy': contentSecurityPolicy({ nonce }),
    'X-Content-Type-Options': 'nosniff',
  };
  return {
    plugins: [react()],
    html: nonce ? { cspNonce: nonce } : undefined,
    server: { headers: { ...isolation, ...security } },
    // `vite preview` serves the production build: the strict policy (no nonce, no inline code).
    preview: { headers: { ...isolation, 'Content-Security-Policy': contentSecurityPolicy({}), 'X-Content-Type-Options': 'nosniff' } },
    worker: { format: 'es' },
    optimizeDeps: { exclude: ['onnxruntime-web'] },
    build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  };
});
