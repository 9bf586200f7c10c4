// Operation kinds, shared by the log, the worker wire format and the metrics.

export const opKinds = ['create', 'deposit', 'mint', 'burn', 'transfer', 'pay', 'refund', 'reconcile', 'setState'] as const;
export type OpKind = (typeof opKinds)[number];

export function opKindCode(kind: OpKind): number {
  return opKinds.indexOf(kind);
}

export function opKindOfCode(code: number): OpKind {
  const kind = opKinds[code];
  if (kind === undefined) throw new Error(`shardmint internal assertion failed: op kind code ${code}`);
  return kind;
}
