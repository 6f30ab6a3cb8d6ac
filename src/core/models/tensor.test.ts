import { describe, expect, it } from 'vitest';
import { floatToHalf, halfToFloat } from './onnx/half';
import { makeTensor, tensorToFloat32 } from './tensor';

describe('float16', () => {
  it('converts known values exactly', () => {
    const cases: [number, number][] = [
      [0, 0x0000], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff], [2 ** -24, 0x0001], [2 ** -14, 0x0400],
      [0.333251953125, 0x3555], [Infinity, 0x7c00], [70000, 0x7c00],
    ];
    for (const [f, h] of cases) {
      expect(floatToHalf(f)).toBe(h);
      if (Number.isFinite(f) && f < 65520) expect(halfToFloat(h)).toBe(f);
    }
    expect(Number.isNaN(halfToFloat(floatToHalf(NaN)))).toBe(true);
  });

  it('rounds to nearest even', () => {
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie -> even
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });

  it('makes tensors of the requested type and reads them back', () => {
    const t = makeTensor('float16', [0.5, -1.25], [2]);
    expect(t.data).toBeInstanceOf(Uint16Array);
    expect(Array.from(tensorToFloat32(t))).toEqual([0.5, -1.25]);
    const i = makeTensor('int64', [981.4], [1]);
    expect((i.data as BigInt64Array)[0]).toBe(981n);
    expect(Array.from(makeTensor('int32', [3, 4], [2]).data as Int32Array)).toEqual([3, 4]);
  });
});
