/**
 * The one error vocabulary of DefectStudio. Every error the project raises on purpose is a
 * `DefectStudioError` with a stable `code`; callers (the Worker, the CLI, the UI) branch on the code,
 * never on message text. Message text is read in exactly one place: `runtimeError`, where an
 * onnxruntime failure (which only has a message) enters the project.
 *
 *   input          the user's image, trimap, mask, job line or other input is unusable
 *   settings       a setting is out of range or unknown (SettingsError)
 *   pack           the model pack is missing a file, malformed, or fails its size/sha256 checks
 *   storage        the browser's storage cannot hold a pack (quota) or failed to write it
 *   runtime        the inference runtime failed for another reason
 *   out-of-memory  an allocation failed (runtime or JS)
 *   device-lost    the GPU device went away mid-run
 *   aborted        the caller cancelled (name stays 'AbortError', as with DOMException)
 *   internal       anything else: a bug
 */
export type ErrorCode = 'input' | 'settings' | 'pack' | 'storage' | 'runtime' | 'out-of-memory' | 'device-lost' | 'aborted' | 'internal';

export const ERROR_CODES: readonly ErrorCode[] = ['input', 'settings', 'pack', 'storage', 'runtime', 'out-of-memory', 'device-lost', 'aborted', 'internal'];

export class DefectStudioError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'DefectStudioError';
  }
}

/** Bad input (image, trimap, request): one clear message, nothing changed. */
export class InputError extends DefectStudioError {
  constructor(message: string) {
    super('input', message);
    this.name = 'InputError';
  }
}

/** The caller cancelled. Named 'AbortError' like the platform's own abort errors. */
export class AbortedError extends DefectStudioError {
  constructor(message = 'Generation aborted') {
    super('aborted', message);
    this.name = 'AbortError';
  }
}

/** The error a cancelled run throws: the signal's own reason when it is an error, else an AbortedError. */
export function abortReason(signal: { reason?: unknown } | undefined, message?: string): Error {
  const r = signal?.reason;
  return r instanceof Error ? r : new AbortedError(message);
}

/** The stable code of any thrown value. */
export function errorCode(e: unknown): ErrorCode {
  if (e instanceof DefectStudioError) return e.code;
  if (e instanceof Error && e.name === 'AbortError') return 'aborted'; // DOMException from AbortController
  if (e instanceof RangeError) return 'out-of-memory'; // "Array buffer allocation failed", "Invalid typed array length"
  return 'internal';
}

const OOM_TEXT = /out of memory|\boom\b|allocation failed|memory access out of bounds|Aborted\(OOM\)|bad_alloc|failed to allocate/i;
const DEVICE_LOST_TEXT = /device.*lost|lost.*device/i;

/**
 * An inference runtime's failure as a DefectStudioError: out-of-memory, device-lost or runtime. The one
 * place that reads message text, because onnxruntime reports these only in words. Errors that already
 * carry a code pass through.
 */
export function runtimeError(e: unknown, what: string): DefectStudioError {
  if (e instanceof DefectStudioError) return e;
  if (e instanceof Error && e.name === 'AbortError') return new AbortedError(e.message);
  const message = e instanceof Error ? e.message : String(e);
  const code: ErrorCode = e instanceof RangeError || OOM_TEXT.test(message) ? 'out-of-memory' : DEVICE_LOST_TEXT.test(message) ? 'device-lost' : 'runtime';
  return new DefectStudioError(code, `${what}: ${message}`, { cause: e });
}
