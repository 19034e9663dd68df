export type PrettyJsonResult = { ok: true; text: string } | { ok: false; error: string };

const INDENT = '  ';

/**
 * Validates `text` as JSON and re-indents it. The original tokens are kept as written rather than
 * re-serialized from JSON.parse, so numbers beyond double precision (64-bit IDs, counters) and
 * string escapes are shown exactly as they were sent.
 */
export function prettyJson(text: string): PrettyJsonResult {
  try {
    JSON.parse(text);
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  return { ok: true, text: reindent(text) };
}

function reindent(validJson: string): string {
  let out = '';
  let depth = 0;
  let inString = false;
  for (let i = 0; i < validJson.length; i++) {
    const char = validJson[i];
    if (inString) {
      out += char;
      if (char === '\\') {
        out += validJson[++i];
      } else if (char === '"') {
        inString = false;
      }
      continue;
    }
    switch (char) {
      case '"':
        inString = true;
        out += char;
        break;
      case '{':
      case '[': {
        const next = nextSignificant(validJson, i + 1);
        if (validJson[next] === '}' || validJson[next] === ']') {
          out += char + validJson[next];
          i = next;
        } else {
          depth++;
          out += char + '\n' + INDENT.repeat(depth);
        }
        break;
      }
      case '}':
      case ']':
        depth--;
        out += '\n' + INDENT.repeat(depth) + char;
        break;
      case ',':
        out += ',\n' + INDENT.repeat(depth);
        break;
      case ':':
        out += ': ';
        break;
      case ' ':
      case '\t':
      case '\n':
      case '\r':
        break;
      default:
        out += char;
    }
  }
  return out;
}

function nextSignificant(text: string, from: number): number {
  let i = from;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  return i;
}
