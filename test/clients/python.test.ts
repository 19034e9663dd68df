import { createHash } from 'node:crypto';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RelayClient, type ReceivedMessage } from '../../electron/client';
import { defaultSocket, encodeMessage, encodePing, encodeWelcome, FrameType, listen, MessageKind, type RelayHubOptions } from '../../electron/hub';
import { abstractSocketHelper } from '../../electron/sockets/abstractSocket';
import { Cleanup } from '../support/cleanup';
import { CliProcesses, ensureFreshBuild } from '../support/cliProcess';
import { startHub, type HubUnderTest } from '../support/hubFixture';
import { spawnTracked, type ChildResult, type TrackedChild } from '../support/processes';
import { makeTempDir, removeTempDir, uniqueSuffix } from '../support/tempDir';
import { waitUntil } from '../support/waitUntil';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const CLIENT_DIR = path.join(REPO_ROOT, 'clients', 'python');
const SCENARIOS = path.join(__dirname, 'python', 'scenarios.py');
const AB_DEMO = path.join(REPO_ROOT, 'examples', 'python', 'ab_demo.py');
const WAIT_MS = 10_000;
const helperBuilt = abstractSocketHelper() !== null;

type PythonRecord = Record<string, unknown>;

/** One python3 process, its stdout read as JSON lines (the format of scenarios.py). */
class PythonProcess {
  private result: ChildResult | null = null;

  constructor(private readonly tracked: TrackedChild) {
    void tracked.exited.then((result) => (this.result = result));
  }

  records(): PythonRecord[] {
    const text = this.tracked.stdout();
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    return complete
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as PythonRecord);
  }

  /** The first record matching, waiting for it; fails at once if the process has exited without it. */
  waitForRecord(match: (record: PythonRecord) => boolean, what: string): Promise<PythonRecord> {
    return waitUntil(
      () => {
        const found = this.records().find(match);
        if (found === undefined && this.result !== null) throw new Error(`python exited (${this.result.code}) before ${what}; stderr: ${this.result.stderr}`);
        return found;
      },
      what,
      WAIT_MS,
    );
  }

  /** Waits for the exit; fails when it does not come within WAIT_MS or is not a clean one. */
  async succeeds(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`python did not exit within ${WAIT_MS} ms; stderr: ${this.tracked.stderr()}`)), WAIT_MS);
    });
    try {
      const result = await Promise.race([this.tracked.exited, timeout]);
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    } finally {
      clearTimeout(timer);
    }
  }

  get stdout(): string {
    return this.tracked.stdout();
  }
}

let cleanup: Cleanup;

beforeEach(() => {
  cleanup = new Cleanup();
});

afterEach(async () => {
  await cleanup.run();
});

function pythonEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // RELAYSCOPE_* from the developer's shell would point the clients at their own hub.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('RELAYSCOPE_')));
  return { ...inherited, PYTHONPATH: CLIENT_DIR, PYTHONDONTWRITEBYTECODE: '1', ...extra };
}

function startPython(args: string[], env: Record<string, string> = {}): PythonProcess {
  return new PythonProcess(spawnTracked(cleanup, 'python3', ['-u', ...args], { env: pythonEnv(env) }));
}

/** Runs a scenario of scenarios.py to a clean exit and returns what it printed. */
async function runScenario(name: string, address: string, id: string, ...args: string[]): Promise<PythonRecord[]> {
  const python = startPython([SCENARIOS, name, address, id, ...args]);
  await python.succeeds();
  return python.records();
}

function startScenario(name: string, address: string, id: string, ...args: string[]): PythonProcess {
  return startPython([SCENARIOS, name, address, id, ...args]);
}

async function hubOnPath(options: RelayHubOptions = {}): Promise<HubUnderTest & { socket: string }> {
  const hub = await startHub(cleanup, options);
  if (hub.address.kind !== 'path') throw new Error('startHub listens on a path');
  return { ...hub, socket: hub.address.path };
}

/** Also listens on a fresh abstract name; returns '@name'. */
async function addAbstractListener(hub: HubUnderTest): Promise<string> {
  const name = `rs-py-${uniqueSuffix()}`;
  const listener = await listen(hub.hub, { kind: 'abstract', name });
  cleanup.add(() => listener.close());
  return `@${name}`;
}

/** A TypeScript module on the same hub that records every message it gets. */
async function typescriptModule(id: string, socket: string): Promise<{ client: RelayClient; messages: ReceivedMessage[] }> {
  const client = await RelayClient.connect({ id, socket, reconnect: false });
  cleanup.add(() => client.close());
  const messages: ReceivedMessage[] = [];
  client.on('message', (message: ReceivedMessage) => messages.push(message));
  return { client, messages };
}

function described(message: ReceivedMessage): { kind: string; source: string; text: string } {
  return { kind: message.kind, source: message.source, text: message.text() };
}

const isReady = (record: PythonRecord): boolean => record.ready === true;

describe('the Python client connecting', () => {
  it('registers over a socket path and reports the ID and limits from WELCOME', async () => {
    const hub = await hubOnPath({ maxPayload: 65536, idleTimeoutMs: 20_000 });
    expect(await runScenario('welcome', hub.socket, 'py')).toEqual([{ id: 'py', max_payload: 65536, idle_timeout_ms: 20_000 }]);
  });

  it.runIf(helperBuilt)('registers over a Linux abstract name and reaches a TypeScript module on the same hub', async () => {
    const hub = await hubOnPath();
    const abstract = await addAbstractListener(hub);
    const ts = await typescriptModule('ts', hub.socket);
    expect(await runScenario('welcome', abstract, 'py')).toEqual([{ id: 'py', max_payload: 16 * 1024 * 1024, idle_timeout_ms: 30_000 }]);
    await runScenario('send', abstract, 'py-abstract', 'ts', 'over an abstract name');
    const message = await waitUntil(() => ts.messages[0], 'the message sent over the abstract name');
    expect(described(message)).toEqual({ kind: 'unicast', source: 'py-abstract', text: 'over an abstract name' });
  });

  it('raises RelayError ID_IN_USE when the ID is already registered', async () => {
    const hub = await hubOnPath();
    await typescriptModule('taken', hub.socket);
    expect(await runScenario('connect-refused', hub.socket, 'taken')).toEqual([{ error: 'RelayError', code_name: 'ID_IN_USE', ref: 'taken', fatal: true }]);
  });

  it('raises ConnectError naming the socket path when no hub listens there', async () => {
    const dir = makeTempDir();
    cleanup.add(() => removeTempDir(dir));
    const socket = path.join(dir, 'absent.sock');
    expect(await runScenario('connect-refused', socket, 'py')).toEqual([{ error: 'ConnectError', message: `no hub is listening on ${socket} (ENOENT)`, address: socket, reason: 'ENOENT' }]);
  });

  it('raises ConnectError naming the abstract name when nothing is bound to it', async () => {
    const address = `@rs-py-absent-${uniqueSuffix()}`;
    expect(await runScenario('connect-refused', address, 'py')).toEqual([{ error: 'ConnectError', message: `no hub is listening on ${address} (ECONNREFUSED)`, address, reason: 'ECONNREFUSED' }]);
  });

  it('finds the default socket by the same rules as the TypeScript side', async () => {
    const environments: Record<string, string>[] = [{ RELAYSCOPE_SOCKET: '@team-hub', XDG_RUNTIME_DIR: '/run/user/4242' }, { XDG_RUNTIME_DIR: '/run/user/4242' }, { TMPDIR: '/var/tmp/' }];
    const script = 'import json, sys, relayscope\nprint(json.dumps([relayscope.default_address(env) for env in json.loads(sys.argv[1])]))';
    const python = startPython(['-c', script, JSON.stringify(environments)]);
    await python.succeeds();
    // defaultSocket() reads the temp dir from the process, so only the first two compare directly.
    const uid = process.getuid?.() ?? 0;
    expect(JSON.parse(python.stdout)).toEqual([defaultSocket(environments[0]), defaultSocket(environments[1]), `/var/tmp/relayscope-${uid}/relayscope.sock`]);
  });
});

describe('the Python A/B demo (examples/python/ab_demo.py)', () => {
  beforeAll(() => ensureFreshBuild(), 180_000);

  it('prints what each module received and from whom, against a CLI hub found through RELAYSCOPE_SOCKET', async () => {
    const dir = makeTempDir();
    cleanup.add(() => removeTempDir(dir));
    const cli = new CliProcesses();
    cleanup.add(() => cli.stopAll());
    const socket = path.join(dir, 'hub.sock');
    await cli.start(['hub', '--socket', socket]).waitForStdout(`relayscope hub listening on ${socket}`);

    const demo = startPython([AB_DEMO], { RELAYSCOPE_SOCKET: socket });
    await demo.succeeds();
    expect(demo.stdout).toBe('B received "1" from A\nA received "2" from B\n');
  });

  it.runIf(helperBuilt)('runs one module per process with --role, A started before B, over an abstract name', async () => {
    const hub = await hubOnPath();
    const abstract = await addAbstractListener(hub);
    const moduleA = startPython([AB_DEMO, '--role', 'A', '--socket', abstract]);
    await waitUntil(() => hub.hub.moduleIds().includes('A'), 'module A to register');
    const moduleB = startPython([AB_DEMO, '--role', 'B', '--socket', abstract]);
    await Promise.all([moduleA.succeeds(), moduleB.succeeds()]);
    expect(moduleB.stdout).toBe('B received "1" from A\n');
    expect(moduleA.stdout).toBe('A received "2" from B\n');
  });
});

describe('the Python client exchanging messages with a TypeScript RelayClient', () => {
  it('sends a unicast message that the TypeScript module receives', async () => {
    const hub = await hubOnPath();
    const ts = await typescriptModule('ts', hub.socket);
    await runScenario('send', hub.socket, 'py', 'ts', 'hello from python');
    const message = await waitUntil(() => ts.messages[0], 'the message from Python');
    expect(described(message)).toEqual({ kind: 'unicast', source: 'py', text: 'hello from python' });
  });

  it('receives a unicast message the TypeScript module sends', async () => {
    const hub = await hubOnPath();
    const ts = await typescriptModule('ts', hub.socket);
    const python = startScenario('receive', hub.socket, 'py', '1');
    await python.waitForRecord(isReady, 'the Python module to be ready');
    ts.client.send('py', 'hello from typescript');
    await python.succeeds();
    expect(python.records()[1]).toEqual({ kind: 'unicast', source: 'ts', correlation_id: 0, text: 'hello from typescript' });
  });

  it('broadcasts to every other module and receives broadcasts', async () => {
    const hub = await hubOnPath();
    const ts = await typescriptModule('ts', hub.socket);
    const listener = startScenario('receive', hub.socket, 'py-listener', '2');
    await listener.waitForRecord(isReady, 'the Python listener to be ready');
    await runScenario('broadcast', hub.socket, 'py', 'from python');
    const fromPython = await waitUntil(() => ts.messages[0], "the Python module's broadcast");
    expect(described(fromPython)).toEqual({ kind: 'broadcast', source: 'py', text: 'from python' });
    ts.client.broadcast('from typescript');
    await listener.succeeds();
    expect(listener.records().slice(1)).toEqual([
      { kind: 'broadcast', source: 'py', correlation_id: 0, text: 'from python' },
      { kind: 'broadcast', source: 'ts', correlation_id: 0, text: 'from typescript' },
    ]);
  });

  it('sends a request and returns the reply of a TypeScript responder', async () => {
    const hub = await hubOnPath();
    const ts = await typescriptModule('ts', hub.socket);
    ts.client.on('request', (request: ReceivedMessage) => ts.client.reply(request, request.text().toUpperCase()));
    const [reply] = await runScenario('request', hub.socket, 'py', 'ts', 'ping me');
    expect(reply).toMatchObject({ kind: 'reply', source: 'ts', text: 'PING ME' });
    expect(reply.correlation_id).toBeGreaterThan(0);
  });

  it('answers a request from a TypeScript requester with reply()', async () => {
    const hub = await hubOnPath();
    const ts = await typescriptModule('ts', hub.socket);
    const server = startScenario('serve', hub.socket, 'py-server');
    await server.waitForRecord(isReady, 'the Python responder to be ready');
    const reply = await ts.client.request('py-server', 'stressed', { timeoutMs: WAIT_MS });
    expect(described(reply)).toEqual({ kind: 'reply', source: 'py-server', text: 'desserts' });
    await server.succeeds();
    expect(server.records()[1]).toMatchObject({ kind: 'request', source: 'ts', text: 'stressed' });
  });

  it('keeps the messages that arrive while a request waits for receive(), in order', async () => {
    const hub = await hubOnPath();
    const ts = await typescriptModule('ts', hub.socket);
    ts.client.on('request', (request: ReceivedMessage) => {
      ts.client.send(request.source, 'first meanwhile');
      ts.client.broadcast('second meanwhile');
      ts.client.reply(request, 'the answer');
    });
    const records = await runScenario('request-meanwhile', hub.socket, 'py', 'ts');
    expect(records).toEqual([
      { reply: expect.objectContaining({ kind: 'reply', source: 'ts', text: 'the answer' }) },
      { queued: { kind: 'unicast', source: 'ts', correlation_id: 0, text: 'first meanwhile' } },
      { queued: { kind: 'broadcast', source: 'ts', correlation_id: 0, text: 'second meanwhile' } },
    ]);
  });

  it('round-trips a 1 MiB payload, read and written in many partial chunks', async () => {
    const hub = await hubOnPath();
    const ts = await typescriptModule('echo', hub.socket);
    ts.client.on('request', (request: ReceivedMessage) => ts.client.reply(request, request.payload));
    const size = 1024 * 1024;
    const expected = Buffer.alloc(size);
    for (let index = 0; index < size; index++) expected[index] = index % 251;
    const [result] = await runScenario('big-round-trip', hub.socket, 'py', 'echo', String(size));
    expect(result).toEqual({ sent: size, received: size, identical: true, sha256: createHash('sha256').update(expected).digest('hex') });
  });

  it('refuses a payload above the maxPayload of WELCOME before sending it, and stays connected', async () => {
    const hub = await hubOnPath({ maxPayload: 1024 });
    expect(await runScenario('too-big', hub.socket, 'py')).toEqual([{ error: "payload of 1025 bytes exceeds the hub's limit of 1024" }, { list: ['py'] }]);
  });
});

describe('the Python client handling hub answers', () => {
  it('raises RelayError NO_SUCH_MODULE from request() and from the receive() after a send()', async () => {
    const hub = await hubOnPath();
    expect(await runScenario('no-such-module', hub.socket, 'py', 'ghost')).toEqual([
      { operation: 'request', code: 10, code_name: 'NO_SUCH_MODULE', ref: 'ghost', fatal: false },
      { operation: 'send', code: 10, code_name: 'NO_SUCH_MODULE', ref: 'ghost', fatal: false },
    ]);
  });

  it('returns None from receive() when nothing arrives within the timeout', async () => {
    const hub = await hubOnPath();
    expect(await runScenario('receive-timeout', hub.socket, 'py')).toEqual([{ received: 'None' }]);
  });

  it('lists the connected modules in registration order', async () => {
    const hub = await hubOnPath();
    await typescriptModule('ts-first', hub.socket);
    expect(await runScenario('list', hub.socket, 'py')).toEqual([{ modules: ['ts-first', 'py'] }]);
  });

  it('reports joins and leaves from receive() after subscribe_presence()', async () => {
    const hub = await hubOnPath();
    const watcher = startScenario('presence', hub.socket, 'watcher');
    await watcher.waitForRecord((record) => record.subscribed === true, 'the subscription');
    const visitor = await RelayClient.connect({ id: 'visitor', socket: hub.socket, reconnect: false });
    await visitor.close();
    await watcher.succeeds();
    expect(watcher.records().slice(1)).toEqual([
      { kind: 'presence', source: 'visitor', correlation_id: 0, text: 'join' },
      { kind: 'presence', source: 'visitor', correlation_id: 0, text: 'leave' },
    ]);
  });

  it('iterates over messages until the hub shuts down', async () => {
    const hub = await hubOnPath();
    const ts = await typescriptModule('ts', hub.socket);
    const python = startScenario('iterate', hub.socket, 'py');
    await python.waitForRecord(isReady, 'the Python module to be ready');
    ts.client.send('py', 'one');
    ts.client.send('py', 'two');
    await python.waitForRecord((record) => record.text === 'two', 'the second message');
    await hub.hub.close('maintenance window', 1000);
    await python.succeeds();
    expect(python.records().slice(1)).toEqual([
      { kind: 'unicast', source: 'ts', correlation_id: 0, text: 'one' },
      { kind: 'unicast', source: 'ts', correlation_id: 0, text: 'two' },
      { ended: `the hub at ${hub.socket} closed the connection: SHUTDOWN: maintenance window`, code_name: 'SHUTDOWN' },
    ]);
  });

  it('ends the iteration when the module is kicked, with KICKED as the reason', async () => {
    const hub = await hubOnPath();
    const python = startScenario('iterate', hub.socket, 'py');
    await python.waitForRecord(isReady, 'the Python module to be ready');
    hub.hub.kick('py', 'make room');
    await python.succeeds();
    expect(python.records().slice(1)).toEqual([{ ended: `the hub at ${hub.socket} closed the connection: KICKED: make room`, code_name: 'KICKED' }]);
  });
});

describe('the Python client as a monitor', () => {
  it('reads the snapshot, injects a message, kicks a module and sees the traffic and events', async () => {
    const hub = await hubOnPath();
    const ts = await typescriptModule('ts', hub.socket);
    const records = await runScenario('monitor', hub.socket, '', 'ts');
    expect(records).toEqual([
      { id: '$monitor-1', modules: ['ts'] },
      { traffic: { kind: 'unicast', source: 'ghost', correlation_id: expect.any(Number), text: 'from nobody' }, destination: 'ts', injected: true },
      { event: 'error', code_name: 'KICKED', id: 'ts', detail: 'monitor says so' },
      { event: 'leave', code_name: 'KICKED', id: 'ts', detail: 'KICKED: monitor says so' },
    ]);
    expect(described(ts.messages[0])).toEqual({ kind: 'unicast', source: 'ghost', text: 'from nobody' });
  });
});

describe('the Python client reading a byte stream', () => {
  it('reassembles frames delivered one byte per write and answers a PING in between', async () => {
    const dir = makeTempDir();
    cleanup.add(() => removeTempDir(dir));
    const socket = path.join(dir, 'fake-hub.sock');
    const received: Buffer[] = [];
    // A fake hub: it answers HELLO with WELCOME, PING and a MESSAGE, written one byte at a time.
    const server = net.createServer((connection) => {
      connection.on('error', () => {});
      connection.once('data', () => {
        const stream = Buffer.concat([
          encodeWelcome({ version: 1, maxPayload: 4096, queueLimit: 65536, idleTimeoutMs: 30_000, id: 'py' }),
          encodePing(FrameType.PING),
          encodeMessage(MessageKind.REQUEST, 'fake', 'byte by byte', 7),
        ]);
        const writeFrom = (offset: number): void => {
          if (offset >= stream.length || connection.destroyed) return;
          connection.write(stream.subarray(offset, offset + 1), () => setImmediate(() => writeFrom(offset + 1)));
        };
        writeFrom(0);
      });
      connection.on('data', (chunk: Buffer) => received.push(chunk));
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    cleanup.add(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const records = await runScenario('receive', socket, 'py', '1');
    expect(records).toEqual([{ ready: true }, { kind: 'request', source: 'fake', correlation_id: 7, text: 'byte by byte' }]);
    await waitUntil(() => Buffer.concat(received).includes(Buffer.from([0, 0, 0, 3, FrameType.BYE, 0, 0])), 'the BYE');
    const pong = Buffer.from([0, 0, 0, 1, FrameType.PONG]);
    expect(Buffer.concat(received).includes(pong)).toBe(true);
  });
});
