/**
 * The page's one test hook, `window.__defectStudio`: e2e tests and benchmarks read state and wait for the app
 * here (never on time, never on pixels through React). Every part is registered by the module that owns it:
 *
 *   editor       the headless Editor (editorInstance.ts)
 *   files        file actions (open, import, paste, drop): counters and `idle()` (actions.ts)
 *   session      the autosaved session: `restored()` resolves once it was looked up, `flush()`, `folder()` (actions.ts)
 *   generation   overlay counters, results, timings, crash/device-lost simulation (GenerationController, main.tsx)
 *   models       "Add model" counters and the kept-pack list/choice (models/library.ts)
 *
 * Add new parts here (type + owner), not as new globals. See e2e/README.md.
 */
import type { Editor } from '../editor/Editor';
import type { FolderSession } from '../editor/folder';
import type { overlay, resultBuffers } from './generate/buffers';
import type { GenerationController } from './generate/controller';
import type { LibraryState } from './models/store';

export interface FileActionsHook {
  /** File actions asked for (open, import, paste, drop) since the page loaded. */
  started: number;
  /** File actions finished, successfully or not (the document and any message are final by then). */
  finished: number;
  /** The last finished one: what it was and whether it changed the document. */
  last: { label: string; ok: boolean } | null;
  /** Resolves when every file action asked for so far has finished. */
  idle(): Promise<void>;
}

export interface SessionHook {
  /** Resolves once the previous session (single image or folder) was looked up, and restored if there was one. */
  restored(): Promise<void>;
  /** Writes pending autosave changes now (the single image's or the open folder image's). */
  flush(): Promise<void>;
  /** The folder session (null without IndexedDB). */
  folder(): FolderSession | null;
}

export interface GenerationHook {
  /** The result overlay: `frames` (previews shown), `decodedFrames` (full VAE decodes), `content`. */
  overlay: typeof overlay;
  /** Page-side timings of the last run. */
  timings: GenerationController['lastRunTimings'];
  /** What the worker reported on the last Stop. */
  lastCancel: GenerationController['lastCancel'];
  /** Result pixels by result id. */
  results: typeof resultBuffers;
  crashWorker(): void;
  simulateDeviceLost(): void;
}

export interface ModelsHook {
  /** "Add model" attempts: asked for, finished (kept or refused), and the last one's outcome. */
  adds: { started: number; finished: number; last: null | { ok: boolean; id?: string; message?: string } };
  /** The kept-pack list, storage estimate and choice as the UI has them. */
  state(): LibraryState;
}

export interface TestHook {
  editor: Editor;
  files: FileActionsHook;
  session: SessionHook;
  generation: GenerationHook;
  models: ModelsHook;
}

declare global {
  interface Window {
    /** Complete once the app's modules have loaded (before the first render). */
    __defectStudio?: TestHook;
  }
}

/** Registers (part of) the test hook. */
export function registerTestHook(part: Partial<TestHook>): void {
  if (typeof window === 'undefined') return;
  window.__defectStudio = Object.assign(window.__defectStudio ?? ({} as TestHook), part);
}
