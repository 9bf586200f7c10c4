// Log-group encoding, by hand (the ordered log is on the commit path of every operation):
//   u32 count, u32 offset of each record, then per record: f64 seq, u8 kind, i32 slot, i32 slot2,
//   i64 amount, f64 ref, f64 at, then three length-prefixed UTF-8 strings: chain (u8), key (u16),
//   id (u8). Fixed little-endian layout, no per-record allocation when encoding; the offsets let one
//   record be read without decoding its whole group (replays of old keys).
import { assert } from '../domain/errors.js';
import { makeRecord, type LogRecord } from '../domain/log-record.js';
import { opKindCode, opKindOfCode } from '../domain/op-kind.js';

const fixedBytes = 8 + 1 + 4 + 4 + 8 + 8 + 8 + 1 + 2 + 1;

/** Encodes records[from, to) as one group. */
export function encodeGroup(records: readonly LogRecord[], from = 0, to = records.length): Buffer {
  const count = to - from;
  assert(from >= 0, 'a group starts within the records');
  assert(from <= to && to <= records.length, 'a group ends within the records');
  let bound = 4 + 4 * count;
  for (let i = from; i < to; i++) {
    const r = records[i] as LogRecord;
    bound += fixedBytes + 3 * (r.chain.length + r.key.length + r.id.length);
  }
  const buf = Buffer.allocUnsafe(bound);
  // DataView writes a bigint natively; Buffer.writeBigInt64LE splits it with bigint arithmetic.
  const view = viewOf(buf);
  buf.writeUInt32LE(count, 0);
  let at = 4 + 4 * count;
  for (let i = 0; i < count; i++) {
    const r = records[from + i] as LogRecord;
    buf.writeUInt32LE(at, 4 + 4 * i);
    buf.writeDoubleLE(r.seq, at);
    buf.writeUInt8(opKindCode(r.kind), at + 8);
    buf.writeInt32LE(r.slot, at + 9);
    buf.writeInt32LE(r.slot2, at + 13);
    view.setBigInt64(at + 17, r.amount, true);
    buf.writeDoubleLE(r.ref, at + 25);
    buf.writeDoubleLE(r.at, at + 33);
    at = writeString(buf, r.chain, at + 41, 1);
    at = writeString(buf, r.key, at, 2);
    at = writeString(buf, r.id, at, 1);
  }
  return buf.subarray(0, at);
}

function writeString(buf: Buffer, text: string, at: number, lengthBytes: 1 | 2): number {
  const written = text.length === 0 ? 0 : buf.write(text, at + lengthBytes, 'utf8');
  assert(written < 2 ** (8 * lengthBytes), 'a log string fits its length prefix');
  if (lengthBytes === 1) buf.writeUInt8(written, at);
  else buf.writeUInt16LE(written, at);
  return at + lengthBytes + written;
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
    const seq = buf.readDoubleLE(at);
    const kind = opKindOfCode(buf.readUInt8(at + 8));
    const slot = buf.readInt32LE(at + 9);
    const slot2 = buf.readInt32LE(at + 13);
    const amount = view.getBigInt64(at + 17, true);
    const ref = buf.readDoubleLE(at + 25);
    const time = buf.readDoubleLE(at + 33);
    const chainLength = buf.readUInt8(at + 41);
    const chain = buf.toString('utf8', at + 42, at + 42 + chainLength);
    at += 42 + chainLength;
    const keyLength = buf.readUInt16LE(at);
    const key = buf.toString('utf8', at + 2, at + 2 + keyLength);
    at += 2 + keyLength;
    const idLength = buf.readUInt8(at);
    const id = buf.toString('utf8', at + 1, at + 1 + idLength);
    at += 1 + idLength;
    return [makeRecord({ seq, kind, slot, slot2, amount, chain, key, ref, at: time, id }), at];
  }
}
