/**
 * The external-data files a model's tensors name (`TensorProto.external_data` "location"), found by reading
 * message headers only: tensor payloads (`raw_data`, a 1.7 GB embedded UNet's weights) are skipped, never
 * read. The loader checks them before onnxruntime reads a model from its path (it then opens those files
 * itself), so a graph cannot make it read a file the manifest does not list. Walks the places tensors live:
 * graph initializers and sparse initializers, node attributes (`t`, `tensors`, `sparse_tensor(s)`) and
 * subgraphs (`g`, `graphs`), recursively.
 */
import { ProtobufError, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './protobuf';
import { OnnxFormatError } from './model';

/** Reads bytes [offset, offset + length) of the model file (fewer at its end). */
export type ReadAt = (offset: number, length: number) => Promise<Uint8Array>;

type Kind = 'model' | 'graph' | 'node' | 'attr' | 'sparse' | 'tensor';
/** Which fields of each message hold a message to enter (field number -> kind). */
const ENTER: Record<Kind, Record<number, Kind>> = {
  model: { 7: 'graph' },
  graph: { 1: 'node', 5: 'tensor', 15: 'sparse' },
  node: { 5: 'attr' },
  attr: { 5: 'tensor', 6: 'graph', 10: 'tensor', 11: 'graph', 22: 'sparse', 23: 'sparse' },
  sparse: { 1: 'tensor', 2: 'tensor' },
  tensor: {},
};
const TENSOR_EXTERNAL_DATA = 13;
/** Window of one read: nodes and tensor headers lie together; a skipped payload moves the window. */
const WINDOW = 64 * 1024;
/** The most bytes of one external_data entry (a key and a path). */
const MAX_ENTRY = 64 * 1024;

class Windowed {
  private start = 0;
  private buf: Uint8Array = new Uint8Array(0);
  constructor(
    private readonly readAt: ReadAt,
    readonly size: number,
  ) {}

  private async ensure(pos: number, n: number): Promise<void> {
    if (pos >= this.start && pos + n <= this.start + this.buf.length) return;
    this.start = pos;
    this.buf = await this.readAt(pos, Math.max(n, WINDOW));
    if (this.buf.length < Math.min(n, this.size - pos)) throw new ProtobufError(`short read at byte ${pos}`);
  }

  async varint(pos: number, end: number): Promise<[number, number]> {
    await this.ensure(pos, Math.min(10, end - pos));
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (pos + i >= end) break;
      const b = this.buf[pos + i - this.start];
      v += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) return [v, pos + i + 1];
    }
    throw new ProtobufError(`bad varint at byte ${pos}`);
  }

  async bytes(pos: number, n: number): Promise<Uint8Array> {
    await this.ensure(pos, n);
    return this.buf.subarray(pos - this.start, pos - this.start + n);
  }
}

/** Key/value of a StringStringEntryProto (key 1, value 2). */
function entry(b: Uint8Array): { key: string; value: string } {
  const out = { key: '', value: '' };
  let p = 0;
  const dec = new TextDecoder();
  while (p < b.length) {
    let tag = 0;
    let mul = 1;
    while (p < b.length) {
      const x = b[p++];
      tag += (x & 0x7f) * mul;
      mul *= 128;
      if (!(x & 0x80)) break;
    }
    let len = 0;
    mul = 1;
    while (p < b.length) {
      const x = b[p++];
      len += (x & 0x7f) * mul;
      mul *= 128;
      if (!(x & 0x80)) break;
    }
    if (tag % 8 !== WIRE_LEN || p + len > b.length) throw new ProtobufError('bad external_data entry');
    const s = dec.decode(b.subarray(p, p + len));
    if (tag >> 3 === 1) out.key = s;
    else if (tag >> 3 === 2) out.value = s;
    p += len;
  }
  return out;
}

/** Every distinct external-data location the model names (as written in the graph), in order of appearance. */
export async function externalDataLocations(readAt: ReadAt, size: number): Promise<string[]> {
  const r = new Windowed(readAt, size);
  const found = new Set<string>();
  const walk = async (start: number, end: number, kind: Kind, depth: number): Promise<void> => {
    if (depth > 64) throw new OnnxFormatError('model nested too deeply');
    let pos = start;
    while (pos < end) {
      const [tag, p1] = await r.varint(pos, end);
      const no = Math.floor(tag / 8);
      const wire = tag % 8;
      if (no === 0) throw new ProtobufError(`field number 0 at byte ${pos}`);
      if (wire === WIRE_VARINT) pos = (await r.varint(p1, end))[1];
      else if (wire === WIRE_I64) pos = p1 + 8;
      else if (wire === WIRE_I32) pos = p1 + 4;
      else if (wire === WIRE_LEN) {
        const [len, p2] = await r.varint(p1, end);
        if (p2 + len > end) throw new ProtobufError(`field ${no} at byte ${pos} runs past its message`);
        const inner = ENTER[kind][no];
        if (inner) await walk(p2, p2 + len, inner, depth + 1);
        else if (kind === 'tensor' && no === TENSOR_EXTERNAL_DATA) {
          if (len > MAX_ENTRY) throw new OnnxFormatError('external_data entry too long');
          const e = entry(await r.bytes(p2, len));
          if (e.key === 'location') found.add(e.value);
        }
        pos = p2 + len;
      } else throw new ProtobufError(`unsupported wire type ${wire} (field ${no}) at byte ${pos}`);
      if (pos > end) throw new ProtobufError(`field ${no} runs past its message`);
    }
  };
  try {
    await walk(0, size, 'model', 0);
  } catch (e) {
    if (e instanceof ProtobufError || e instanceof OnnxFormatError) throw new OnnxFormatError(`not an ONNX model: ${e.message}`);
    throw e;
  }
  return [...found];
}
