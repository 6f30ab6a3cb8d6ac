export type { Tokenizer, WordVocabulary } from './types';
export { ClipBpeTokenizer, cleanText, bytesToUnicode } from './clip-bpe';
export { WordLevelTokenizer, parseWordLevelConfig, splitWords, unknownWords, DEFAULT_WORD_SPLIT, type WordLevelConfig } from './word-level';
