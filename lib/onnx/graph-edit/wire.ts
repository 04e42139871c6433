/**
 * Walking ONNX protobuf at the wire level with protobufjs's Reader/Writer (the well-kept
 * protobuf library for JS; no varint code of our own): a message is seen as a list of
 * fields, each a tag plus a byte range of the buffer it came from. Length-delimited
 * payloads (`raw_data`, hundreds of MB) are stepped over by their length — never decoded,
 * never copied — and an edit copies every untouched field verbatim as a `subarray`.
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
  /** Length-delimited payload range (LEN fields only; empty otherwise). */
  payloadStart: number;
  payloadEnd: number;
  /** The value of a varint field (int64 semantics: negative values come back negative). */
  varint?: number;
}

type LongLike = number | { toNumber(): number };
const toNumber = (v: LongLike): number => (typeof v === 'number' ? v : v.toNumber());
const utf8 = new TextDecoder();

/** Every field of the message in `buf[from, to)`, in order; malformed bytes throw `malformed-file`. */
export function fields(buf: Uint8Array, label: string, from = 0, to = buf.length): Field[] {
  // A view ending at `to` (no copy): protobufjs then refuses to read past the message.
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
        if (payloadStart + len > to) throw new Error(`field ${no} at byte ${start} runs past the end of its message (byte ${payloadStart + len} of ${to})`);
        r.pos = payloadStart + len;
        out.push({ no, wire, start, end: r.pos, payloadStart, payloadEnd: r.pos });
      } else if (wire === WIRE_VARINT) {
        const varint = toNumber(r.int64() as unknown as LongLike);
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

/** The fields of a LEN field's payload (a nested message). */
export const fieldsOf = (buf: Uint8Array, f: Field, label: string): Field[] => (f.wire === WIRE_LEN ? fields(buf, label, f.payloadStart, f.payloadEnd) : []);

/** Protobuf merge semantics for a singular scalar: the last occurrence wins. */
export function last(fs: readonly Field[], no: number): Field | undefined {
  for (let i = fs.length - 1; i >= 0; i--) if (fs[i].no === no) return fs[i];
  return undefined;
}

/**
 * Protobuf merge semantics for a singular message that occurs more than once: its
 * occurrences concatenate, so their fields are read as one list.
 */
export function merged(buf: Uint8Array, fs: readonly Field[], no: number, label: string): Field[] {
  return fs.filter((f) => f.no === no).flatMap((f) => fieldsOf(buf, f, label));
}

export function stringOf(buf: Uint8Array, f: Field): string {
  return utf8.decode(buf.subarray(f.payloadStart, f.payloadEnd));
}

/** The bytes of a whole field, as a view (no copy). */
export const bytesOf = (buf: Uint8Array, f: Field): Uint8Array => buf.subarray(f.start, f.end);

/** Tag and length of a LEN field whose payload follows. */
export function lenHeader(no: number, length: number): Uint8Array {
  return Writer.create()
    .uint32((no << 3) | WIRE_LEN)
    .uint32(length)
    .finish();
}

/** A LEN field `no` whose payload is `parts` concatenated. */
export function lenField(no: number, parts: readonly Uint8Array[]): Uint8Array {
  return concat([lenHeader(no, byteLength(parts)), ...parts]);
}

export function varintField(no: number, value: number): Uint8Array {
  return Writer.create()
    .uint32((no << 3) | WIRE_VARINT)
    .int64(value)
    .finish();
}

export function stringField(no: number, value: string): Uint8Array {
  return Writer.create()
    .uint32((no << 3) | WIRE_LEN)
    .string(value)
    .finish();
}

export const byteLength = (parts: readonly Uint8Array[]): number => parts.reduce((n, p) => n + p.length, 0);

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(byteLength(parts));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
