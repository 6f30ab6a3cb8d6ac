import { describe, expect, it } from 'vitest';
import { Writer, readSignedVarint, readVarint, repeatedInt64, scanFields, fieldString } from './protobuf';
import { buildGramModel } from './build';
import { readGraph } from './model';
import { floatToHalf, halfToFloat } from './half';

describe('protobuf wire format', () => {
  it('round-trips varints, including 64-bit and negative int64 values', () => {
    for (const v of [0, 1, 127, 128, 300, 2 ** 31, 2 ** 32 + 5, 2 ** 53 - 1]) {
      const bytes = new Writer().varint(v).finish();
      expect(readVarint(bytes, 0)).toEqual([v, bytes.length]);
    }
    for (const v of [-1, -2, -300, -(2 ** 32) - 5]) {
      const bytes = new Writer().varint(v).finish();
      expect(bytes.length).toBe(10);
      expect(readSignedVarint(bytes, 0)[0]).toBe(v);
    }
    expect(Array.from(new Writer().varint(300).finish())).toEqual([0xac, 0x02]);
  });

  it('scans fields of every wire type and reads packed and unpacked repeated int64', () => {
    const w = new Writer().varintField(1, 5).stringField(2, 'hi');
    w.tag(3, 5).raw(new Uint8Array([0, 0, 0x80, 0x3f])); // fixed32 1.0
    w.tag(4, 1).raw(new Uint8Array(8)); // fixed64
    w.varintField(6, 7).varintField(6, 8);
    w.bytesField(6, new Writer().varint(9).varint(-1).finish());
    const bytes = w.finish();
    const fields = scanFields(bytes);
    expect(fields.map((f) => [f.no, f.wire])).toEqual([[1, 0], [2, 2], [3, 5], [4, 1], [6, 0], [6, 0], [6, 2]]);
    expect(fieldString(bytes, fields[1])).toBe('hi');
    expect(repeatedInt64(bytes, fields, 6)).toEqual([7, 8, 9, -1]);
    expect(fields[fields.length - 1].end).toBe(bytes.length);
  });

  it('rejects truncated input', () => {
    expect(() => scanFields(new Uint8Array([0x12, 0x05, 0x61]))).toThrow(/past/);
    expect(() => scanFields(new Uint8Array([0x08, 0x80]))).toThrow(/truncated/);
  });

  it('builds models the reader understands', () => {
    const g = readGraph(buildGramModel());
    expect(g.nodes.map((n) => n.opType)).toEqual(['Gemm']);
    expect(g.inputs.map((i) => [i.name, i.elemType, i.shape])).toEqual([['rows', 1, ['n', 'k']]]);
    expect(g.outputs[0].name).toBe('gram');
  });

  it('converts half precision both ways', () => {
    for (const v of [0, 1, -2, 0.5, 65504, 6.103515625e-5, 5.960464477539063e-8, 1 / 3]) {
      const h = floatToHalf(v);
      expect(Math.abs(halfToFloat(h) - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11);
    }
    expect(floatToHalf(1)).toBe(0x3c00);
    expect(floatToHalf(-2)).toBe(0xc000);
    expect(floatToHalf(1e6)).toBe(0x7c00);
    expect(Number.isNaN(halfToFloat(floatToHalf(NaN)))).toBe(true);
  });
});
