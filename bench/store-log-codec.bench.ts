// Log-record encode and decode, per group of 1,000 mint records (divide by 1,000 for one record).
import type { Bench } from 'tinybench';
import { makeRecord } from '../dist/domain/log-record.js';
import { decodeGroup, encodeGroup } from '../dist/store/log-codec.js';

export function register(bench: Bench): () => Promise<void> {
  const at = Date.now();
  const group = Array.from({ length: 1000 }, (_, i) => makeRecord({ seq: i + 1, kind: 'mint', slot: i * 37, amount: BigInt(i * 1000 + 1), chain: 'ethereum', key: `order-${i}`, at }));
  const bytes = encodeGroup(group);
  bench.add('log codec: encode 1,000 records', () => void encodeGroup(group));
  bench.add('log codec: decode 1,000 records', () => void decodeGroup(bytes));
  return async () => undefined;
}
