import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Sha256, sha256Hex } from './sha256';

const enc = (s: string) => new TextEncoder().encode(s);
const node = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('Sha256 (incremental, pure TypeScript)', () => {
  it('gives the standard FIPS 180-2 / NIST vectors', () => {
    expect(new Sha256().hex()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(new Sha256().update(enc('abc')).hex()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(new Sha256().update(enc('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).hex()).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    expect(
      new Sha256().update(enc('abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu')).hex(),
    ).toBe('cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1');
    // one million 'a', fed in uneven chunks
    const h = new Sha256();
    const a = new Uint8Array(1000).fill(0x61);
    for (let i = 0; i < 1000; i++) h.update(a.subarray(0, 1000));
    expect(h.hex()).toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  });

  it('matches node:crypto on random inputs, whatever the chunking (block edges 55/56/63/64/65 included)', async () => {
    const sizes = [1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4096, 100_003];
    for (let r = 0; r < 20; r++) sizes.push(Math.floor(Math.random() * 70_000));
    for (const n of sizes) {
      const data = new Uint8Array(randomBytes(n));
      const want = node(data);
      expect(new Sha256().update(data).hex()).toBe(want);
      // random chunk boundaries
      const h = new Sha256();
      let o = 0;
      while (o < n) {
        const step = 1 + Math.floor(Math.random() * (Math.random() < 0.5 ? 70 : 9000));
        h.update(data.subarray(o, Math.min(n, o + step)));
        o += step;
      }
      expect(h.bytes).toBe(n);
      expect(h.hex()).toBe(want);
      expect(await sha256Hex(data)).toBe(want);
    }
  });

  it('refuses to be used after its digest', () => {
    const h = new Sha256().update(enc('x'));
    h.hex();
    expect(() => h.update(enc('y'))).toThrow();
    expect(() => h.hex()).toThrow();
  });
});
