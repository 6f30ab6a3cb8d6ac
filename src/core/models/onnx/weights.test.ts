import { describe, expect, it } from 'vitest';
import { Writer } from './protobuf';
import { DataType, readGraph } from './model';
import { weightSummary } from './weights';

function tensor(name: string, type: number, dims: number[]): Uint8Array {
  const w = new Writer();
  for (const d of dims) w.varintField(1, d);
  w.varintField(2, type).stringField(8, name);
  const elem = type === DataType.FLOAT ? 4 : type === DataType.DOUBLE ? 8 : 2;
  return w.bytesField(9, new Uint8Array(dims.reduce((a, b) => a * b, 1) * elem)).finish();
}

function node(op: string, inputs: string[], outputs: string[], to?: number): Uint8Array {
  const w = new Writer();
  for (const i of inputs) w.stringField(1, i);
  for (const o of outputs) w.stringField(2, o);
  w.stringField(4, op);
  if (to !== undefined) w.bytesField(5, new Writer().stringField(1, 'to').varintField(3, to).varintField(20, 2).finish());
  return w.finish();
}

function model(nodes: Uint8Array[], inits: Uint8Array[]): Uint8Array {
  const g = new Writer();
  for (const n of nodes) g.bytesField(1, n);
  for (const t of inits) g.bytesField(5, t);
  return new Writer().varintField(1, 8).bytesField(7, g.finish()).finish();
}

describe('weightSummary', () => {
  it('counts 16-bit initializers read by Cast(to=FLOAT) once each, and nothing for fp16 computed in fp16', () => {
    const g = readGraph(
      model(
        [
          node('Cast', ['w'], ['w32'], DataType.FLOAT),
          node('Cast', ['w'], ['w32b'], DataType.FLOAT), // the same weight cast twice: counted once
          node('Cast', ['b'], ['b16'], DataType.FLOAT16), // bf16 -> fp16: not a cast to fp32
          node('Add', ['x', 'v'], ['y']), // fp16 weight used as fp16
          node('Cast', ['x'], ['x32'], DataType.FLOAT), // not an initializer
        ],
        [tensor('w', DataType.FLOAT16, [10, 10]), tensor('v', DataType.FLOAT16, [50]), tensor('b', DataType.BFLOAT16, [8]), tensor('f', DataType.FLOAT, [3]), tensor('i', DataType.INT64, [4])],
      ),
    );
    expect(weightSummary(g)).toEqual({ bytesByType: { float16: 300, bfloat16: 16, float32: 12 }, weightType: 'float16', castToFloat32Bytes: 200 });
  });

  it('an fp16 export without casts: float16, nothing cast; no float weights at all: float32', () => {
    const fp16 = readGraph(model([node('Add', ['x', 'v'], ['y'])], [tensor('v', DataType.FLOAT16, [1000]), tensor('f', DataType.FLOAT, [10])]));
    expect(weightSummary(fp16)).toMatchObject({ weightType: 'float16', castToFloat32Bytes: 0 });
    expect(weightSummary(readGraph(model([node('Relu', ['x'], ['y'])], [])))).toEqual({ bytesByType: {}, weightType: 'float32', castToFloat32Bytes: 0 });
  });
});
