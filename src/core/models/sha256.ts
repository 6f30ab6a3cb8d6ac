/**
 * SHA-256, the one hash of model packs (every file's `sha256` in `defect-studio.json`).
 *
 * - `sha256Hex(bytes)`: a whole buffer, through the platform's WebCrypto (fast, native).
 * - `Sha256`: incremental, in pure TypeScript (FIPS 180-4), for bytes that arrive in chunks: a download is
 *   hashed WHILE it streams into storage, so a model's bytes are never gathered in memory just to be hashed.
 *   WebCrypto has no incremental API. Its state can be rebuilt by hashing bytes already stored (resume).
 *
 * Both give lowercase hex; tests/sha256.test.ts checks them against node:crypto and the standard vectors.
 */

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
  0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
  0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
  0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const INIT = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

function toHex(words: Uint32Array): string {
  let s = '';
  for (let i = 0; i < words.length; i++) s += (words[i] >>> 0).toString(16).padStart(8, '0');
  return s;
}

/** Incremental SHA-256: `update` any number of chunks, then `hex()` once. */
export class Sha256 {
  private readonly h = new Uint32Array(INIT);
  private readonly w = new Uint32Array(64);
  /** A partial 64-byte block waiting for more input. */
  private readonly block = new Uint8Array(64);
  private blockLen = 0;
  /** Bytes hashed so far. */
  bytes = 0;
  private finished = false;

  update(data: Uint8Array): this {
    if (this.finished) throw new Error('Sha256: update after hex()');
    let i = 0;
    const n = data.length;
    this.bytes += n;
    if (this.blockLen > 0) {
      const take = Math.min(64 - this.blockLen, n);
      this.block.set(data.subarray(0, take), this.blockLen);
      this.blockLen += take;
      i = take;
      if (this.blockLen < 64) return this;
      this.compress(this.block, 0);
      this.blockLen = 0;
    }
    for (; i + 64 <= n; i += 64) this.compress(data, i);
    if (i < n) {
      this.block.set(data.subarray(i), 0);
      this.blockLen = n - i;
    }
    return this;
  }

  /** The digest as 64 lowercase hex digits; the hash cannot be updated afterwards. */
  hex(): string {
    if (this.finished) throw new Error('Sha256: hex() called twice');
    this.finished = true;
    const bitsHi = Math.floor(this.bytes / 0x20000000);
    const bitsLo = (this.bytes * 8) >>> 0;
    const pad = new Uint8Array(this.blockLen < 56 ? 64 : 128);
    pad.set(this.block.subarray(0, this.blockLen));
    pad[this.blockLen] = 0x80;
    const v = new DataView(pad.buffer);
    v.setUint32(pad.length - 8, bitsHi);
    v.setUint32(pad.length - 4, bitsLo);
    for (let o = 0; o < pad.length; o += 64) this.compress(pad, o);
    return toHex(this.h);
  }

  private compress(d: Uint8Array, o: number): void {
    const w = this.w;
    for (let t = 0; t < 16; t++) {
      const j = o + t * 4;
      w[t] = (d[j] << 24) | (d[j + 1] << 16) | (d[j + 2] << 8) | d[j + 3];
    }
    for (let t = 16; t < 64; t++) {
      const a = w[t - 15];
      const b = w[t - 2];
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
    }
    const h = this.h;
    let A = h[0], B = h[1], C = h[2], D = h[3], E = h[4], F = h[5], G = h[6], H = h[7];
    for (let t = 0; t < 64; t++) {
      const S1 = ((E >>> 6) | (E << 26)) ^ ((E >>> 11) | (E << 21)) ^ ((E >>> 25) | (E << 7));
      const ch = (E & F) ^ (~E & G);
      const t1 = (H + S1 + ch + K[t] + w[t]) | 0;
      const S0 = ((A >>> 2) | (A << 30)) ^ ((A >>> 13) | (A << 19)) ^ ((A >>> 22) | (A << 10));
      const maj = (A & B) ^ (A & C) ^ (B & C);
      const t2 = (S0 + maj) | 0;
      H = G;
      G = F;
      F = E;
      E = (D + t1) | 0;
      D = C;
      C = B;
      B = A;
      A = (t1 + t2) | 0;
    }
    h[0] = (h[0] + A) | 0;
    h[1] = (h[1] + B) | 0;
    h[2] = (h[2] + C) | 0;
    h[3] = (h[3] + D) | 0;
    h[4] = (h[4] + E) | 0;
    h[5] = (h[5] + F) | 0;
    h[6] = (h[6] + G) | 0;
    h[7] = (h[7] + H) | 0;
  }
}

/** SHA-256 of a whole buffer (WebCrypto), as 64 lowercase hex digits. */
export async function sha256Hex(data: Uint8Array): Promise<string> {
  // WebCrypto's one-shot digest refuses 2 GiB and more (a 3.4 GB fp32 UNet's data): the incremental hash then.
  if (data.byteLength >= 2 ** 31) return new Sha256().update(data).hex();
  const digest = await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>);
  const b = new Uint8Array(digest);
  let s = '';
  for (let i = 0; i < b.length; i++) s += b[i].toString(16).padStart(2, '0');
  return s;
}
