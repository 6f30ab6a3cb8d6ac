export type { Tokenizer } from './types';
export { ClipBpeTokenizer, cleanText, bytesToUnicode } from './clip-bpe';
export { WordLevelTokenizer, parseWordLevelConfig, splitWords, unknownWords, type WordLevelConfig } from './word-level';
