/**
 * Checks a VAE decoder for decoder adaptation and optionally writes the edited model (the same code the app
 * runs: src/core/models/onnx/decoder-head.ts).
 *
 *   node --import tsx tools/adaptation/check-decoder.ts DECODER.onnx [--out EDITED.onnx]
 *
 * External data next to the model (`<model>_data` or any file its tensors name) is read automatically.
 * Exit code 0 and a JSON summary when supported; 2 and one line on stderr when not.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { UnsupportedDecoderError, exposeFinalConvInput, readGraph, TENSOR, scanFields, fieldString } from '../../src/core/models/onnx';

function externalFiles(modelPath: string, bytes: Uint8Array) {
  const g = readGraph(bytes);
  const names = new Set<string>();
  for (const f of g.initializers.values()) {
    for (const tf of scanFields(bytes, f.valueStart, f.valueEnd)) {
      if (tf.no !== TENSOR.externalData) continue;
      const kv = scanFields(bytes, tf.valueStart, tf.valueEnd);
      const key = kv.find((x) => x.no === 1);
      const value = kv.find((x) => x.no === 2);
      if (key && value && fieldString(bytes, key) === 'location') names.add(fieldString(bytes, value));
    }
  }
  const dir = dirname(modelPath);
  const files = [...names].filter((n) => existsSync(join(dir, n))).map((n) => ({ path: n, data: new Uint8Array(readFileSync(join(dir, n))) }));
  const fallback = modelPath + '_data';
  if (!files.length && existsSync(fallback)) files.push({ path: basename(fallback), data: new Uint8Array(readFileSync(fallback)) });
  return files;
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { out: { type: 'string' } } });
const path = positionals[0];
if (!path) {
  console.error('usage: check-decoder.ts DECODER.onnx [--out EDITED.onnx]');
  process.exit(1);
}
const bytes = new Uint8Array(readFileSync(path));
try {
  const edit = exposeFinalConvInput(bytes, { external: externalFiles(path, bytes) });
  const { weight, bias, ...conv } = edit.conv;
  console.log(JSON.stringify({ supported: true, unknownsPerChannel: conv.weightDims[1] * conv.weightDims[2] * conv.weightDims[3] + 1, ...conv, weightNorm: Math.hypot(...weight), bias: Array.from(bias) }, null, 1));
  if (values.out) {
    writeFileSync(values.out, edit.model);
    console.log(`wrote ${values.out} (${edit.model.length} bytes; external data unchanged)`);
  }
} catch (e) {
  if (e instanceof UnsupportedDecoderError) {
    console.error(`not supported: ${e.message}`);
    process.exit(2);
  }
  throw e;
}
