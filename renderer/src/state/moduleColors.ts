/**
 * One colour per module ID, the same in every view and every session: a hash of the ID picks from a
 * palette chosen to read on the dark background, so "sensor-1" is the same blue in the chart today
 * and tomorrow, whatever else is connected.
 */
const PALETTE = ['#4fc3f7', '#ffb74d', '#81c784', '#f06292', '#ba68c8', '#4dd0e1', '#dce775', '#ff8a65', '#9575cd', '#aed581', '#f48fb1', '#64b5f6'];

/** FNV-1a over the ID's UTF-16 code units: small, stable and spreads similar IDs apart. */
function hash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function moduleColor(id: string): string {
  return PALETTE[hash(id) % PALETTE.length];
}

/** The table's kind colours (styles.css .kind-*), for the per-kind series. */
export const KIND_COLORS: Readonly<Record<string, string>> = {
  unicast: '#c9d1d9',
  broadcast: '#c792ea',
  request: '#4fc3f7',
  reply: '#81c784',
  error: '#ff6b6b',
};
