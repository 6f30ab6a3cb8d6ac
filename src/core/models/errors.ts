import { DefectStudioError } from '../errors';

/** A model pack problem (code 'pack'), precise enough to act on: which file, which tensor, what was expected and found. */
export class PackError extends DefectStudioError {
  readonly file?: string;
  readonly tensor?: string;
  readonly expected?: string;
  readonly found?: string;

  constructor(message: string, details: { file?: string; tensor?: string; expected?: string; found?: string; cause?: unknown } = {}) {
    const parts = [message];
    if (details.file) parts.push(`file ${details.file}`);
    if (details.tensor) parts.push(`tensor ${details.tensor}`);
    if (details.expected !== undefined) parts.push(`expected ${details.expected}`);
    if (details.found !== undefined) parts.push(`found ${details.found}`);
    super('pack', parts.join('; '), details.cause !== undefined ? { cause: details.cause } : undefined);
    this.name = 'PackError';
    this.file = details.file;
    this.tensor = details.tensor;
    this.expected = details.expected;
    this.found = details.found;
  }
}

/**
 * A listed file whose bytes are wrong: missing, or a size or sha256 other than the manifest's. The pack
 * store drops a stored copy that fails this way (its next load downloads it again); other PackErrors (a
 * model the loader cannot use) would fail the same way after a new download.
 */
export class PackFileError extends PackError {}
