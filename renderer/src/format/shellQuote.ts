/** Quotes an argument for a POSIX shell only when it needs it, so commands stay copy-pasteable. */
export function shellQuote(argument: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(argument)) return argument;
  return `'${argument.replace(/'/g, `'\\''`)}'`;
}
