/**
 * Polls `condition` until it returns something other than false/undefined/null, or fails after
 * `timeoutMs` with a message naming what was awaited.
 */
export async function waitUntil<T>(condition: () => T | false | undefined | null, what: string, timeoutMs = 5000, intervalMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = condition();
    if (value !== false && value !== undefined && value !== null) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
