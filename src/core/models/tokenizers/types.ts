export interface Tokenizer {
  readonly kind: 'clip-bpe' | 'word-level';
  /** Sequence length the text encoder expects (77). */
  readonly maxLength: number;
  /** Token ids with start/end tokens, truncated and padded to maxLength. */
  encode(text: string): number[];
}
