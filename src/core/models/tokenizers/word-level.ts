/**
 * Word-level tokenizer for small packs (`tokenizer/tokenizer.json` with "type": "word-level"):
 * lower-case, split on anything that is not a letter, unknown words -> unk_id, optional bos/eos,
 * truncated and padded with pad_id to max_length (77).
 */
import type { Tokenizer } from './types';

export interface WordLevelConfig {
  type: 'word-level';
  vocab: Record<string, number>;
  unk_id: number;
  pad_id: number;
  bos_id?: number;
  eos_id?: number;
  lowercase?: boolean;
  max_length?: number;
}

export function parseWordLevelConfig(json: unknown): WordLevelConfig {
  const c = json as Partial<WordLevelConfig>;
  if (!c || typeof c !== 'object') throw new Error('tokenizer.json is not an object');
  if (c.type !== 'word-level') throw new Error(`tokenizer.json type: expected "word-level", found ${JSON.stringify(c.type)}`);
  if (!c.vocab || typeof c.vocab !== 'object') throw new Error('tokenizer.json: "vocab" missing');
  if (!Number.isInteger(c.unk_id)) throw new Error('tokenizer.json: "unk_id" missing');
  if (!Number.isInteger(c.pad_id)) throw new Error('tokenizer.json: "pad_id" missing');
  return c as WordLevelConfig;
}

/** The tokenizer's split rule: (optionally lower-case, then) runs of letters; everything else separates words. */
export function splitWords(text: string, lowercase = true): string[] {
  const t = lowercase ? text.toLowerCase() : text;
  return t.split(/[^\p{L}]+/u).filter((w) => w.length > 0);
}

/**
 * The words of a prompt that a word-level vocabulary does not know (the text encoder sees them as unk),
 * each once, in order of appearance. `vocabulary` is the list a loaded pack reports (WordLevelTokenizer.knownWords).
 */
export function unknownWords(text: string, vocabulary: Iterable<string>, lowercase = true): string[] {
  const known = vocabulary instanceof Set ? (vocabulary as Set<string>) : new Set(vocabulary);
  const out: string[] = [];
  for (const w of splitWords(text, lowercase)) if (!known.has(w) && !out.includes(w)) out.push(w);
  return out;
}

export class WordLevelTokenizer implements Tokenizer {
  readonly kind = 'word-level' as const;
  readonly maxLength: number;

  constructor(private readonly config: WordLevelConfig) {
    this.maxLength = config.max_length ?? 77;
  }

  words(text: string): string[] {
    return splitWords(text, this.config.lowercase !== false);
  }

  /** The words of `text` this tokenizer maps to unk_id, each once, in order of appearance. */
  unknownWords(text: string): string[] {
    return unknownWords(text, this.knownWords(), this.config.lowercase !== false);
  }

  /** Every word the vocabulary knows (special tokens such as "<unk>" excluded: they can never be typed). */
  knownWords(): string[] {
    return Object.keys(this.config.vocab).filter((w) => splitWords(w, false).join(' ') === w);
  }

  encode(text: string): number[] {
    const c = this.config;
    const body = this.words(text).map((w) => c.vocab[w] ?? c.unk_id);
    const reserve = (c.bos_id !== undefined ? 1 : 0) + (c.eos_id !== undefined ? 1 : 0);
    const ids: number[] = [];
    if (c.bos_id !== undefined) ids.push(c.bos_id);
    ids.push(...body.slice(0, this.maxLength - reserve));
    if (c.eos_id !== undefined) ids.push(c.eos_id);
    while (ids.length < this.maxLength) ids.push(c.pad_id);
    return ids;
  }
}
