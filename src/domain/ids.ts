// Operation ids name the ordered-log sequence number of the operation: the log is the record of every
// operation, so `getMint(id)` reads the log instead of a second index on the commit path.
import type { OpKind } from './op-kind.js';

const prefixes: Record<OpKind, string> = {
  create: 'acc',
  deposit: 'dep',
  mint: 'mnt',
  burn: 'brn',
  transfer: 'trf',
  pay: 'pay',
  refund: 'rfd',
  reconcile: 'rec',
  setState: 'sta',
  void: 'vod',
};

export function operationId(kind: OpKind, seq: number): string {
  return `${prefixes[kind]}_${seq}`;
}

const idPattern = /^([a-z]{3})_([1-9]\d{0,15})$/;

/** The sequence number an id names, or undefined when the id is not of this kind. */
export function sequenceOfId(kind: OpKind, id: string): number | undefined {
  const match = idPattern.exec(id);
  if (match === null || match[1] !== prefixes[kind]) return undefined;
  const seq = Number(match[2]);
  return Number.isSafeInteger(seq) ? seq : undefined;
}
