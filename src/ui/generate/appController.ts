// The page's generation controller: the real worker client, the app's stores, the canvas overlay, and the
// pack the page asks for. main.tsx makes it once and hands it down (./context.ts).
import { GenerationClient } from '../../worker/client';
import { editor } from '../editorInstance';
import { downloadBytes } from '../imageIO';
import { useMessages } from '../messages';
import { overlay, resultBuffers, thumbnails } from './buffers';
import { GenerationController } from './controller';
import { useModel, useResults, useRun, useSettings } from './stores';
import { keptPackToLoad } from '../models/store';
import type { BackendSetting } from '../../worker/protocol';
import pkg from '../../../package.json';

export const APP_VERSION: string = pkg.version;

/** The built-in pack: public/models/<id>/ (served as static files). `?model=<url>` overrides it. */
export const BUILTIN_MODEL_ID: string = import.meta.env.VITE_BUILTIN_MODEL ?? 'ds-surface-v1';

function builtinPackUrl(): string {
  return new URL(`models/${BUILTIN_MODEL_ID}/`, new URL(import.meta.env.BASE_URL, location.href)).href;
}

export function packUrlFromLocation(): string {
  const param = new URLSearchParams(location.search).get('model');
  const url = new URL(param || builtinPackUrl(), location.href);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.href;
}

/**
 * The pack to load. `?model=` on this origin is used as is. A pack on another site is downloaded and run in
 * this page only after the user agrees (a confirm dialog naming the site; the answer is kept in `answers`,
 * one per page life); if they decline, or the URL is not http(s), the built-in pack is used and the notice
 * says why.
 */
export function choosePackUrl(answers: Map<string, boolean>): { url: string; notice?: string } {
  const href = packUrlFromLocation();
  const url = new URL(href);
  if (url.origin === location.origin) return { url: href };
  const builtin = builtinPackUrl();
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { url: builtin, notice: `The model address ${url.protocol} is not a web address; using the built-in model.` };
  }
  let ok = answers.get(url.origin);
  if (ok === undefined) {
    ok = window.confirm(
      `Load a model from another site?\n\n${url.href}\n\nIts files are downloaded from ${url.origin} and run in this page. ` +
        'Continue only if you trust that site.',
    );
    answers.set(url.origin, ok);
  }
  return ok ? { url: href } : { url: builtin, notice: `The model from ${url.origin} was not loaded (not confirmed); using the built-in model.` };
}

function saveBackend(b: BackendSetting): void {
  try {
    localStorage.setItem('defect-studio.backend', b);
  } catch {
    /* storage denied: the choice lasts for this page */
  }
}

/** Makes the page's controller (call once). */
export function createAppGenerationController(): GenerationController {
  const originAnswers = new Map<string, boolean>();
  return new GenerationController({
    editor,
    transport: (events) => new GenerationClient(undefined, events),
    stores: { settings: useSettings, model: useModel, run: useRun, results: useResults, messages: useMessages },
    overlay,
    results: resultBuffers,
    thumbnails,
    // A pack kept in this browser and chosen in the model list, else `?model=` or the built-in pack.
    choosePack: () => {
      const kept = keptPackToLoad();
      return kept ? { url: '', kept } : choosePackUrl(originAnswers);
    },
    download: downloadBytes,
    appVersion: APP_VERSION,
    saveBackend,
  });
}
