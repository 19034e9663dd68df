import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CommandSpec, FlagValues, parseCommandArgs } from '../../electron/cli/args';
import { findCommandSpec } from '../../electron/cli/commandSpecs';
import { backendTargetFromFlags } from '../../electron/serve/backendTarget';
import { HUB_ONLY_FLAGS, type HubSetup, hubSetupFromFlags } from '../../electron/serve/hubSetup';
import { AppOptionsError, type AppOptions, parseAppOptions, userArguments } from '../../electron/shell/appOptions';
import { makeTempDir, removeTempDir } from '../support/tempDir';

const noEnv = { XDG_RUNTIME_DIR: '/run/user/1000' };
const dir = makeTempDir('rs-appopts-');
afterAll(() => removeTempDir(dir));

/** What `relayscope hub WORDS` reads from the same words, through its own parser and spec. */
function hubSetupOfHub(words: string[], env: NodeJS.ProcessEnv = noEnv): HubSetup {
  const spec = findCommandSpec('hub') as CommandSpec;
  return hubSetupFromFlags(new FlagValues('hub', parseCommandArgs(spec, words)), env);
}

/** The message `relayscope serve WORDS` refuses the words with: its spec, its parser and what runServe reads them with. */
function serveRefusal(words: string[]): string {
  try {
    backendTargetFromFlags(new FlagValues('serve', parseCommandArgs(findCommandSpec('serve') as CommandSpec, words)), noEnv);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`serve took ${words.join(' ')}`);
}

function appSetup(options: AppOptions): HubSetup {
  if (options.target.kind !== 'hub') throw new Error(`the app runs no hub of its own: ${options.target.kind}`);
  return options.target.setup;
}

describe('the desktop app options', () => {
  it('listen on the default socket when no address is given', () => {
    const options = parseAppOptions([], noEnv);
    expect(options.ignored).toEqual([]);
    expect(options.target).toMatchObject({ kind: 'hub', record: undefined });
    expect(appSetup(options).addresses).toEqual([{ kind: 'path', path: '/run/user/1000/relayscope.sock' }]);
    expect(appSetup(options)).toEqual(hubSetupOfHub([]));
  });

  it('take the default socket and token from RELAYSCOPE_SOCKET and RELAYSCOPE_TOKEN', () => {
    const setup = appSetup(parseAppOptions([], { ...noEnv, RELAYSCOPE_SOCKET: '@bus', RELAYSCOPE_TOKEN: 'secret' }));
    expect(setup.addresses).toEqual([{ kind: 'abstract', name: 'bus' }]);
    expect(setup.hubOptions.token).toBe('secret');
  });

  it('collect every --socket, in both flag forms, and the --tcp address after them', () => {
    const setup = appSetup(parseAppOptions(['--socket', 'hub.sock', '--socket=@bus', '--tcp', '127.0.0.1:7777'], noEnv));
    expect(setup.addresses).toEqual([
      { kind: 'path', path: path.resolve('hub.sock') },
      { kind: 'abstract', name: 'bus' },
      { kind: 'tcp', host: '127.0.0.1', port: 7777 },
    ]);
  });

  fs.writeFileSync(path.join(dir, 'nats.creds'), 'not checked until the hub logs in');
  fs.writeFileSync(path.join(dir, 'token'), 'from-a-file\n', { mode: 0o600 });
  it.each([
    ['plain listeners', ['--plain', 'id-byte=@rs-relay', '--plain=line=tcp://127.0.0.1:0']],
    ['taps', ['--tap', '@tap=@server', '--tap', `${dir}/docker.sock=/run/docker.sock,framing=http`, '--tap-framing', 'lines']],
    ['in-place taps', ['--tap-in-place', `${dir}/server.sock`, '--tap-in-place', `${dir}/other.sock,framing=u32be`, '--tap-framing=raw']],
    ['the access policy', ['--allow-uid', 'root,65534', '--allow-uid', 'daemon', '--allow-gid', 'nogroup', '--owner', 'sensor=nobody', '--owner', 'db=0']],
    ['federation with a token', ['--nats', 'nats://127.0.0.1:4222', '--bus', 'lab', '--hub-name', 'desk', '--nats-token', 'nt']],
    ['federation with a credentials file', ['--nats', 'nats://127.0.0.1:4222,nats://127.0.0.1:4223', '--nats-creds', `${dir}/nats.creds`]],
    [
      'limits and socket mode',
      [
        '--max-connections',
        '7',
        '--max-frame',
        '1000',
        '--queue-bytes',
        '4096',
        '--idle-timeout',
        '0',
        '--handshake-timeout',
        '50',
        '--takeover-probe',
        '20',
        '--memory-budget',
        '2097152',
        '--mode',
        '660',
        '--slow-consumer',
        'drop',
      ],
    ],
    ['a token file', ['--token-file', `${dir}/token`]],
  ])('read %s into the HubSetup relayscope hub reads from the same words', (_family, words) => {
    const setup = appSetup(parseAppOptions(words, noEnv));
    expect(setup).toEqual(hubSetupOfHub(words));
    // Not two empty setups that happen to agree: the words are read.
    expect(setup).not.toEqual(hubSetupOfHub([]));
  });

  it.each([
    [['--plain', 'morse=@x']],
    [['--tap', 'just-one-address']],
    [['--tap-framing', 'xml', '--tap', '@a=@b']],
    [['--tap-in-place', 'tcp://127.0.0.1:80']],
    [['--allow-uid', 'no-such-user-here']],
    [['--allow-gid', 'no-such-group-here']],
    [['--owner', 'sensor']],
    [['--owner', 'sensor=alice-who-is-not-here']],
    [['--bus', 'lab']],
    [['--nats', 'nats://127.0.0.1:4222', '--nats-creds', `${dir}/c`, '--nats-token', 't']],
    [['--nats', 'nats://127.0.0.1:4222', '--nats-creds', `${dir}/missing.creds`]],
    [['--nats', 'nats://127.0.0.1:4222', '--hub-name', 'a.b']],
    [['--max-connections', '0']],
    [['--mode', '999']],
    [['--slow-consumer', 'wait']],
    [['--tcp', 'nowhere']],
    [['--socket']],
    [['--socket', '--tcp', '1.2.3.4:5']],
    [['--tcp', '127.0.0.1:1', '--tcp', '127.0.0.1:2']],
    [['--socket', '@']],
  ])('refuse %j with the message relayscope serve gives', (words) => {
    const message = serveRefusal(words);
    expect(() => parseAppOptions(words, noEnv)).toThrow(AppOptionsError);
    expect(() => parseAppOptions(words, noEnv)).toThrow(message);
  });

  it('refuse every hub-only flag, and --socket, with --attach and with --open, as serve does', () => {
    for (const name of [...HUB_ONLY_FLAGS, 'socket']) {
      const attach = ['--attach', '@bus', `--${name}`, 'x'];
      expect(() => parseAppOptions(attach, noEnv)).toThrow(new AppOptionsError(`--${name} configures a hub this process runs, so it cannot be combined with --attach`));
      expect(serveRefusal(attach)).toBe(`--${name} configures a hub this process runs, so it cannot be combined with --attach`);
      const open = ['--open', 'rec.mcap', `--${name}`, 'x'];
      expect(() => parseAppOptions(open, noEnv)).toThrow(new AppOptionsError(`--${name} configures a hub, and --open runs none`));
      expect(serveRefusal(open)).toBe(`--${name} configures a hub, and --open runs none`);
    }
  });

  it('open a recording with --open (made absolute), alone: no hub runs then', () => {
    expect(parseAppOptions(['--open', 'rec.mcap'], noEnv)).toEqual({ target: { kind: 'open', file: path.resolve('rec.mcap') }, ignored: [] });
    expect(() => parseAppOptions(['--open', 'rec.mcap', '--attach', '@bus'], noEnv)).toThrow('--open shows a recording and --attach a live hub: give one of them');
    expect(() => parseAppOptions(['--open', 'a.mcap', '--open', 'b.mcap'], noEnv)).toThrow('--open was given more than once');
    expect(() => parseAppOptions(['--open', 'a.mcap', '--record', 'b.mcap'], noEnv)).toThrow('--record records a live hub, and --open runs none');
  });

  it('attach to a hub elsewhere with --attach, written the way users write addresses, and start no hub', () => {
    expect(parseAppOptions(['--attach', 'tcp://localhost:9000', '--token', 't'], noEnv)).toEqual({
      target: { kind: 'attach', socket: 'tcp://localhost:9000', token: 't', record: undefined },
      ignored: [],
    });
    expect(() => parseAppOptions(['--attach', 'a.sock', '--attach', 'b.sock'], noEnv)).toThrow('--attach was given more than once');
  });

  it('record from the start with --record FILE.mcap, on their own hub or an attached one', () => {
    expect(parseAppOptions(['--record', 'run.mcap'], noEnv).target).toMatchObject({ kind: 'hub', record: 'run.mcap' });
    expect(parseAppOptions(['--attach', '@bus', '--record', 'run.mcap'], noEnv).target).toMatchObject({ kind: 'attach', record: 'run.mcap' });
    expect(() => parseAppOptions(['--record', 'run.jsonl'], noEnv)).toThrow(new AppOptionsError(serveRefusal(['--record', 'run.jsonl'])));
  });

  it('report arguments they do not know (Chromium switches arrive in argv too) instead of refusing them', () => {
    const options = parseAppOptions(['--no-sandbox', '--enable-logging=stderr', 'stray', '--socket', '/tmp/x.sock', '--port', '8411', '--help'], noEnv);
    expect(options.ignored).toEqual(['--no-sandbox', '--enable-logging=stderr', 'stray', '--port', '8411', '--help']);
    expect(appSetup(options).addresses).toEqual([{ kind: 'path', path: '/tmp/x.sock' }]);
  });

  it('skip the executable, and the app directory when launched as `electron APP_DIR`', () => {
    expect(userArguments(['/opt/Relayscope/relayscope', '--socket', 's'], false)).toEqual(['--socket', 's']);
    expect(userArguments(['/usr/bin/electron', '/src/relayscope', '--socket', 's'], true)).toEqual(['--socket', 's']);
  });
});
