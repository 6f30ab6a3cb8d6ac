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

export class WordLevelTokenizer implements Tokenizer {
  readonly kind = 'word-level' as const;
  readonly maxLength: number;

  constructor(private readonly config: WordLevelConfig) {
    this.maxLength = config.max_length ?? 77;
  }

  words(text: string): string[] {
    const t = this.config.lowercase === false ? text : text.toLowerCase();
    return t.split(/[^\p{L}]+/u).filter((w) => w.length > 0);
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
