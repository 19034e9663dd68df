/**
 * What `relayscope tap` and `relayscope monitor` print for a tapped chunk (issue 13, item 5): its
 * direction, its offset in that direction's stream and its size, "partial" for a piece, in text; and
 * tap: {direction, offset, partial} in JSON. Real peers: a python3 echo server and socat as the
 * client, writing "one\ntw" and half-closing, cut with --tap-framing lines.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliHarness } from '../support/cliHarness';
import { runToCompletion } from '../support/processes';
import { makeTempDir, removeTempDir } from '../support/tempDir';
import { startEchoServer } from './tapPeers';

const { cli, cleanup } = cliHarness();

describe('tapped chunks in the output of tap and monitor', () => {
  it('each line says direction, offset and size, and "partial" for a piece; JSON carries them as tap', async () => {
    const dir = makeTempDir('rs-tapout-');
    cleanup.add(() => removeTempDir(dir));
    const upstream = path.join(dir, 'server.sock');
    const listen = path.join(dir, 'tap.sock');
    const hubSocket = path.join(dir, 'hub.sock');
    await startEchoServer(cleanup, upstream);
    const tap = cli.start(['tap', upstream, '--listen', listen, '--socket', hubSocket, '--tap-framing', 'lines']);
    await tap.waitForStdout(`relayscope tap: point clients at ${listen}; it forwards to ${upstream}`);
    const monitor = cli.start(['monitor', '--socket', hubSocket, '--format', 'json']);
    await monitor.waitForStderr(/monitoring /);

    const client = await runToCompletion(cleanup, 'socat', ['-', `UNIX-CONNECT:${listen}`], 'one\ntw');
    expect(client.stdout).toBe('one\ntw');
    const chunk = (from: string, to: string, direction: string, offset: number, size: string, preview: string): RegExp =>
      new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{6} ${from} -> ${to} ${direction} offset ${offset} ${size} ${preview}$`);
    const socat = 'socat\\[\\d+\\]';
    await tap.waitForStdout(chunk(socat, 'server\\.sock', 'to-upstream', 0, '4B', 'one\\\\n'));
    await tap.waitForStdout(chunk(socat, 'server\\.sock', 'to-upstream', 4, '2B partial', 'tw'));
    await tap.waitForStdout(chunk('server\\.sock', socat, 'to-client', 0, '4B', 'one\\\\n'));
    await tap.waitForStdout(chunk('server\\.sock', socat, 'to-client', 4, '2B partial', 'tw'));

    await monitor.waitForStdout(/"text":"tw"/);
    const traffic = monitor.stdout
      .split('\n')
      .filter((line) => line.startsWith('{"type":"traffic"'))
      .map((line) => JSON.parse(line) as { source: string; tap: unknown; size: number; text: string });
    expect(traffic.filter((t) => t.source !== 'server.sock').map(({ tap, size, text }) => ({ tap, size, text }))).toEqual([
      { tap: { direction: 'to-upstream', offset: 0, partial: false }, size: 4, text: 'one\n' },
      { tap: { direction: 'to-upstream', offset: 4, partial: true }, size: 2, text: 'tw' },
    ]);
    await monitor.waitForStdout(/"source":"server\.sock".*"offset":4/);
  });
});
