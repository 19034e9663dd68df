// The rules themselves live in moduleIdRules.ts, which the monitor UI compiles too (no Node there).
export * from './moduleIdRules';

/** Decodes ID bytes from the wire; returns null when they are not valid UTF-8. */
export function decodeModuleId(buf: Buffer, start: number, end: number): string | null {
  const id = buf.toString('utf8', start, end);
  // Invalid sequences decode to U+FFFD, which the rules forbid, so a lossy decode is detected here.
  return id.includes('\ufffd') ? null : id;
}
