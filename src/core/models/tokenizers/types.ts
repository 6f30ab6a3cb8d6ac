export interface Tokenizer {
  readonly kind: 'clip-bpe' | 'word-level';
  /** Sequence length the text encoder expects (77). */
  readonly maxLength: number;
  /** Token ids with start/end tokens, truncated and padded to maxLength. */
  encode(text: string): number[];
  /**
   * The words a closed (word-level) vocabulary knows, so the page can mark the prompt's unknown words;
   * null when the tokenizer represents any text (CLIP BPE falls back to bytes).
   */
  knownWords(): string[] | null;
}
