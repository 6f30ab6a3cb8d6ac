/**
 * The UI's one message channel. Every error, notice and status line the user sees is posted here and
 * rendered in one place (`Messages` in App.tsx): file and editor commands, autosave, the model load and
 * generation alike. Errors are worded by their stable `code` (src/core/errors.ts) through one table,
 * `ERROR_TITLES`; nothing here reads message text to decide anything.
 *
 * Each source keeps at most one error and one notice: a newer one replaces the older one of its kind and
 * source, so a fixed problem's message does not linger beside the next one.
 */
import { create } from 'zustand';
import { errorCode, type ErrorCode } from '../core/errors';

export type MessageKind = 'error' | 'notice';

/**
 * Who posted a message: `editor` (files, editing, autosave, folders), `generation` (model load, runs,
 * export) or `models` (the models kept in the browser: "Add model", delete).
 */
export type MessageSource = 'editor' | 'generation' | 'models';

export interface Message {
  id: number;
  kind: MessageKind;
  source: MessageSource;
  /** A short title (from `ERROR_TITLES` for coded errors), or '' */
  title: string;
  text: string;
}

/** The one table from an error code to the words the user reads as its title. */
export const ERROR_TITLES: Readonly<Record<ErrorCode, string>> = {
  input: 'Nothing to generate',
  settings: 'Bad settings',
  pack: 'The model could not be loaded',
  storage: 'Not enough storage for the model',
  runtime: 'Generation failed',
  'out-of-memory': 'Out of memory',
  'device-lost': 'The GPU device was lost',
  aborted: 'Stopped',
  internal: 'Generation failed',
};

/** While a model loads, any failure but these means the model could not be loaded. */
const OWN_TITLE_WHILE_LOADING: ReadonlySet<ErrorCode> = new Set(['storage', 'out-of-memory', 'device-lost', 'aborted']);

/** The title of an error with `code`, met while loading a model or during a run. */
export function errorTitle(code: ErrorCode, during: 'load' | 'run' = 'run'): string {
  return during === 'load' && !OWN_TITLE_WHILE_LOADING.has(code) ? ERROR_TITLES.pack : ERROR_TITLES[code];
}

/** Codes whose message is written for the user as is; any other error gets the caller's context around it. */
const USER_WORDED: ReadonlySet<ErrorCode> = new Set(['input', 'settings']);

export interface MessagesState {
  messages: Message[];
  /** What is under way right now ("Opening photo.png…"), or null. */
  status: string | null;
  /** Posts a message; it replaces the message of the same kind from the same source. */
  post(m: { kind: MessageKind; source: MessageSource; text: string; title?: string }): void;
  error(text: string, source?: MessageSource, title?: string): void;
  notice(text: string, source?: MessageSource): void;
  /**
   * A thrown error as a message: with `titled`, the code's title (`errorTitle(code, titled)`) and the
   * error's own message; without, an `input`/`settings` error's message as is, any other `context (message)`.
   */
  report(e: unknown, source: MessageSource, opts?: { context?: string; titled?: 'load' | 'run' }): void;
  dismiss(id: number): void;
  /** Removes the messages of a source (all when none is given). */
  clear(source?: MessageSource): void;
  setStatus(status: string | null): void;
}

let nextId = 1;

export const useMessages = create<MessagesState>((set, get) => ({
  messages: [],
  status: null,
  post: ({ kind, source, text, title = '' }) =>
    set((s) => ({ messages: [...s.messages.filter((m) => m.kind !== kind || m.source !== source), { id: nextId++, kind, source, title, text }] })),
  error: (text, source = 'editor', title = '') => get().post({ kind: 'error', source, text, title }),
  notice: (text, source = 'editor') => get().post({ kind: 'notice', source, text }),
  report: (e, source, opts = {}) => {
    const code = errorCode(e);
    const message = e instanceof Error ? e.message : String(e);
    if (opts.titled) return get().post({ kind: 'error', source, title: errorTitle(code, opts.titled), text: message });
    const text = USER_WORDED.has(code) || !opts.context ? message : `${opts.context} (${message})`;
    get().post({ kind: 'error', source, text });
  },
  dismiss: (id) => set((s) => ({ messages: s.messages.filter((m) => m.id !== id) })),
  clear: (source) => set((s) => ({ messages: source ? s.messages.filter((m) => m.source !== source) : [] })),
  setStatus: (status) => set({ status }),
}));
