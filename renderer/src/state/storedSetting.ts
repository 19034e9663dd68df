/**
 * A setting kept in localStorage as JSON. Storage can be unavailable (privacy settings) or full;
 * a read then gives null and a write says it failed, so the caller can say the setting lasts only
 * until the page reloads instead of losing it silently.
 */
export function readStoredJson(key: string): unknown {
  try {
    return JSON.parse(window.localStorage.getItem(key) ?? 'null') as unknown;
  } catch {
    return null;
  }
}

/** False when the browser refused to store it. */
export function writeStoredJson(key: string, value: unknown): boolean {
  try {
    window.localStorage.setItem(key, JSON.stringify(value));
    return true;
  } catch {
    return false;
  }
}
