/**
 * CLIP's byte-level BPE tokenizer, as Stable Diffusion uses it: HTML-unescape, collapse whitespace,
 * lower-case, split with CLIP's pattern, byte -> unicode mapping, BPE with a word-final "</w>", then
 * <|startoftext|> ids <|endoftext|>, truncated to 77 and padded (with <|endoftext|> for SD 1.x).
 */
import type { Tokenizer } from './types';

const PATTERN = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/gu;

/** GPT-2/CLIP reversible byte -> printable unicode character map. */
export function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const map: string[] = new Array(256);
  for (const b of bs) map[b] = String.fromCharCode(b);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (map[b] === undefined) map[b] = String.fromCharCode(256 + n++);
  }
  return map;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

function htmlUnescape(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : m;
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

/** SD's text clean-up: unescape HTML twice, collapse whitespace, trim, lower-case. */
export function cleanText(text: string): string {
  return htmlUnescape(htmlUnescape(text)).replace(/\s+/g, ' ').trim().toLowerCase();
}

export interface ClipBpeOptions {
  maxLength?: number;
  /** Pad token string (special_tokens_map.json pad_token); default <|endoftext|>. */
  padToken?: string;
}

export class ClipBpeTokenizer implements Tokenizer {
  readonly kind = 'clip-bpe' as const;
  readonly maxLength: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  private readonly ranks = new Map<string, number>();
  private readonly byteMap = bytesToUnicode();
  private readonly cache = new Map<string, number[]>();

  constructor(private readonly vocab: Record<string, number>, mergesText: string, options: ClipBpeOptions = {}) {
    this.maxLength = options.maxLength ?? 77;
    const lines = mergesText.split('\n');
    let rank = 0;
    for (const line of lines) {
      if (line.startsWith('#version') || !line.trim()) continue;
      const parts = line.split(' ');
      if (parts.length !== 2) continue;
      this.ranks.set(`${parts[0]} ${parts[1]}`, rank++);
    }
    const bos = vocab['<|startoftext|>'];
    const eos = vocab['<|endoftext|>'];
    if (bos === undefined || eos === undefined) throw new Error('vocab.json lacks <|startoftext|> or <|endoftext|>');
    this.bosId = bos;
    this.eosId = eos;
    const pad = options.padToken !== undefined ? vocab[options.padToken] : undefined;
    this.padId = pad ?? eos;
  }

  /** BPE of one pre-token (already mapped to unicode), returning its symbols. */
  bpe(token: string): string[] {
    const chars = Array.from(token);
    if (chars.length === 0) return [];
    let word = chars.slice(0, -1).concat(chars[chars.length - 1] + '</w>');
    while (word.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < word.length - 1; i++) {
        const r = this.ranks.get(`${word[i]} ${word[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const a = word[best];
      const b = word[best + 1];
      const next: string[] = [];
      for (let i = 0; i < word.length; ) {
        if (i < word.length - 1 && word[i] === a && word[i + 1] === b) {
          next.push(a + b);
          i += 2;
        } else {
          next.push(word[i]);
          i += 1;
        }
      }
      word = next;
    }
    return word;
  }

  /** Token ids of the text without start/end tokens, padding or truncation. */
  tokenize(text: string): number[] {
    const ids: number[] = [];
    const enc = new TextEncoder();
    for (const m of cleanText(text).matchAll(PATTERN)) {
      const tok = m[0];
      if (tok === '<|startoftext|>' || tok === '<|endoftext|>') {
        ids.push(this.vocab[tok]);
        continue;
      }
      let cached = this.cache.get(tok);
      if (!cached) {
        const mapped = Array.from(enc.encode(tok), (b) => this.byteMap[b]).join('');
        cached = [];
        for (const sym of this.bpe(mapped)) {
          const id = this.vocab[sym];
          if (id !== undefined) cached.push(id);
          else {
            // Not in the vocabulary (tiny vocabularies): fall back to its characters.
            const chars = Array.from(sym.endsWith('</w>') ? sym.slice(0, -4) : sym);
            chars.forEach((c, i) => {
              const cid = this.vocab[i === chars.length - 1 && sym.endsWith('</w>') ? c + '</w>' : c];
              if (cid !== undefined) cached!.push(cid);
            });
          }
        }
        this.cache.set(tok, cached);
      }
      ids.push(...cached);
    }
    return ids;
  }

  /** Byte-level BPE represents any text: nothing is "not understood". */
  vocabulary(): null {
    return null;
  }

  encode(text: string): number[] {
    const body = this.tokenize(text).slice(0, this.maxLength - 2);
    const ids = [this.bosId, ...body, this.eosId];
    while (ids.length < this.maxLength) ids.push(this.padId);
    return ids;
  }
}
