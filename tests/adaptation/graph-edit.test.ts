import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import {
  OnnxFormatError,
  UnsupportedDecoderError,
  exposeFinalConvInput,
  float32ToHalfArray,
  graphOutputNames,
  halfArrayToFloat32,
  readGraph,
} from '../../src/core/models/onnx';
import { conv2d, mulberry32, resolveConv } from '../../src/core/diffusion/adaptation';

const FIX = join(__dirname, 'fixtures');
const ROOT = join(__dirname, '..', '..');
const reference = JSON.parse(readFileSync(join(FIX, 'conv_out.json'), 'utf8')) as {
  weightShape: number[];
  weight: number[];
  bias: number[];
};

interface Case {
  name: string;
  model: string;
  external?: string[];
  /** The random test decoder whose conv_out weights are in conv_out.json. */
  referenceWeights?: 'fp32' | 'fp16';
}

const cases: Case[] = [
  { name: 'tiny SD decoder fp32', model: join(FIX, 'tiny-sd-decoder-fp32.onnx'), referenceWeights: 'fp32' },
  { name: 'tiny SD decoder fp16', model: join(FIX, 'tiny-sd-decoder-fp16.onnx'), referenceWeights: 'fp16' },
  { name: 'tiny SD decoder fp16 + Identity/Cast tail', model: join(FIX, 'tiny-sd-decoder-cast.onnx'), referenceWeights: 'fp16' },
  {
    name: 'tiny SD decoder, external data',
    model: join(FIX, 'tiny-sd-decoder-ext.onnx'),
    external: [join(FIX, 'tiny-sd-decoder-ext.onnx_data')],
    referenceWeights: 'fp32',
  },
];
// Decoders of the other packs in the repository (test packs, the built-in model) when present.
for (const dir of [join(ROOT, 'tests', 'fixtures', 'packs'), join(ROOT, 'public', 'models')]) {
  if (!existsSync(dir)) continue;
  for (const pack of readdirSync(dir)) {
    const model = join(dir, pack, 'vae_decoder', 'model.onnx');
    if (!existsSync(model)) continue;
    const data = model + '_data';
    cases.push({ name: `${pack} decoder`, model, external: existsSync(data) ? [data] : undefined });
  }
}

function externalFiles(c: Case) {
  return c.external?.map((p) => ({ path: p.split('/').pop()!, data: new Uint8Array(readFileSync(p)) }));
}

function sessionOptions(c: Case): ort.InferenceSession.SessionOptions {
  const ext = externalFiles(c);
  return ext ? { externalData: ext } : {};
}

async function latentFeed(session: ort.InferenceSession, seed: number): Promise<Record<string, ort.Tensor>> {
  const meta = session.inputMetadata[0];
  if (!meta.isTensor) throw new Error('tensor input expected');
  const shape = meta.shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? 1 : 8));
  const n = shape.reduce((a, b) => a * b, 1);
  const rand = mulberry32(seed);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = (rand() + rand() + rand() - 1.5) * 2;
  const t = meta.type === 'float16' ? new ort.Tensor('float16', float32ToHalfArray(v), shape) : new ort.Tensor('float32', v, shape);
  return { [meta.name]: t };
}

function asFloat32(t: ort.Tensor): Float32Array {
  return t.type === 'float16' ? halfArrayToFloat32(t.data as Uint16Array) : (t.data as Float32Array);
}

function bytesOf(t: ort.Tensor): Buffer {
  const d = t.data as Float32Array;
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
}

describe('exposeFinalConvInput', () => {
  for (const c of cases) {
    it(`${c.name}: keeps the output bit-identical and adds the features output`, async () => {
      const bytes = new Uint8Array(readFileSync(c.model));
      const edit = exposeFinalConvInput(bytes, { external: externalFiles(c) });
      expect(edit.alreadyExposed).toBe(false);
      const outputsBefore = graphOutputNames(bytes);
      expect(graphOutputNames(edit.model)).toEqual([...outputsBefore, edit.conv.featuresName]);

      const original = await ort.InferenceSession.create(bytes, sessionOptions(c));
      const edited = await ort.InferenceSession.create(edit.model, sessionOptions(c));
      expect(edited.outputNames).toContain(edit.conv.featuresName);
      const feeds = await latentFeed(original, 7);
      const a = await original.run(feeds);
      const b = await edited.run(feeds);
      const out = edit.conv.outputName;
      expect(b[out].dims).toEqual(a[out].dims);
      expect(b[out].type).toBe(a[out].type);
      expect(bytesOf(b[out]).equals(bytesOf(a[out]))).toBe(true);

      const f = b[edit.conv.featuresName];
      const [cout, cin] = edit.conv.weightDims;
      expect(f.type).toBe(edit.conv.featuresType);
      expect(f.dims.length).toBe(4);
      expect(f.dims[0]).toBe(a[out].dims[0]);
      expect(f.dims[1]).toBe(cin);
      expect(cout).toBe(a[out].dims[1]);
      // the features output's declared shape: batch and spatial dims follow the image output's
      const meta = edited.outputMetadata.find((m) => m.name === edit.conv.featuresName);
      expect(meta?.isTensor).toBe(true);
      if (meta?.isTensor) expect(meta.shape[1]).toBe(cin);

      // conv(features, weights read from the protobuf) reproduces the decoder's output
      const [, , fh, fw] = f.dims as number[];
      const rc = resolveConv(edit.conv, fh, fw);
      expect([rc.outH, rc.outW]).toEqual([a[out].dims[2], a[out].dims[3]]);
      const mine = conv2d(asFloat32(f), fh, fw, rc, edit.conv.weight, edit.conv.bias);
      const theirs = asFloat32(a[out]);
      const half = f.type === 'float16' || a[out].type === 'float16';
      let maxErr = 0;
      let maxAbs = 0;
      for (let i = 0; i < mine.length; i++) {
        maxErr = Math.max(maxErr, Math.abs(mine[i] - theirs[i]));
        maxAbs = Math.max(maxAbs, Math.abs(theirs[i]));
      }
      expect(maxErr).toBeLessThan(half ? 2e-2 * Math.max(1, maxAbs) : 1e-4 * Math.max(1, maxAbs));
      await original.release();
      await edited.release();
    });
  }

  it('reads the final convolution weights (raw fp32, fp16, external data)', () => {
    for (const c of cases.filter((x) => x.referenceWeights)) {
      const { conv } = exposeFinalConvInput(new Uint8Array(readFileSync(c.model)), { external: externalFiles(c) });
      expect(conv.weightDims).toEqual(reference.weightShape);
      expect(conv.pads).toEqual([1, 1, 1, 1]);
      expect(conv.strides).toEqual([1, 1]);
      const tol = c.referenceWeights === 'fp16' ? 1e-3 : 0;
      for (let i = 0; i < reference.weight.length; i++) {
        expect(Math.abs(conv.weight[i] - reference.weight[i])).toBeLessThanOrEqual(tol + Math.abs(reference.weight[i]) * tol);
      }
      for (let i = 0; i < reference.bias.length; i++) {
        expect(Math.abs(conv.bias[i] - reference.bias[i])).toBeLessThanOrEqual(tol + Math.abs(reference.bias[i]) * tol);
      }
      expect(conv.featuresType).toBe(c.referenceWeights === 'fp16' ? 'float16' : 'float32');
    }
  });

  it('follows Identity and Cast between the convolution and the output', () => {
    const { conv } = exposeFinalConvInput(new Uint8Array(readFileSync(join(FIX, 'tiny-sd-decoder-cast.onnx'))));
    expect(conv.tail).toEqual(['Identity', 'Cast']);
    expect(conv.outputName).toBe('sample');
  });

  it('copies every byte outside the graph and appends only the new output', () => {
    const bytes = new Uint8Array(readFileSync(join(FIX, 'tiny-sd-decoder-fp32.onnx')));
    const edit = exposeFinalConvInput(bytes);
    const g0 = readGraph(bytes);
    const g1 = readGraph(edit.model);
    const payload0 = bytes.subarray(g0.graphField.valueStart, g0.graphField.valueEnd);
    const payload1 = edit.model.subarray(g1.graphField.valueStart, g1.graphField.valueEnd);
    expect(Buffer.from(payload1.subarray(0, payload0.length)).equals(Buffer.from(payload0))).toBe(true);
    expect(Buffer.from(edit.model.subarray(0, g1.graphField.start)).equals(Buffer.from(bytes.subarray(0, g0.graphField.start)))).toBe(true);
    expect(g1.nodes.length).toBe(g0.nodes.length);
    const added = g1.outputs[g1.outputs.length - 1];
    expect(added.name).toBe(edit.conv.featuresName);
    expect(added.elemType).toBe(1);
    expect(added.shape).toEqual(['batch', 16, 'height_out', 'width_out']);
    // editing twice is a no-op
    const again = exposeFinalConvInput(edit.model);
    expect(again.alreadyExposed).toBe(true);
    expect(again.model).toBe(edit.model);
  });

  it('rejects a decoder whose last operation is not a convolution, with a clear message', () => {
    const bytes = new Uint8Array(readFileSync(join(FIX, 'tiny-decoder-tanh.onnx')));
    expect(() => exposeFinalConvInput(bytes)).toThrow(UnsupportedDecoderError);
    expect(() => exposeFinalConvInput(bytes)).toThrow(/last operation is Tanh, not a convolution/);
  });

  it('says which external file is missing', () => {
    const bytes = new Uint8Array(readFileSync(join(FIX, 'tiny-sd-decoder-ext.onnx')));
    expect(() => exposeFinalConvInput(bytes)).toThrow(OnnxFormatError);
    expect(() => exposeFinalConvInput(bytes)).toThrow(/tiny-sd-decoder-ext\.onnx_data/);
  });

  it('rejects bytes that are not an ONNX model', () => {
    expect(() => exposeFinalConvInput(new TextEncoder().encode('<!doctype html><html>'))).toThrow(OnnxFormatError);
  });
});
