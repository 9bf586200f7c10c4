// Log-group encoding, by hand (the ordered log is on the commit path of every operation):
//   u32 count, u32 offset of each record, then per record: f64 seq, u8 kind, i32 slot, i32 slot2,
//   i64 amount, f64 ref, f64 at, then three length-prefixed UTF-8 strings: chain (u8), key (u16),
//   id (u8). Fixed little-endian layout, no per-record allocation when encoding; the offsets let one
//   record be read without decoding its whole group (replays of old keys).
import { assert } from '../domain/errors.js';
import { makeRecord, type LogRecord } from '../domain/log-record.js';
import { opKindCode, opKindOfCode } from '../domain/op-kind.js';

const fixedBytes = 8 + 1 + 4 + 4 + 8 + 8 + 8 + 1 + 2 + 1;
const asciiFastMax = 64;

/** Encodes records[from, to) as one group, into memory from `allocate` (at least the size asked for). */
export function encodeGroup(records: readonly LogRecord[], from = 0, to = records.length, allocate: (size: number) => Buffer = Buffer.allocUnsafe): Buffer {
  const count = to - from;
  assert(from >= 0, 'a group starts within the records');
  assert(from <= to && to <= records.length, 'a group ends within the records');
  let bound = 4 + 4 * count;
  for (let i = from; i < to; i++) {
    const r = records[i] as LogRecord;
    bound += fixedBytes + 3 * (r.chain.length + r.key.length + r.id.length);
  }
  const buf = allocate(bound);
  assert(buf.length >= bound, 'a group is encoded into room for its bound');
  // DataView for every number: its accessors compile inline, where Buffer's write methods are calls
  // (and Buffer.writeBigInt64LE splits a bigint with bigint arithmetic).
  const view = viewOf(buf);
  view.setUint32(0, count, true);
  let at = 4 + 4 * count;
  for (let i = 0; i < count; i++) {
    const r = records[from + i] as LogRecord;
    view.setUint32(4 + 4 * i, at, true);
    view.setFloat64(at, r.seq, true);
    view.setUint8(at + 8, opKindCode(r.kind));
    view.setInt32(at + 9, r.slot, true);
    view.setInt32(at + 13, r.slot2, true);
    view.setBigInt64(at + 17, r.amount, true);
    view.setFloat64(at + 25, r.ref, true);
    view.setFloat64(at + 33, r.at, true);
    at = writeString(buf, view, r.chain, at + 41, 1);
    at = writeString(buf, view, r.key, at, 2);
    at = writeString(buf, view, r.id, at, 1);
  }
  return buf.subarray(0, at);
}

function writeString(buf: Buffer, view: DataView, text: string, at: number, lengthBytes: 1 | 2): number {
  let written = writeAscii(buf, text, at + lengthBytes);
  if (written < 0) written = buf.write(text, at + lengthBytes, 'utf8');
  assert(written < 2 ** (8 * lengthBytes), 'a log string fits its length prefix');
  if (lengthBytes === 1) view.setUint8(at, written);
  else view.setUint16(at, written, true);
  return at + lengthBytes + written;
}

/**
 * Writes a short ASCII string byte by byte and returns its length, or -1 (having written part of
 * it) for anything else. Keys, chains and ids are nearly always short ASCII, and a call into
 * Buffer.write cost ~150 ns each, three per record.
 */
function writeAscii(buf: Buffer, text: string, at: number): number {
  if (text.length > asciiFastMax) return -1;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return -1;
    buf[at + i] = code;
  }
  return text.length;
}

export function decodeGroup(bytes: Uint8Array): LogRecord[] {
  return guarded(() => {
    const buf = asBuffer(bytes);
    const count = countOf(buf);
    const view = viewOf(buf);
    const records = new Array<LogRecord>(count);
    let at = 4 + 4 * count;
    for (let i = 0; i < count; i++) {
      if (buf.readUInt32LE(4 + 4 * i) !== at) throw new Error('shardmint: corrupt log group (bad offset)');
      const [record, next] = decodeRecord(buf, view, at);
      records[i] = record;
      at = next;
    }
    if (at !== buf.length) throw new Error('shardmint: corrupt log group (trailing bytes)');
    return records;
  });
}

/** The index-th record of an encoded group, without decoding the others. */
export function decodeRecordAt(bytes: Uint8Array, index: number): LogRecord | undefined {
  return guarded(() => {
    const buf = asBuffer(bytes);
    if (index < 0 || index >= countOf(buf)) return undefined;
    return decodeRecord(buf, viewOf(buf), buf.readUInt32LE(4 + 4 * index))[0];
  });
}

/** A Buffer over exactly `length` bytes (lmdb-js's reusable read buffers have a larger byteLength). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

function viewOf(buf: Buffer): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.length);
}

function countOf(buf: Buffer): number {
  if (buf.length < 4) throw new Error('shardmint: corrupt log group (too short)');
  const count = buf.readUInt32LE(0);
  if (4 + 4 * count > buf.length) throw new Error('shardmint: corrupt log group (bad count)');
  return count;
}

function guarded<T>(decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof RangeError) throw new Error('shardmint: corrupt log group (truncated)', { cause: error });
    throw error;
  }
}

function decodeRecord(buf: Buffer, view: DataView, start: number): [LogRecord, number] {
  let at = start;
  {
    if (at + fixedBytes > buf.length) throw new Error('shardmint: corrupt log group (truncated record)');
    const seq = view.getFloat64(at, true);
    const kind = opKindOfCode(view.getUint8(at + 8));
    const slot = view.getInt32(at + 9, true);
    const slot2 = view.getInt32(at + 13, true);
    const amount = view.getBigInt64(at + 17, true);
    const ref = view.getFloat64(at + 25, true);
    const time = view.getFloat64(at + 33, true);
    const chainLength = view.getUint8(at + 41);
    const chain = readString(buf, at + 42, chainLength);
    at += 42 + chainLength;
    const keyLength = view.getUint16(at, true);
    const key = readString(buf, at + 2, keyLength);
    at += 2 + keyLength;
    const idLength = view.getUint8(at);
    const id = readString(buf, at + 1, idLength);
    at += 1 + idLength;
    return [makeRecord({ seq, kind, slot, slot2, amount, chain, key, ref, at: time, id }), at];
  }
}

/** Throws past the end (RangeError, as DataView does): a length prefix may be corrupt. */
function readString(buf: Buffer, at: number, length: number): string {
  if (at + length > buf.length) throw new RangeError('string past the end');
  return length === 0 ? '' : buf.toString('utf8', at, at + length);
}
