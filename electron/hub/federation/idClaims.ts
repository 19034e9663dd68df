/** One hub's claim on a module ID. */
export interface IdClaim {
  hub: string;
  /** When the hub registered the module, milliseconds since the Unix epoch. */
  claimedAt: number;
}

/**
 * Whether claim `a` beats `b` on the same ID (docs/FEDERATION.md, "Module IDs across the bus"):
 * the earlier claim, then the smaller hub name. Every hub applies the same rule to the same two
 * claims, so after a race, an outage or a split all agree on who keeps the ID.
 */
export function claimWins(a: IdClaim, b: IdClaim): boolean {
  if (a.claimedAt !== b.claimedAt) return a.claimedAt < b.claimedAt;
  return a.hub < b.hub;
}
