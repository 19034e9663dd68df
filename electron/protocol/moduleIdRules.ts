// Pure TypeScript, no Node imports: the hub, the CLI, the bridge contract and the monitor UI share these rules.

/**
 * Module ID rules (docs/PROTOCOL.md, "Module IDs"):
 * - valid UTF-8, 1 to 64 bytes;
 * - no whitespace, no control characters (U+0000–U+001F, U+007F–U+009F), no U+FFFD;
 * - no invisible or direction-changing characters (Unicode category Cf: zero-width spaces and
 *   joiners, bidi embeddings, overrides and isolates, the BOM…, and the other default-ignorable code points);
 * - letters of one script, or of one of the combinations UTS #39 calls "highly restrictive"
 *   (Latin with Han and Hiragana/Katakana, with Han and Bopomofo, or with Han and Hangul), so that
 *   "pаypal" with a Cyrillic а cannot pose as "paypal" in a list, a log or the UI;
 * - must not start with '$': that prefix names the hub's own endpoints ($hub, $monitor…).
 * IDs are compared byte for byte: "Sensor" and "sensor" are two modules.
 */
export const MAX_MODULE_ID_BYTES = 64;
/** TextEncoder, which Node and the browser both have: the monitor UI compiles this file against DOM typings. */
const UTF8 = new TextEncoder();
export const RESERVED_PREFIX = '$';

const FORBIDDEN = /[\s\u0000-\u001f\u007f-\u009f\ufffd]/u;
/** Format characters and the other default-ignorable code points: they change how text shows, not what it says. */
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/u;
/** Scripts an ID's letters are classified into; a letter of any other script counts as its own. */
const SCRIPTS = ['Latin', 'Greek', 'Cyrillic', 'Armenian', 'Hebrew', 'Arabic', 'Devanagari', 'Bengali', 'Thai', 'Georgian', 'Hangul', 'Hiragana', 'Katakana', 'Han', 'Bopomofo', 'Ethiopic'] as const;
const SCRIPT_PATTERNS = SCRIPTS.map((script) => [script, new RegExp(`\\p{Script=${script}}`, 'u')] as const);
const LETTER = /[\p{L}\p{M}]/u;
/** UTS #39's "highly restrictive" combinations of more than one script. */
const ALLOWED_MIXES: readonly (readonly string[])[] = [
  ['Latin', 'Han', 'Hiragana', 'Katakana'],
  ['Latin', 'Han', 'Bopomofo'],
  ['Latin', 'Han', 'Hangul'],
];

/** The scripts of the letters in `id` (marks take their base's script through Script=Inherited, which is not listed). */
function scriptsOf(id: string): Set<string> {
  const scripts = new Set<string>();
  for (const ch of id) {
    if (!LETTER.test(ch)) continue;
    const found = SCRIPT_PATTERNS.find(([, pattern]) => pattern.test(ch));
    if (found !== undefined) scripts.add(found[0]);
    else if (!/\p{Script=Inherited}|\p{Script=Common}/u.test(ch)) scripts.add(`U+${(ch.codePointAt(0) ?? 0).toString(16)}`);
  }
  return scripts;
}

function mixesScripts(id: string): boolean {
  const scripts = scriptsOf(id);
  if (scripts.size <= 1) return false;
  return !ALLOWED_MIXES.some((mix) => [...scripts].every((script) => mix.includes(script)));
}

/** Returns why `id` is not a valid module ID, or null when it is. */
export function moduleIdProblem(id: string, options: { allowReserved?: boolean } = {}): string | null {
  const bytes = UTF8.encode(id).length;
  if (bytes === 0) return 'module ID is empty';
  if (bytes > MAX_MODULE_ID_BYTES) return `module ID is ${bytes} bytes long; the limit is ${MAX_MODULE_ID_BYTES}`;
  if (FORBIDDEN.test(id)) return 'module ID contains whitespace, a control character or invalid UTF-8';
  if (INVISIBLE.test(id)) return 'module ID contains an invisible or text-direction character (Unicode format characters such as zero-width spaces and bidi controls are not allowed)';
  if (mixesScripts(id)) return `module ID mixes letters of ${[...scriptsOf(id)].join(', ')}: an ID's letters must come from one script (UTS #39 "highly restrictive")`;
  if (!options.allowReserved && id.startsWith(RESERVED_PREFIX)) return `module IDs starting with '${RESERVED_PREFIX}' are reserved for the hub`;
  return null;
}

/**
 * Why a monitor (or the UI, which speaks through the hub as one) may not inject a message as `source`,
 * or null when it may. Empty means the injector's own ID. Otherwise the source must be an ID a module
 * could register: "$hub" and every other '$' name are the hub's own endpoints (PROTOCOL.md 8.4).
 * The hub's INJECT, the bridge's hub:inject and the composer all ask this one function.
 */
export function injectSourceProblem(source: string): string | null {
  if (source === '') return null;
  const problem = moduleIdProblem(source);
  return problem === null ? null : `source: ${problem}`;
}
