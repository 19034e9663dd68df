import { userName } from '../sockets/userDatabase';

/** Looked up once per uid per process: a snapshot lists every module every second, /etc/passwd rarely changes. */
const names = new Map<number, string | null>();

/** The name of a uid in /etc/passwd of this machine, or null; for the UI's modules panel. */
export function cachedUserName(uid: number): string | null {
  let name = names.get(uid);
  if (name === undefined) {
    name = userName(uid);
    names.set(uid, name);
  }
  return name;
}
