/**
 * Tokenizer ids. The CLIP expectations come from (a) the widely published SD-1.5 ids of "a photo of a cat"
 * and (b) an independent Python run of OpenAI CLIP's simple_tokenizer algorithm (regex module, html.unescape,
 * whitespace clean-up, lower-case, BPE) over the same vocab.json / merges.txt.
 * The real CLIP vocabulary is read from ../shared/clip-tokenizer/ (outside the repo); those tests are
 * skipped where it is absent.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClipBpeTokenizer, WordLevelTokenizer, cleanText, parseWordLevelConfig, splitWords, unknownWords } from './index';

const CLIP_DIR = join(process.cwd(), '..', 'shared', 'clip-tokenizer');
const hasClip = existsSync(join(CLIP_DIR, 'vocab.json'));
const PACKS = join(process.cwd(), 'tests', 'fixtures', 'packs');

const pad = (ids: number[], padId = 49407) => [49406, ...ids, 49407, ...new Array(75 - ids.length).fill(padId)];

describe.skipIf(!hasClip)('CLIP BPE (the real SD-1.5 vocabulary)', () => {
  const tok = hasClip
    ? new ClipBpeTokenizer(JSON.parse(readFileSync(join(CLIP_DIR, 'vocab.json'), 'utf8')), readFileSync(join(CLIP_DIR, 'merges.txt'), 'utf8'))
    : (null as unknown as ClipBpeTokenizer);

  it('"a photo of a cat" -> 49406 320 1125 539 320 2368 49407, padded with 49407 to 77', () => {
    const ids = tok.encode('a photo of a cat');
    expect(ids.length).toBe(77);
    expect(ids).toEqual(pad([320, 1125, 539, 320, 2368]));
  });

  it.each([
    ['A hazelnut with a HOLE', [320, 35816, 593, 320, 5341]],
    ['scratched metal surface, 1080p!!', [48831, 4044, 7744, 267, 272, 271, 279, 271, 335, 748]],
    ["it's  a   Crack &amp; stain", [585, 568, 320, 10334, 261, 14603]],
    ['screw_thread-damage (contamination)', [14225, 318, 8815, 268, 6822, 263, 31770, 264]],
    ['café  naïve', [15304, 1097, 35689, 563]],
  ])('%s', (text, ids) => {
    expect(tok.encode(text as string)).toEqual(pad(ids as number[]));
  });

  it('empty prompt and truncation to 77 with the end token last', () => {
    expect(tok.encode('')).toEqual(pad([]));
    const long = tok.encode('cat '.repeat(100));
    expect(long.length).toBe(77);
    expect(long[0]).toBe(49406);
    expect(long[76]).toBe(49407);
    expect(long.slice(1, 76).every((v) => v === 2368)).toBe(true);
  });

  it('a pad token from special_tokens_map.json (SD 2.x pads with "!" = 0)', () => {
    const t2 = new ClipBpeTokenizer(JSON.parse(readFileSync(join(CLIP_DIR, 'vocab.json'), 'utf8')), readFileSync(join(CLIP_DIR, 'merges.txt'), 'utf8'), { padToken: '!' });
    expect(t2.encode('a cat')).toEqual([49406, 320, 2368, 49407, ...new Array(73).fill(0)]);
  });
});

describe('CLIP BPE (tiny vocabulary of the test packs)', () => {
  const dir = join(PACKS, 'tiny-sd', 'tokenizer');
  const vocab = JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')) as Record<string, number>;
  const tok = new ClipBpeTokenizer(vocab, readFileSync(join(dir, 'merges.txt'), 'utf8'));

  it('merges known words into one token and falls back to bytes for others', () => {
    const ids = tok.encode('A Scratch on metal');
    expect(ids[0]).toBe(vocab['<|startoftext|>']);
    expect(ids[1]).toBe(vocab['a</w>']);
    expect(ids[2]).toBe(vocab['scratch</w>']);
    expect(ids.slice(3, 5)).toEqual([vocab['o'], vocab['n</w>']]);
    expect(ids[5]).toBe(vocab['metal</w>']);
    expect(ids[6]).toBe(vocab['<|endoftext|>']);
    expect(ids.length).toBe(77);
  });

  it('cleans text like SD: HTML entities, whitespace, case', () => {
    expect(cleanText('  It&amp;#39;s   A&lt;B  ')).toBe("it's a<b");
    expect(cleanText('  A&amp;B\n\t  C  ')).toBe('a&b c');
  });
});

describe('word-level tokenizer', () => {
  const cfg = parseWordLevelConfig(JSON.parse(readFileSync(join(PACKS, 'tiny-builtin', 'tokenizer', 'tokenizer.json'), 'utf8')));
  const tok = new WordLevelTokenizer(cfg);

  it('lower-cases, splits on non-letters, maps unknown words to unk, adds bos/eos, pads to 77', () => {
    const ids = tok.encode('A Scratch, on METAL-surface42wood');
    const v = cfg.vocab;
    expect(ids.slice(0, 8)).toEqual([2, v.a, v.scratch, 1, v.metal, v.surface, v.wood, 3]);
    expect(ids.length).toBe(77);
    expect(ids.slice(8).every((x) => x === 0)).toBe(true);
  });

  it('truncates keeping the end token', () => {
    const ids = tok.encode('hole '.repeat(200));
    expect(ids.length).toBe(77);
    expect(ids[0]).toBe(2);
    expect(ids[76]).toBe(3);
  });

  it('reports exactly the words it maps to unk ("not understood"), once each, in order', () => {
    const v = cfg.vocab;
    expect(v.rust).toBeUndefined();
    expect(v.bracket).toBeUndefined();
    const text = 'Rust on a BRACKET, rust-scratch; Überzug';
    expect(tok.unknownWords(text)).toEqual(['rust', 'on', 'bracket', 'überzug']);
    // the same words the encoder turns into unk_id, and only those
    const words = tok.words(text);
    const unkIdx = tok.encode(text).slice(1, 1 + words.length).flatMap((id, i) => (id === cfg.unk_id ? [words[i]] : []));
    expect([...new Set(unkIdx)]).toEqual(tok.unknownWords(text));
    expect(tok.unknownWords('a scratch')).toEqual([]);
    expect(tok.unknownWords('')).toEqual([]);
    // the page's path: the vocabulary a loaded pack reports (specials excluded) with its split rule
    const vocab = tok.vocabulary();
    expect(vocab.words).toContain('scratch');
    expect(vocab.words.some((w) => w.startsWith('<'))).toBe(false);
    expect(vocab.split).toBe('[^\\p{L}]+'); // this fixture's tokenizer.json has no split_regex: the default
    expect(unknownWords(text, vocab)).toEqual(tok.unknownWords(text));
    expect(splitWords('METAL-surface42wood')).toEqual(['metal', 'surface', 'wood']);
  });

  it('rejects a malformed tokenizer.json', () => {
    expect(() => parseWordLevelConfig({ type: 'bpe' })).toThrow(/word-level/);
    expect(() => parseWordLevelConfig({ type: 'word-level', vocab: {}, pad_id: 0 })).toThrow(/unk_id/);
    const base = { type: 'word-level', vocab: {}, unk_id: 1, pad_id: 0 };
    expect(() => parseWordLevelConfig({ ...base, split_regex: '[^a-z' })).toThrow(/split_regex.*not a valid regular expression/);
    expect(() => parseWordLevelConfig({ ...base, split_regex: 'x*' })).toThrow(/split_regex.*empty string/);
    expect(() => parseWordLevelConfig({ ...base, split_regex: 7 })).toThrow(/split_regex.*non-empty string/);
  });
});

describe('the built-in pack cuts prompts exactly as its Python trainer did', () => {
  const dir = join(process.cwd(), 'public', 'models', 'ds-surface-v1', 'tokenizer');
  const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as Record<string, unknown>;
  const tok = new WordLevelTokenizer(parseWordLevelConfig(json));
  // letters outside a-z are separators for the trainer (tools/train/vocab.py: [^a-z]+), not parts of words
  const prompts = ['a scratch', 'A Wood surface, with a CRACK!', 'éraflure-dent', 'Überzug on metal', 'a ﬁne crack', 'naïve rust_dent', 'a ΚΡΑΚ dent', 'İron dent', '', '  --  '];

  it('follows the split_regex it declares, and its own examples', () => {
    expect(json.split_regex).toBe('[^a-z]+');
    expect(tok.words('éraflure-dent')).toEqual(['raflure', 'dent']);
    expect(tok.vocabulary().split).toBe('[^a-z]+');
    expect(tok.unknownWords('Überzug on a dent')).toEqual(['berzug']);
    for (const [text, ids] of Object.entries(json.examples as Record<string, number[]>)) {
      expect(tok.encode(text).slice(0, ids.length), text).toEqual(ids);
    }
  });

  const python = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'pass']).status === 0);
  // (the words, not the ids: vocab.py's vocabulary is the one being trained, which may be newer than the shipped pack's)
  it.skipIf(!python)('cuts every prompt into the words of tools/train/vocab.py.words, non-ASCII ones included', () => {
    const code = 'import json,sys; sys.path.insert(0, "tools/train"); import vocab; print(json.dumps([vocab.words(t) for t in json.load(sys.stdin)]))';
    const r = spawnSync(python!, ['-c', code], { input: JSON.stringify(prompts), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const pyWords = JSON.parse(r.stdout) as string[][];
    expect(pyWords[2]).toEqual(['raflure', 'dent']);
    expect(prompts.map((t) => tok.words(t))).toEqual(pyWords);
  });
});
