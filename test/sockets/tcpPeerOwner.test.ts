/**
 * Who is behind a loopback TCP connection, from /proc/net/tcp(6) and /proc/PID/fd: a python3 client's
 * pid, uid, exe and command line in relayscope list, over IPv4 and IPv6 loopback.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HubSnapshot, ModuleInfo } from '../../electron/hub';
import { canonicalAddress } from '../../electron/sockets/tcpPeerOwner';
import { cliHarness } from '../support/cliHarness';
import { spawnTracked } from '../support/processes';
import { uniqueSuffix } from '../support/tempDir';
import { waitUntil } from '../support/waitUntil';

const PYTHON_LIB = path.resolve(__dirname, '..', '..', 'clients', 'python');
/** Registers as argv[2] at argv[1], prints "welcome", and stays until its standard input ends. */
const PYTHON_CLIENT = `
import sys
sys.path.insert(0, ${JSON.stringify(PYTHON_LIB)})
import relayscope
client = relayscope.Client.connect(sys.argv[2], sys.argv[1], timeout=5)
print("welcome", flush=True)
sys.stdin.read()
`;

const { cli, cleanup } = cliHarness();

describe('canonicalAddress', () => {
  it('writes addresses the way the /proc tables decode: IPv4-mapped as dotted, IPv6 in eight groups', () => {
    expect(canonicalAddress('127.0.0.1')).toBe('127.0.0.1');
    expect(canonicalAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(canonicalAddress('::1')).toBe('0:0:0:0:0:0:0:1');
    expect(canonicalAddress('fe80::1:2')).toBe('fe80:0:0:0:0:0:1:2');
  });
});

describe('TCP peer identity from /proc', () => {
  it('shows a python3 TCP client with its pid, uid, exe and command line in list, on 127.0.0.1 and ::1', async () => {
    const socket = `@rs-tcp-peer-${uniqueSuffix()}`;
    const hub = cli.start(['hub', '--socket', socket, '--socket', 'tcp://[::1]:0', '--tcp', '127.0.0.1:0']);
    const v4 = (await hub.waitForStdout(/^relayscope hub listening on tcp:\/\/127\.0\.0\.1:\d+$/)).split(' ').at(-1) as string;
    const v6 = (await hub.waitForStdout(/^relayscope hub listening on tcp:\/\/\[::1\]:\d+$/)).split(' ').at(-1) as string;
    const clients = [
      { id: 'over-v4', child: spawnTracked(cleanup, '/usr/bin/python3', ['-c', PYTHON_CLIENT, v4, 'over-v4']) },
      { id: 'over-v6', child: spawnTracked(cleanup, '/usr/bin/python3', ['-c', PYTHON_CLIENT, v6, 'over-v6']) },
    ];
    for (const { id, child } of clients) await waitUntil(() => child.stdout().startsWith('welcome'), `${id} welcomed (stderr: ${child.stderr()})`, 10_000);

    // The lookup runs after accept and fills the identity in when it finds the process.
    let modules: ModuleInfo[] = [];
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const list = await cli.run(['list', '--socket', socket, '--format', 'json']);
      modules = (JSON.parse(list.stdout) as HubSnapshot).modules;
      if (modules.length === 2 && modules.every((module) => module.pid !== undefined)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const { id, child } of clients) {
      const module = modules.find((candidate) => candidate.id === id);
      expect(module, `${id} in ${JSON.stringify(modules)}`).toBeDefined();
      expect(module?.transport).toBe('tcp');
      expect(module?.pid).toBe(child.child.pid);
      expect(module?.uid).toBe(process.getuid?.());
      expect(module?.gid).toBe(process.getegid?.());
      expect(module?.exe).toMatch(/\/python3[.\d]*$/);
      expect(module?.cmdline?.slice(0, 2)).toEqual(['/usr/bin/python3', '-c']);
      expect(module?.cmdline?.slice(-2)).toEqual([id === 'over-v4' ? v4 : v6, id]);
    }
    const table = await cli.run(['list', '--socket', socket]);
    for (const { child } of clients) expect(table.stdout).toContain(`${child.child.pid}`);
  });
});
