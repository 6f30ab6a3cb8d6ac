/**
 * Word-level tokenizer for small packs (`tokenizer/tokenizer.json` with "type": "word-level"):
 * lower-case, split on the pack's separator pattern (`split_regex`; default: anything that is not a letter),
 * unknown words -> unk_id, optional bos/eos, truncated and padded with pad_id to max_length (77).
 * The built-in pack says `"split_regex": "[^a-z]+"`, the rule its Python trainer used (tools/train/vocab.py):
 * the app must cut a prompt exactly as training did, or "é-dent" is a different token sequence here.
 */
import type { Tokenizer, WordVocabulary } from './types';

export interface WordLevelConfig {
  type: 'word-level';
  vocab: Record<string, number>;
  unk_id: number;
  pad_id: number;
  bos_id?: number;
  eos_id?: number;
  lowercase?: boolean;
  max_length?: number;
  /** Separators between words, as a regular expression source (compiled with the `u` flag). */
  split_regex?: string;
}

/** The split rule of a tokenizer.json without "split_regex": runs of anything that is not a letter. */
export const DEFAULT_WORD_SPLIT = '[^\\p{L}]+';

const splitCache = new Map<string, RegExp>();
function separators(split: string): RegExp {
  let re = splitCache.get(split);
  if (!re) {
    re = new RegExp(split, 'u');
    splitCache.set(split, re);
  }
  return re;
}

export function parseWordLevelConfig(json: unknown): WordLevelConfig {
  const c = json as Partial<WordLevelConfig>;
  if (!c || typeof c !== 'object') throw new Error('tokenizer.json is not an object');
  if (c.type !== 'word-level') throw new Error(`tokenizer.json type: expected "word-level", found ${JSON.stringify(c.type)}`);
  if (!c.vocab || typeof c.vocab !== 'object') throw new Error('tokenizer.json: "vocab" missing');
  if (!Number.isInteger(c.unk_id)) throw new Error('tokenizer.json: "unk_id" missing');
  if (!Number.isInteger(c.pad_id)) throw new Error('tokenizer.json: "pad_id" missing');
  if (c.split_regex !== undefined) {
    if (typeof c.split_regex !== 'string' || c.split_regex === '') throw new Error('tokenizer.json: "split_regex" must be a non-empty string');
    try {
      separators(c.split_regex);
    } catch {
      throw new Error(`tokenizer.json: "split_regex" ${JSON.stringify(c.split_regex)} is not a valid regular expression`);
    }
    if (separators(c.split_regex).test('')) throw new Error(`tokenizer.json: "split_regex" ${JSON.stringify(c.split_regex)} matches the empty string`);
  }
  return c as WordLevelConfig;
}

/**
 * The tokenizer's split rule: (optionally lower-case, then) cut at every match of `split` (a regular
 * expression source; default: runs of non-letters) and drop empty pieces.
 */
export function splitWords(text: string, lowercase = true, split: string = DEFAULT_WORD_SPLIT): string[] {
  const t = lowercase ? text.toLowerCase() : text;
  return t.split(separators(split)).filter((w) => w.length > 0);
}

/**
 * The words of a prompt that a word-level vocabulary does not know (the text encoder sees them as unk),
 * each once, in order of appearance. `vocabulary` is the list a loaded pack reports (WordLevelTokenizer.knownWords).
 */
export function unknownWords(text: string, vocabulary: WordVocabulary, known: ReadonlySet<string> = new Set(vocabulary.words)): string[] {
  const out: string[] = [];
  for (const w of splitWords(text, vocabulary.lowercase, vocabulary.split)) if (!known.has(w) && !out.includes(w)) out.push(w);
  return out;
}

export class WordLevelTokenizer implements Tokenizer {
  readonly kind = 'word-level' as const;
  readonly maxLength: number;

  constructor(private readonly config: WordLevelConfig) {
    this.maxLength = config.max_length ?? 77;
  }

  private get split(): string {
    return this.config.split_regex ?? DEFAULT_WORD_SPLIT;
  }

  words(text: string): string[] {
    return splitWords(text, this.config.lowercase !== false, this.split);
  }

  /** The words of `text` this tokenizer maps to unk_id, each once, in order of appearance. */
  unknownWords(text: string): string[] {
    return unknownWords(text, this.vocabulary());
  }

  /**
   * Every word the vocabulary knows (special tokens such as "<unk>" excluded: they can never be typed),
   * with the split rule that cuts prompts into such words.
   */
  vocabulary(): WordVocabulary {
    const words = Object.keys(this.config.vocab).filter((w) => splitWords(w, false, this.split).join(' ') === w);
    return { words, split: this.split, lowercase: this.config.lowercase !== false };
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
