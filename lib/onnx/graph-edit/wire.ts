/**
 * Walking ONNX protobuf at the wire level with protobufjs's Reader/Writer (the well-kept
 * protobuf library for JS): each field is seen as a tag plus a byte range, so weights
 * (`raw_data`, hundreds of MB) are skipped by length, never decoded or copied, and an
 * edit can copy every untouched field verbatim.
 */
import protobuf from 'protobufjs/minimal.js';
import { ModelFolderError } from '../../errors';

const { Reader, Writer } = protobuf;

export const WIRE_VARINT = 0;
export const WIRE_LEN = 2;

export interface Field {
  no: number;
  wire: number;
  /** The whole field (tag through payload) in the buffer it came from. */
  start: number;
  end: number;
  /** Length-delimited payload range (LEN fields only). */
  payloadStart: number;
  payloadEnd: number;
  /** The value of a varint field. */
  varint?: number;
}

function toNumber(v: number | { toNumber(): number }): number {
  return typeof v === 'number' ? v : v.toNumber();
}

/** Every top-level field of a message in `buf[from, to)`, in order. */
export function fields(buf: Uint8Array, label: string, from = 0, to = buf.length): Field[] {
  const r = Reader.create(buf.subarray(0, to));
  r.pos = from;
  const out: Field[] = [];
  try {
    while (r.pos < to) {
      const start = r.pos;
      const tag = r.uint32();
      const no = tag >>> 3;
      const wire = tag & 7;
      if (no === 0) throw new Error(`field number 0 at byte ${start}`);
      if (wire === WIRE_LEN) {
        const len = r.uint32();
        const payloadStart = r.pos;
        if (payloadStart + len > to) throw new Error(`field ${no} runs past the end (byte ${payloadStart + len} of ${to})`);
        r.pos = payloadStart + len;
        out.push({ no, wire, start, end: r.pos, payloadStart, payloadEnd: r.pos });
      } else if (wire === WIRE_VARINT) {
        const varint = toNumber(r.int64() as unknown as number);
        out.push({ no, wire, start, end: r.pos, payloadStart: r.pos, payloadEnd: r.pos, varint });
      } else {
        r.skipType(wire);
        out.push({ no, wire, start, end: r.pos, payloadStart: r.pos, payloadEnd: r.pos });
      }
    }
  } catch (err) {
    throw new ModelFolderError('malformed-file', label, `${label}: not a valid ONNX protobuf (${(err as Error).message})`);
  }
  return out;
}

export function stringOf(buf: Uint8Array, f: Field): string {
  return new TextDecoder().decode(buf.subarray(f.payloadStart, f.payloadEnd));
}

/** Packed or unpacked repeated int64 (TensorProto.dims). */
export function int64sOf(buf: Uint8Array, f: Field): number[] {
  if (f.wire === WIRE_VARINT) return [f.varint ?? 0];
  const r = Reader.create(buf.subarray(0, f.payloadEnd));
  r.pos = f.payloadStart;
  const out: number[] = [];
  while (r.pos < f.payloadEnd) out.push(toNumber(r.int64() as unknown as number));
  return out;
}

/** A LEN field `no` holding `payload` (tag + length + bytes). */
export function lenField(no: number, payload: Uint8Array): Uint8Array {
  return concat([lenHeader(no, payload.length), payload]);
}

/** Tag and length of a LEN field whose payload follows. */
export function lenHeader(no: number, length: number): Uint8Array {
  return Writer.create().uint32((no << 3) | WIRE_LEN).uint32(length).finish();
}

export function varintField(no: number, value: number): Uint8Array {
  return Writer.create().uint32((no << 3) | WIRE_VARINT).int64(value).finish();
}

export function stringField(no: number, value: string): Uint8Array {
  return lenField(no, new TextEncoder().encode(value));
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
