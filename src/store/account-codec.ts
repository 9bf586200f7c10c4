// Checkpointed accounts, a chunk of accountChunkSlots consecutive slots per LMDB value, by hand:
//   u16 count, then per row: u8 slot within the chunk, i64 balance, u8 state code, u8 id length,
//   the id's UTF-8 bytes. One put per chunk instead of one (msgpack-encoded) put per account.
import { assert } from '../domain/errors.js';
import { accountIdBytesMax } from '../domain/limits.js';
import { accountChunkSlots, type AccountRows, type AccountSnapshot } from './store.js';

const rowFixedBytes = 1 + 8 + 1 + 1;

/** Encodes rows [from, to), which all belong to one chunk. */
export function encodeAccountChunk(rows: AccountRows, from: number, to: number): Buffer {
  const chunk = chunkOf(rows.slot[from] ?? 0);
  const buf = Buffer.allocUnsafe(2 + (to - from) * (rowFixedBytes + accountIdBytesMax));
  const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  buf.writeUInt16LE(to - from, 0);
  let at = 2;
  for (let i = from; i < to; i++) {
    const slot = rows.slot[i] ?? 0;
    assert(chunkOf(slot) === chunk, 'a chunk holds the rows of its own slots');
    buf.writeUInt8(slot - chunk * accountChunkSlots, at);
    view.setBigInt64(at + 1, rows.balance[i] ?? 0n, true);
    buf.writeUInt8(rows.stateCode[i] ?? 0, at + 9);
    const written = buf.write(rows.id[i] ?? '', at + 11, 'utf8');
    assert(written > 0, 'an account has an id');
    assert(written <= accountIdBytesMax, 'an account id fits its row');
    buf.writeUInt8(written, at + 10);
    at += rowFixedBytes + written;
  }
  return buf.subarray(0, at);
}

export function decodeAccountChunk(chunk: number, bytes: Uint8Array): AccountSnapshot[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  try {
    const count = buf.readUInt16LE(0);
    const rows: AccountSnapshot[] = [];
    let at = 2;
    for (let i = 0; i < count; i++) {
      const idLength = buf.readUInt8(at + 10);
      if (at + rowFixedBytes + idLength > buf.length) throw new RangeError('row past the end');
      rows.push({
        slot: chunk * accountChunkSlots + buf.readUInt8(at),
        balance: view.getBigInt64(at + 1, true),
        stateCode: buf.readUInt8(at + 9),
        id: buf.toString('utf8', at + 11, at + 11 + idLength),
      });
      at += rowFixedBytes + idLength;
    }
    if (at !== buf.length) throw new RangeError('trailing bytes');
    return rows;
  } catch (error) {
    if (error instanceof RangeError) throw new Error(`shardmint: corrupt account chunk ${chunk}`, { cause: error });
    throw error;
  }
}

export function chunkOf(slot: number): number {
  return Math.floor(slot / accountChunkSlots);
}
