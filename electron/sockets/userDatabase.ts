import * as fs from 'node:fs';

/** Which database a name is looked up in: users in /etc/passwd, groups in /etc/group. */
export type IdKind = 'user' | 'group';

/** A name or number that names no user or group; the message says which and where it was looked for. */
export class UnknownIdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownIdError';
  }
}

const DATABASE: Record<IdKind, string> = { user: '/etc/passwd', group: '/etc/group' };

/**
 * Reads a comma-separated list of numeric IDs and names (`1000,alice`) into numbers. Names are
 * looked up in /etc/passwd or /etc/group as those files stand when the hub starts: Node has no
 * getpwnam(), and a hub that asked NSS (LDAP, systemd-homed) on every start could hang on the
 * network, so users known only to such services are given by number. Throws UnknownIdError.
 */
export function parseIdList(text: string, kind: IdKind, databaseFile = DATABASE[kind]): number[] {
  const words = text.split(',').map((word) => word.trim());
  if (words.some((word) => word === '')) throw new UnknownIdError(`"${text}" is not a comma-separated list of ${kind} names or numbers`);
  let names: Map<string, number> | null = null;
  return words.map((word) => {
    if (/^\d+$/.test(word)) {
      const id = Number(word);
      if (id > 0xfffffffe) throw new UnknownIdError(`${word} is not a ${kind} ID: IDs go up to 4294967294`);
      return id;
    }
    names ??= readDatabase(databaseFile, kind);
    const id = names.get(word);
    if (id === undefined) throw new UnknownIdError(`no ${kind} named "${word}" in ${databaseFile}; give its number instead`);
    return id;
  });
}

/** The name of a user ID in /etc/passwd, or null; for messages that name a refused peer. */
export function userName(uid: number, databaseFile = DATABASE.user): string | null {
  try {
    for (const [name, id] of readDatabase(databaseFile, 'user')) if (id === uid) return name;
  } catch {
    // An unreadable database only costs the message its name.
  }
  return null;
}

/** name → ID of every entry: the first and third colon-separated fields of each line. */
function readDatabase(file: string, kind: IdKind): Map<string, number> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UnknownIdError(`cannot read ${file} to look up ${kind} names (${(err as Error).message}); give numbers instead`);
  }
  const names = new Map<string, number>();
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 3 || line.startsWith('#') || !/^\d+$/.test(fields[2])) continue;
    if (!names.has(fields[0])) names.set(fields[0], Number(fields[2]));
  }
  return names;
}
