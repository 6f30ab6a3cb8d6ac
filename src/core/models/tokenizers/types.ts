export interface Tokenizer {
  readonly kind: 'clip-bpe' | 'word-level';
  /** Sequence length the text encoder expects (77). */
  readonly maxLength: number;
  /** Token ids with start/end tokens, truncated and padded to maxLength. */
  encode(text: string): number[];
  /**
   * A closed (word-level) vocabulary with its split rule, so the page can mark the prompt's unknown words
   * exactly as encode() reads them; null when the tokenizer represents any text (CLIP BPE falls back to bytes).
   */
  vocabulary(): WordVocabulary | null;
}

/** The words a word-level tokenizer knows and the rule that cuts a prompt into words (see splitWords). */
export interface WordVocabulary {
  words: string[];
  /** Regular expression source (compiled with the `u` flag) of the separators between words. */
  split: string;
  lowercase: boolean;
}
