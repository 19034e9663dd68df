import { DEFAULT_ROW_CAPACITY } from './TrafficStore';

const STORAGE_KEY = 'relayscope.rowCapacity';
export const ROW_CAPACITY_CHOICES: readonly number[] = [50_000, 200_000, 1_000_000, 2_000_000];

function parseCapacity(value: string | null): number | null {
  if (value === null) return null;
  const capacity = Number(value);
  return Number.isSafeInteger(capacity) && capacity > 0 ? capacity : null;
}

/** The ring's cap: `?rows=N` in the page URL, else the last choice saved, else the default. */
export function initialRowCapacity(): number {
  const fromUrl = parseCapacity(new URLSearchParams(window.location.search).get('rows'));
  if (fromUrl !== null) return fromUrl;
  try {
    return parseCapacity(window.localStorage.getItem(STORAGE_KEY)) ?? DEFAULT_ROW_CAPACITY;
  } catch {
    // Storage can be unavailable (privacy settings); the default is fine then.
    return DEFAULT_ROW_CAPACITY;
  }
}

export function saveRowCapacity(capacity: number): void {
  try {
    window.localStorage.setItem(STORAGE_KEY, String(capacity));
  } catch {
    // Not remembered across reloads, but the store already uses the new cap.
  }
}
