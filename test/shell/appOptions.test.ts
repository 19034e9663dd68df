import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppOptionsError, parseAppOptions, userArguments } from '../../electron/shell/appOptions';

const noEnv = { XDG_RUNTIME_DIR: '/run/user/1000' };

describe('the desktop app options', () => {
  it('listen on the default socket when no address is given', () => {
    expect(parseAppOptions([], noEnv)).toEqual({ addresses: [{ kind: 'path', path: '/run/user/1000/relayscope.sock' }], attach: null, token: undefined, ignored: [] });
  });

  it('take the default socket and token from RELAYSCOPE_SOCKET and RELAYSCOPE_TOKEN', () => {
    const options = parseAppOptions([], { ...noEnv, RELAYSCOPE_SOCKET: '@bus', RELAYSCOPE_TOKEN: 'secret' });
    expect(options.addresses).toEqual([{ kind: 'abstract', name: 'bus' }]);
    expect(options.token).toBe('secret');
  });

  it('collect every --socket, in both flag forms, and the --tcp address after them', () => {
    const options = parseAppOptions(['--socket', 'hub.sock', '--socket=@bus', '--tcp', '127.0.0.1:7777'], noEnv);
    expect(options.addresses).toEqual([
      { kind: 'path', path: path.resolve('hub.sock') },
      { kind: 'abstract', name: 'bus' },
      { kind: 'tcp', host: '127.0.0.1', port: 7777 },
    ]);
  });

  it('open a recording with --open (made absolute), alone: no hub runs then', () => {
    expect(parseAppOptions(['--open', 'rec.mcap'], noEnv)).toEqual({ addresses: [], attach: null, token: undefined, open: path.resolve('rec.mcap'), ignored: [] });
    expect(() => parseAppOptions(['--open', 'rec.mcap', '--socket', 'hub.sock'], noEnv)).toThrow(/--open shows a recording and runs no hub/);
    expect(() => parseAppOptions(['--open', 'rec.mcap', '--attach', '@bus'], noEnv)).toThrow(AppOptionsError);
    expect(() => parseAppOptions(['--open', 'a.mcap', '--open', 'b.mcap'], noEnv)).toThrow('--open can be given only once');
  });

  it('attach to a hub elsewhere with --attach, written the way users write addresses, and start no hub', () => {
    expect(parseAppOptions(['--attach', 'tcp://localhost:9000', '--token', 't'], noEnv)).toEqual({ addresses: [], attach: 'tcp://localhost:9000', token: 't', ignored: [] });
  });

  it('report arguments they do not know (Chromium switches arrive in argv too) instead of refusing them', () => {
    expect(parseAppOptions(['--no-sandbox', 'stray', '--socket', '/tmp/x.sock'], noEnv).ignored).toEqual(['--no-sandbox', 'stray']);
  });

  it.each([
    [['--socket'], '--socket needs a value'],
    [['--socket', '--tcp', '1.2.3.4:5'], '--socket needs a value'],
    [['--tcp', 'nowhere'], '"nowhere" is not HOST:PORT'],
    [['--attach', 'a.sock', '--socket', 'b.sock'], 'cannot be combined with --socket or --tcp'],
    [['--attach', 'a.sock', '--attach', 'b.sock'], '--attach can be given only once'],
    [['--socket', '@'], 'abstract socket name'],
  ])('refuse %j with a message saying what is wrong', (args, message) => {
    expect(() => parseAppOptions(args, noEnv)).toThrow(AppOptionsError);
    expect(() => parseAppOptions(args, noEnv)).toThrow(message);
  });

  it('skip the executable, and the app directory when launched as `electron APP_DIR`', () => {
    expect(userArguments(['/opt/Relayscope/relayscope', '--socket', 's'], false)).toEqual(['--socket', 's']);
    expect(userArguments(['/usr/bin/electron', '/src/relayscope', '--socket', 's'], true)).toEqual(['--socket', 's']);
  });
});
