/**
 * A minimal protocol-buffers wire-format reader and writer: enough to walk ONNX models field by field and to
 * re-encode them with every untouched field copied byte for byte. No schema, no code generation.
 *
 * Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32 (3/4, groups, are rejected).
 */

import { DefectStudioError } from '../../errors';
export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

/** One field occurrence inside a message, as byte offsets into the buffer it was read from. */
export interface Field {
  /** Field number. */
  no: number;
  wire: number;
  /** Offset of the field's tag (the field spans [start, end)). */
  start: number;
  end: number;
  /** Payload: for LEN the bytes after the length prefix; for fixed the 4/8 bytes; for varint the varint bytes. */
  valueStart: number;
  valueEnd: number;
}

export class ProtobufError extends DefectStudioError {
  constructor(message: string) {
    super('pack', message);
    this.name = 'ProtobufError';
  }
}

const TWO_32 = 4294967296;

/** Reads an unsigned varint at `pos`; returns the value (exact below 2^53) and the position after it. */
export function readVarint(buf: Uint8Array, pos: number, end = buf.length): [number, number] {
  let lo = 0;
  let hi = 0;
  let shift = 0;
  let i = pos;
  for (;;) {
    if (i >= end) throw new ProtobufError(`truncated varint at byte ${pos}`);
    const b = buf[i++];
    if (shift < 28) {
      lo |= (b & 0x7f) << shift;
    } else if (shift === 28) {
      lo |= (b & 0x0f) << 28;
      hi |= (b & 0x7f) >>> 4;
    } else {
      hi |= (b & 0x7f) << (shift - 32);
    }
    if ((b & 0x80) === 0) break;
    shift += 7;
    if (shift >= 70) throw new ProtobufError(`varint too long at byte ${pos}`);
  }
  return [(hi >>> 0) * TWO_32 + (lo >>> 0), i];
}

/** Reads a varint as a signed int64 (two's complement, as protobuf encodes negative int64/int32 values). */
export function readSignedVarint(buf: Uint8Array, pos: number, end = buf.length): [number, number] {
  let lo = 0;
  let hi = 0;
  let shift = 0;
  let i = pos;
  for (;;) {
    if (i >= end) throw new ProtobufError(`truncated varint at byte ${pos}`);
    const b = buf[i++];
    if (shift < 28) lo |= (b & 0x7f) << shift;
    else if (shift === 28) {
      lo |= (b & 0x0f) << 28;
      hi |= (b & 0x7f) >>> 4;
    } else if (shift < 64) hi |= (b & 0x7f) << (shift - 32);
    if ((b & 0x80) === 0) break;
    shift += 7;
    if (shift >= 70) throw new ProtobufError(`varint too long at byte ${pos}`);
  }
  if (hi & 0x80000000) {
    // negative: -(~x + 1)
    const nlo = ~lo >>> 0;
    const nhi = ~hi >>> 0;
    return [-(nhi * TWO_32 + nlo + 1), i];
  }
  return [(hi >>> 0) * TWO_32 + (lo >>> 0), i];
}

/** Lists the fields of the message occupying buf[start, end). Nested messages are not entered. */
export function scanFields(buf: Uint8Array, start = 0, end = buf.length): Field[] {
  const fields: Field[] = [];
  let pos = start;
  while (pos < end) {
    const fieldStart = pos;
    const [tag, p1] = readVarint(buf, pos, end);
    const no = Math.floor(tag / 8);
    const wire = tag % 8;
    if (no === 0) throw new ProtobufError(`field number 0 at byte ${fieldStart}`);
    let valueStart = p1;
    let valueEnd: number;
    switch (wire) {
      case WIRE_VARINT: {
        const [, p2] = readVarint(buf, p1, end);
        valueEnd = p2;
        break;
      }
      case WIRE_I64:
        valueEnd = p1 + 8;
        break;
      case WIRE_I32:
        valueEnd = p1 + 4;
        break;
      case WIRE_LEN: {
        const [len, p2] = readVarint(buf, p1, end);
        valueStart = p2;
        valueEnd = p2 + len;
        break;
      }
      default:
        throw new ProtobufError(`unsupported wire type ${wire} (field ${no}) at byte ${fieldStart}`);
    }
    if (valueEnd > end) throw new ProtobufError(`field ${no} at byte ${fieldStart} runs past its message`);
    fields.push({ no, wire, start: fieldStart, end: valueEnd, valueStart, valueEnd });
    pos = valueEnd;
  }
  return fields;
}

const textDecoder = new TextDecoder();
const textEncoder = new TextEncoder();

export function fieldString(buf: Uint8Array, f: Field): string {
  return textDecoder.decode(buf.subarray(f.valueStart, f.valueEnd));
}

export function fieldBytes(buf: Uint8Array, f: Field): Uint8Array {
  return buf.subarray(f.valueStart, f.valueEnd);
}

/** Value of a varint field (unsigned). */
export function fieldVarint(buf: Uint8Array, f: Field): number {
  return readVarint(buf, f.valueStart, f.valueEnd)[0];
}

/** Value of a varint field read as signed int64. */
export function fieldInt64(buf: Uint8Array, f: Field): number {
  return readSignedVarint(buf, f.valueStart, f.valueEnd)[0];
}

export function fieldFloat32(buf: Uint8Array, f: Field): number {
  return new DataView(buf.buffer, buf.byteOffset + f.valueStart, 4).getFloat32(0, true);
}

/** Values of a repeated int64 field, packed (LEN) or not (several VARINT occurrences). */
export function repeatedInt64(buf: Uint8Array, fields: Field[], no: number): number[] {
  const out: number[] = [];
  for (const f of fields) {
    if (f.no !== no) continue;
    if (f.wire === WIRE_VARINT) out.push(fieldInt64(buf, f));
    else if (f.wire === WIRE_LEN) {
      let p = f.valueStart;
      while (p < f.valueEnd) {
        const [v, np] = readSignedVarint(buf, p, f.valueEnd);
        out.push(v);
        p = np;
      }
    }
  }
  return out;
}

/** Values of a repeated float field, packed or not. */
export function repeatedFloat32(buf: Uint8Array, fields: Field[], no: number): Float32Array {
  const parts: number[] = [];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (const f of fields) {
    if (f.no !== no) continue;
    if (f.wire === WIRE_I32) parts.push(view.getFloat32(f.valueStart, true));
    else if (f.wire === WIRE_LEN) {
      for (let p = f.valueStart; p + 4 <= f.valueEnd; p += 4) parts.push(view.getFloat32(p, true));
    }
  }
  return Float32Array.from(parts);
}

/** Values of a repeated double field, packed or not. */
export function repeatedFloat64(buf: Uint8Array, fields: Field[], no: number): Float64Array {
  const parts: number[] = [];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (const f of fields) {
    if (f.no !== no) continue;
    if (f.wire === WIRE_I64) parts.push(view.getFloat64(f.valueStart, true));
    else if (f.wire === WIRE_LEN) {
      for (let p = f.valueStart; p + 8 <= f.valueEnd; p += 8) parts.push(view.getFloat64(p, true));
    }
  }
  return Float64Array.from(parts);
}

/** Incremental message writer. */
export class Writer {
  private chunks: Uint8Array[] = [];
  private scratch: number[] = [];
  private length = 0;

  private flushScratch(): void {
    if (this.scratch.length) {
      this.chunks.push(Uint8Array.from(this.scratch));
      this.length += this.scratch.length;
      this.scratch = [];
    }
  }

  varint(value: number): this {
    if (!Number.isInteger(value)) throw new ProtobufError(`varint must be an integer, got ${value}`);
    if (value < 0) {
      // int64 two's complement, 10 bytes
      let lo = value % TWO_32 >>> 0; // not exact for huge magnitudes; fine for |v| < 2^53
      let hi = Math.floor(value / TWO_32) >>> 0;
      lo = lo >>> 0;
      for (let i = 0; i < 9; i++) {
        this.scratch.push((lo & 0x7f) | 0x80);
        lo = ((lo >>> 7) | (hi << 25)) >>> 0;
        hi = hi >>> 7;
      }
      this.scratch.push(lo & 0x01);
      return this;
    }
    let v = value;
    while (v >= 0x80) {
      this.scratch.push((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    this.scratch.push(v);
    return this;
  }

  tag(no: number, wire: number): this {
    return this.varint(no * 8 + wire);
  }

  raw(bytes: Uint8Array): this {
    this.flushScratch();
    this.chunks.push(bytes);
    this.length += bytes.length;
    return this;
  }

  /** A length-delimited field with the given payload. */
  bytesField(no: number, payload: Uint8Array): this {
    this.tag(no, WIRE_LEN).varint(payload.length);
    return this.raw(payload);
  }

  stringField(no: number, value: string): this {
    return this.bytesField(no, textEncoder.encode(value));
  }

  varintField(no: number, value: number): this {
    return this.tag(no, WIRE_VARINT).varint(value);
  }

  finish(): Uint8Array {
    this.flushScratch();
    if (this.chunks.length === 1) return this.chunks[0];
    const out = new Uint8Array(this.length);
    let off = 0;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }
}
