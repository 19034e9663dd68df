/** What a traffic row is: the four message kinds, plus rows made from ERROR and registry events. */
export type RowKind = 'unicast' | 'broadcast' | 'request' | 'reply' | 'error' | 'system';
export const ROW_KINDS: readonly RowKind[] = ['unicast', 'broadcast', 'request', 'reply', 'error', 'system'];

export function rowKindCode(kind: RowKind): number {
  return ROW_KINDS.indexOf(kind);
}

export const ALL_KINDS_MASK = (1 << ROW_KINDS.length) - 1;

export function kindMask(kinds: Iterable<RowKind>): number {
  let mask = 0;
  for (const kind of kinds) mask |= 1 << rowKindCode(kind);
  return mask;
}
