// Operation kinds, shared by the log, the worker wire format and the metrics. Codes are positions in
// this list and are stored in the log: append, never reorder. 'void' fills the sequence number that a
// worker took just before it died, when its operation was rolled back (worker-recovery.ts).

export const opKinds = ['create', 'deposit', 'mint', 'burn', 'transfer', 'pay', 'refund', 'reconcile', 'setState', 'void'] as const;
export type OpKind = (typeof opKinds)[number];

export function opKindCode(kind: OpKind): number {
  return opKinds.indexOf(kind);
}

export function opKindOfCode(code: number): OpKind {
  const kind = opKinds[code];
  if (kind === undefined) throw new Error(`shardmint internal assertion failed: op kind code ${code}`);
  return kind;
}
