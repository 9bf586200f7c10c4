// Log-group encoding with msgpackr: a group is an array of fixed-position record arrays.
import { Packr } from 'msgpackr';
import { makeRecord, type LogRecord } from '../domain/log-record.js';
import { opKindCode, opKindOfCode } from '../domain/op-kind.js';

const packr = new Packr({ useRecords: false, int64AsType: 'bigint' });

type Row = [number, number, number, number, bigint, string, string, number, number, string];

export function encodeGroup(records: readonly LogRecord[]): Buffer {
  const rows: Row[] = new Array<Row>(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as LogRecord;
    rows[i] = [r.seq, opKindCode(r.kind), r.slot, r.slot2, r.amount, r.chain, r.key, r.ref, r.at, r.id];
  }
  return packr.pack(rows);
}

export function decodeGroup(bytes: Uint8Array): LogRecord[] {
  const rows = packr.unpack(bytes) as Row[];
  if (!Array.isArray(rows)) throw new Error('shardmint: corrupt log group (not an array)');
  return rows.map(decodeRow);
}

function decodeRow(row: Row): LogRecord {
  if (!Array.isArray(row) || row.length !== 10) throw new Error('shardmint: corrupt log record');
  const [seq, kind, slot, slot2, amount, chain, key, ref, at, id] = row;
  return makeRecord({ seq, kind: opKindOfCode(kind), slot, slot2, amount: BigInt(amount), chain, key, ref, at, id });
}
