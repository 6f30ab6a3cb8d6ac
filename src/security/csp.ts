/**
 * The Content-Security-Policy sent by the dev server and `vite preview` (vite.config.ts), one place.
 *
 * - Scripts only from this origin; no `unsafe-eval` and no inline script. WebAssembly compilation is the one
 *   exception (`wasm-unsafe-eval`): onnxruntime-web compiles its .wasm.
 * - Workers from this origin (the generation Worker, onnxruntime-web's thread workers) or `blob:`.
 * - Network (fetch, XHR, WebSocket): this origin, plus `https:` for a model pack chosen with `?model=` on
 *   another site (the page asks first, choosePackUrl in src/ui/generate/appController.ts). Plain `http:` elsewhere is blocked.
 * - Styles from this origin; images from this origin, `blob:` and `data:` (photos the user opens, exports).
 * - No plugins, no <base> from elsewhere, forms only to this origin, not framed by other sites.
 *
 * With `nonce` (the dev server), inline scripts and styles carrying that nonce are allowed too: Vite puts it
 * on the React Refresh preamble and on the <style> tags it injects (html.cspNonce).
 */
export function contentSecurityPolicy(opts: { nonce?: string } = {}): string {
  const n = opts.nonce ? ` 'nonce-${opts.nonce}'` : '';
  const directives: [string, string][] = [
    ['default-src', "'self'"],
    ['script-src', `'self' 'wasm-unsafe-eval'${n}`],
    ['worker-src', "'self' blob:"],
    ['connect-src', "'self' https: blob: data:"],
    ['style-src', `'self'${n}`],
    ['img-src', "'self' blob: data:"],
    ['font-src', "'self' data:"],
    ['media-src', "'self' blob: data:"],
    ['object-src', "'none'"],
    ['base-uri', "'self'"],
    ['form-action', "'self'"],
    ['frame-ancestors', "'none'"],
  ];
  return directives.map(([k, v]) => `${k} ${v}`).join('; ');
}
