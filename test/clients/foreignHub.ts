import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Cleanup } from '../support/cleanup';
import { spawnTracked } from '../support/processes';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { waitUntil } from '../support/waitUntil';

/**
 * A hub run by another user, for the clients' owner check (issue 8, item 3): a socket squatted by
 * someone else must not receive a client's HELLO. Starting a process as another user needs root,
 * so the tests that use it run only as root (as in CI).
 */
export const canRunAsAnotherUser = process.getuid?.() === 0;

/** The user the foreign hub runs as: nobody. */
export const FOREIGN_UID = 65534;

// Python rather than Node, so that the other user needs nothing of this tree: it answers every HELLO
// with a WELCOME (for the client that trusts it) and reports every byte it receives as a hex line.
const FOREIGN_HUB = `
import socket, struct, sys
address = sys.argv[1]
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind("\\0" + address[1:] if address.startswith("@") else address)
server.listen(8)
print("listening", flush=True)
while True:
    connection, _ = server.accept()
    data = b""
    welcomed = False
    while True:
        chunk = connection.recv(65536)
        if not chunk:
            break
        print("received " + chunk.hex(), flush=True)
        data += chunk
        if not welcomed and len(data) >= 8 and data[4] == 1:
            module_id = data[8:8 + data[7]]
            body = struct.pack(">BIII", 1, 16777216, 8388608, 30000) + bytes([len(module_id)]) + module_id
            connection.sendall(struct.pack(">IB", 1 + len(body), 2) + body)
            welcomed = True
    connection.close()
    print("closed", flush=True)
`;

export interface ForeignHub {
  address: string;
  /** The hex of every chunk the hub received, in order. */
  received(): string[];
  /** Waits until the hub has seen `count` connections end. */
  waitForClosed(count: number): Promise<void>;
}

/** Starts the foreign hub as FOREIGN_UID on a socket file (kind 'path') or a fresh abstract name. */
export async function startForeignHub(cleanup: Cleanup, kind: 'path' | 'abstract'): Promise<ForeignHub> {
  let address: string;
  if (kind === 'path') {
    const dir = makeTempDir('rs-foreign-');
    cleanup.add(() => removeTempDir(dir));
    // The other user binds the socket in it.
    fs.chownSync(dir, FOREIGN_UID, FOREIGN_UID);
    address = path.join(dir, 'hub.sock');
  } else {
    address = `@rs-foreign-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  }
  const hub = spawnTracked(cleanup, 'python3', ['-u', '-c', FOREIGN_HUB, address], { uid: FOREIGN_UID, gid: FOREIGN_UID, cwd: '/' });
  const outputLines = (): string[] =>
    hub
      .stdout()
      .split('\n')
      .filter((line) => line !== '');
  await waitUntil(() => outputLines().includes('listening') || hub.stderr() !== '', 'the foreign hub to listen', 10_000);
  if (hub.stderr() !== '') throw new Error(`the foreign hub failed: ${hub.stderr()}`);
  return {
    address,
    received: () =>
      outputLines()
        .filter((line) => line.startsWith('received '))
        .map((line) => line.slice('received '.length)),
    waitForClosed: async (count) => {
      await waitUntil(() => outputLines().filter((line) => line === 'closed').length >= count, `${count} connections to the foreign hub to end`);
    },
  };
}
