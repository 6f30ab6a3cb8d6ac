export type { Tokenizer } from './types';
export { ClipBpeTokenizer, cleanText, bytesToUnicode } from './clip-bpe';
export { WordLevelTokenizer, parseWordLevelConfig, type WordLevelConfig } from './word-level';
