/**
 * Graph edit for online decoder adaptation (METHOD.md stage 3): find the VAE decoder's final convolution,
 * expose its input tensor (the "features") as an extra graph output, and read the convolution's weights.
 *
 * Works on the protobuf bytes directly: every field other than the graph's new output is copied verbatim,
 * so the decoder's original output is computed exactly as before.
 */
import { DefectStudioError } from '../../errors';
import { Writer, WIRE_LEN, scanFields } from './protobuf';
import {
  DataType,
  type ExternalFiles,
  GRAPH,
  MODEL,
  type GraphView,
  type NodeView,
  OnnxFormatError,
  attrInt,
  attrInts,
  attrString,
  attrTensor,
  dataTypeName,
  decodeTensor,
  readGraph,
} from './model';

export class UnsupportedDecoderError extends DefectStudioError {
  constructor(message: string) {
    super('pack', message);
    this.name = 'UnsupportedDecoderError';
  }
}

export interface ConvGeometry {
  /** [outChannels, inChannels / group, kernelH, kernelW] */
  weightDims: [number, number, number, number];
  /** [top, left, bottom, right]; ignored when autoPad is SAME_UPPER / SAME_LOWER. */
  pads: [number, number, number, number];
  autoPad: 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';
  strides: [number, number];
  dilations: [number, number];
  group: number;
}

export interface FinalConv extends ConvGeometry {
  /** Name of the Conv node (may be empty in the model). */
  nodeName: string;
  /** The decoder's image output (e.g. `sample`). */
  outputName: string;
  /** The tensor entering the convolution, now also a graph output. */
  featuresName: string;
  /** Element type of the features output. */
  featuresType: 'float32' | 'float16';
  /** Operators between the convolution and the output, from the convolution outwards (Identity, Cast). */
  tail: string[];
  /** Weights as float32 in ONNX layout [out, in, kh, kw]. */
  weight: Float32Array;
  /** Bias (zeros when the convolution has none). */
  bias: Float32Array;
  /** ONNX element type of the weight tensor. */
  weightType: string;
}

export interface DecoderEdit {
  /** The edited model: the original outputs plus `conv.featuresName`. */
  model: Uint8Array;
  conv: FinalConv;
  /** True when the features were already a graph output (the model is returned unchanged). */
  alreadyExposed: boolean;
}

const PASS_THROUGH = new Set(['Identity', 'Cast']);

function isStandardDomain(node: NodeView): boolean {
  return node.domain === '' || node.domain === 'ai.onnx';
}

function producers(graph: GraphView): Map<string, NodeView> {
  const map = new Map<string, NodeView>();
  for (const n of graph.nodes) for (const o of n.outputs) if (o) map.set(o, n);
  return map;
}

/** Resolves a tensor to its constant data (initializer or Constant node), following Identity/Cast. */
function resolveConstant(
  graph: GraphView,
  prod: Map<string, NodeView>,
  name: string,
  external: ExternalFiles | undefined,
  what: string,
): { values: Float32Array; dims: number[]; dataType: number } {
  let current = name;
  let castTo: number | undefined;
  for (let hops = 0; hops < 8; hops++) {
    const init = graph.initializers.get(current);
    if (init) {
      const t = decodeTensor(graph.buf, init, external);
      return { values: t.values, dims: t.dims, dataType: castTo ?? t.dataType };
    }
    const node = prod.get(current);
    if (!node) break;
    if (node.opType === 'Constant' && isStandardDomain(node)) {
      const tf = attrTensor(node, 'value');
      if (!tf) break;
      const t = decodeTensor(graph.buf, tf, external);
      return { values: t.values, dims: t.dims, dataType: castTo ?? t.dataType };
    }
    if (PASS_THROUGH.has(node.opType) && isStandardDomain(node)) {
      if (node.opType === 'Cast' && castTo === undefined) castTo = attrInt(graph.buf, node, 'to');
      current = node.inputs[0];
      continue;
    }
    break;
  }
  throw new UnsupportedDecoderError(`the final convolution's ${what} (${name}) is not a constant tensor`);
}

/** Finds the convolution that produces the decoder's output, and reads its weights. */
export function findFinalConv(
  graph: GraphView,
  options: { external?: ExternalFiles; outputName?: string } = {},
): FinalConv {
  const { buf } = graph;
  if (graph.outputs.length === 0) throw new UnsupportedDecoderError('the decoder has no outputs');
  const output =
    (options.outputName && graph.outputs.find((o) => o.name === options.outputName)) ||
    graph.outputs.find((o) => o.name === 'sample') ||
    graph.outputs[0];
  const prod = producers(graph);
  const tail: string[] = [];
  let tensor = output.name;
  let node = prod.get(tensor);
  while (node && PASS_THROUGH.has(node.opType) && isStandardDomain(node) && tail.length < 8) {
    tail.unshift(node.opType);
    tensor = node.inputs[0];
    node = prod.get(tensor);
  }
  if (!node) throw new UnsupportedDecoderError(`the decoder's output ${output.name} is not computed by any operator`);
  if (node.opType !== 'Conv' || !isStandardDomain(node)) {
    throw new UnsupportedDecoderError(
      `the decoder's last operation is ${node.domain ? node.domain + '.' : ''}${node.opType}, not a convolution; ` +
        'decoder adaptation needs a decoder that ends with a Conv',
    );
  }
  const conv = node;
  const group = attrInt(buf, conv, 'group') ?? 1;
  if (group !== 1) throw new UnsupportedDecoderError(`the final convolution is grouped (group=${group})`);
  const w = resolveConstant(graph, prod, conv.inputs[1], options.external, 'weight');
  if (w.dims.length !== 4) {
    throw new UnsupportedDecoderError(`the final convolution is not 2-D (weight dims [${w.dims.join(', ')}])`);
  }
  const [cout, cin, kh, kw] = w.dims;
  let bias: Float32Array = new Float32Array(cout);
  if (conv.inputs.length > 2 && conv.inputs[2]) {
    const b = resolveConstant(graph, prod, conv.inputs[2], options.external, 'bias');
    if (b.values.length !== cout) throw new OnnxFormatError(`final convolution bias has ${b.values.length} values, expected ${cout}`);
    bias = b.values;
  }
  const pads = attrInts(buf, conv, 'pads') ?? [0, 0, 0, 0];
  const strides = attrInts(buf, conv, 'strides') ?? [1, 1];
  const dilations = attrInts(buf, conv, 'dilations') ?? [1, 1];
  const autoPadRaw = (attrString(buf, conv, 'auto_pad') ?? 'NOTSET') || 'NOTSET';
  if (!['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'].includes(autoPadRaw)) {
    throw new UnsupportedDecoderError(`the final convolution has auto_pad=${autoPadRaw}`);
  }
  const featuresType: 'float32' | 'float16' = w.dataType === DataType.FLOAT16 ? 'float16' : 'float32';
  if (w.dataType !== DataType.FLOAT && w.dataType !== DataType.FLOAT16) {
    throw new UnsupportedDecoderError(`the final convolution computes in ${dataTypeName(w.dataType)}`);
  }
  return {
    nodeName: conv.name,
    outputName: output.name,
    featuresName: conv.inputs[0],
    featuresType,
    tail,
    weight: w.values,
    bias,
    weightType: dataTypeName(w.dataType),
    weightDims: [cout, cin, kh, kw],
    pads: [pads[0] ?? 0, pads[1] ?? 0, pads[2] ?? 0, pads[3] ?? 0],
    autoPad: autoPadRaw as ConvGeometry['autoPad'],
    strides: [strides[0] ?? 1, strides[1] ?? 1],
    dilations: [dilations[0] ?? 1, dilations[1] ?? 1],
    group,
  };
}

function encodeValueInfo(
  name: string,
  elemType: number,
  dims: (number | string | null)[] | undefined,
): Uint8Array {
  const shape = new Writer();
  if (dims) {
    for (const d of dims) {
      const dim = new Writer();
      if (typeof d === 'number') dim.varintField(1, d);
      else if (typeof d === 'string') dim.stringField(2, d);
      shape.bytesField(1, dim.finish());
    }
  }
  const tensorType = new Writer().varintField(1, elemType);
  if (dims) tensorType.bytesField(2, shape.finish());
  const type = new Writer().bytesField(1, tensorType.finish());
  return new Writer().stringField(1, name).bytesField(2, type.finish()).finish();
}

/**
 * Adds the final convolution's input as a graph output. Throws UnsupportedDecoderError when the decoder's
 * output is not produced by a Conv (through Identity/Cast at most), OnnxFormatError for a malformed model.
 */
export function exposeFinalConvInput(
  model: Uint8Array,
  options: { external?: ExternalFiles; outputName?: string } = {},
): DecoderEdit {
  const graph = readGraph(model);
  const conv = findFinalConv(graph, options);
  if (graph.outputs.some((o) => o.name === conv.featuresName)) return { model, conv, alreadyExposed: true };

  // Value info for the new output: reuse the model's own when it has one, else build it.
  let vi: Uint8Array;
  const known = graph.valueInfo.get(conv.featuresName);
  if (known?.typeField && known.elemType !== undefined) {
    vi = new Writer()
      .stringField(1, conv.featuresName)
      .raw(model.subarray(known.typeField.start, known.typeField.end))
      .finish();
  } else {
    const out = graph.outputs.find((o) => o.name === conv.outputName);
    const [, cin, kh, kw] = conv.weightDims;
    const sameSize =
      conv.strides[0] === 1 &&
      conv.strides[1] === 1 &&
      (conv.autoPad === 'SAME_UPPER' ||
        conv.autoPad === 'SAME_LOWER' ||
        (conv.autoPad === 'NOTSET' &&
          conv.pads[0] + conv.pads[2] === conv.dilations[0] * (kh - 1) &&
          conv.pads[1] + conv.pads[3] === conv.dilations[1] * (kw - 1)));
    const od = out?.shape;
    const dims: (number | string | null)[] = [
      od?.[0] ?? 'batch',
      cin * conv.group,
      sameSize ? (od?.[2] ?? 'features_height') : 'features_height',
      sameSize ? (od?.[3] ?? 'features_width') : 'features_width',
    ];
    vi = encodeValueInfo(conv.featuresName, conv.featuresType === 'float16' ? DataType.FLOAT16 : DataType.FLOAT, dims);
  }

  const graphPayload = new Writer()
    .raw(model.subarray(graph.graphField.valueStart, graph.graphField.valueEnd))
    .bytesField(GRAPH.output, vi)
    .finish();
  const w = new Writer();
  for (const f of graph.modelFields) {
    if (f === graph.graphField) w.bytesField(MODEL.graph, graphPayload);
    else w.raw(model.subarray(f.start, f.end));
  }
  return { model: w.finish(), conv, alreadyExposed: false };
}

/** Names of a model's graph outputs (a quick check for tests and tools). */
export function graphOutputNames(model: Uint8Array): string[] {
  const g = readGraph(model);
  return g.outputs.map((o) => o.name);
}

/** True when the bytes look like a ModelProto with a graph (cheap sanity check before a full parse). */
export function looksLikeOnnx(model: Uint8Array): boolean {
  try {
    return scanFields(model).some((f) => f.no === MODEL.graph && f.wire === WIRE_LEN);
  } catch {
    return false;
  }
}
