/** The dev server sends the same security headers as `vite preview` (e2e/security.spec.ts), with a nonce for its inline code. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type ViteDevServer } from 'vite';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { contentSecurityPolicy } from '../src/security/csp';
import { REPO } from './helpers';

let server: ViteDevServer;
let base: string;

beforeAll(async () => {
  server = await createServer({
    configFile: join(REPO, 'vite.config.ts'),
    root: REPO,
    logLevel: 'silent',
    server: { port: 0, host: '127.0.0.1', strictPort: false, hmr: false },
    optimizeDeps: { noDiscovery: true, include: [] },
  });
  await server.listen();
  base = `http://127.0.0.1:${(server.httpServer!.address() as AddressInfo).port}`;
}, 60_000);
afterAll(async () => {
  await server?.close();
});

describe('dev server headers', () => {
  it('CSP without unsafe-eval or unsafe-inline, nosniff, COOP/COEP; inline code carries the nonce', async () => {
    const res = await fetch(`${base}/`);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toMatch(/^default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'nonce-[A-Za-z0-9+/=]{24}';/);
    expect(csp).not.toMatch(/'unsafe-eval'|'unsafe-inline'/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    const nonce = /'nonce-([^']+)'/.exec(csp)![1];
    const html = await res.text();
    // Every script tag carries the nonce (none is inline today), and so does the csp-nonce meta tag from which
    // Vite's client copies it onto the <style> tags it injects for CSS.
    const scripts = [...html.matchAll(/<script([^>]*)>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const m of scripts) expect(m[1]).toContain(`nonce="${nonce}"`);
    expect(html).toContain(`<meta property="csp-nonce" nonce="${nonce}">`);
    const js = await fetch(`${base}/src/main.tsx`);
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
    expect(js.headers.get('content-security-policy')).toBe(csp);
  }, 60_000);

  it('the production policy has no nonce', () => {
    expect(contentSecurityPolicy()).not.toContain('nonce');
    expect(contentSecurityPolicy({ nonce: 'abc' })).toContain("style-src 'self' 'nonce-abc'");
  });
});
