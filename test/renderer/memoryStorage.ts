import { vi } from 'vitest';

/** A page's localStorage for state tests under Node: a map, which can be told to refuse writes as a full store does. */
export class MemoryStorage {
  readonly items = new Map<string, string>();
  refuseWrites = false;

  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }

  setItem(key: string, value: string): void {
    if (this.refuseWrites) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    this.items.set(key, value);
  }
}

/** Gives the code under test `window.localStorage`; undone by vi.unstubAllGlobals(). */
export function installStorage(): MemoryStorage {
  const storage = new MemoryStorage();
  vi.stubGlobal('window', { localStorage: storage });
  return storage;
}
