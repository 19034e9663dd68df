/**
 * `relayscope completion bash|zsh`, sourced into real shells: the bash script's COMPREPLY for partial
 * commands, flags and flag values, and every command and flag of COMMAND_SPECS offered, so commands
 * added later complete without touching the generator.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_SPECS } from '../../electron/cli/commandSpecs';
import { ensureFreshBuild } from '../support/cliProcess';
import { makeTempDir, removeTempDir } from '../support/tempDir';

const CLI = path.resolve(__dirname, '..', '..', 'bin', 'relayscope.js');

function hasShell(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

describe('shell completion', () => {
  let dir: string;
  let bashScript: string;

  beforeAll(async () => {
    await ensureFreshBuild();
    dir = makeTempDir();
    bashScript = path.join(dir, 'relayscope.bash');
    fs.writeFileSync(bashScript, execFileSync(process.execPath, [CLI, 'completion', 'bash']));
  }, 180_000);

  afterAll(() => removeTempDir(dir));

  /** What bash offers for the command line `words`, the last word being completed. */
  function bashComplete(words: string[]): string[] {
    const quoted = words.map((word) => `'${word}'`).join(' ');
    const script = `source '${bashScript}'; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _relayscope; printf '%s\\n' "\${COMPREPLY[@]}"`;
    return execFileSync('bash', ['-c', script], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line !== '');
  }

  it('bash completes a partial command, a partial flag and a flag value', () => {
    expect(bashComplete(['relayscope', 'li'])).toEqual(['listen', 'list']);
    expect(bashComplete(['relayscope', 'listen', '--fo'])).toEqual(['--format']);
    expect(bashComplete(['relayscope', 'listen', '--format', ''])).toEqual(['text', 'hex', 'json']);
    expect(bashComplete(['relayscope', 'hub', '--slow-consumer', 'd'])).toEqual(['disconnect', 'drop']);
    expect(bashComplete(['relayscope', 'completion', ''])).toEqual(['bash', 'zsh']);
    expect(bashComplete(['relayscope', 'help', 'se'])).toEqual(['send', 'serve']);
    // A value with no fixed choices (a socket path, a file) is left to bash's file-name completion.
    expect(bashComplete(['relayscope', 'hub', '--socket', ''])).toEqual([]);
  });

  it('bash offers every command and every flag in COMMAND_SPECS', () => {
    expect(bashComplete(['relayscope', ''])).toEqual([...COMMAND_SPECS.map((spec) => spec.name), 'help', '--help', '--version']);
    for (const spec of COMMAND_SPECS) expect(bashComplete(['relayscope', spec.name, '--'])).toEqual(Object.keys(spec.flags).map((name) => `--${name}`));
  });

  it.runIf(hasShell('zsh'))('zsh loads the script after compinit and registers it for relayscope', () => {
    const zshScript = path.join(dir, '_relayscope');
    fs.writeFileSync(zshScript, execFileSync(process.execPath, [CLI, 'completion', 'zsh']));
    execFileSync('zsh', ['-n', zshScript]);
    const registered = execFileSync('zsh', ['-f', '-c', `autoload -U compinit; compinit -u -d '${dir}/zcompdump'; source '${zshScript}'; print -r -- $_comps[relayscope]; whence -w _relayscope`], {
      encoding: 'utf8',
    });
    expect(registered).toBe('_relayscope\n_relayscope: function\n');
  });

  /**
   * Types `line` and a Tab into an interactive zsh on a pseudo-terminal (zsh/zpty) that loaded the
   * script, and returns the command line as zsh left it after completing.
   */
  function zshComplete(zshScript: string, line: string): string {
    const driver = `
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z 'PS1="> "; autoload -U compinit; compinit -u -d ${dir}/zcompdump-zpty; source ${zshScript}; setopt nobeep'
sleep 0.5
zpty -w -n z "$1"$'\\t'
sleep 1
out=
while zpty -r -t z chunk; do out+=$chunk; done
zpty -d z
print -r -- "$out"
`;
    const screen = execFileSync('zsh', ['-f', '-c', driver, 'zsh', line], { encoding: 'utf8' });
    // The last prompt line, without terminal control sequences and the echo's backspaces.
    const plain = screen
      .replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '')
      .replace(/.\x08/g, '')
      .replace(/\r/g, '');
    const prompts = plain.split('\n').flatMap((text) => text.split('> ').slice(1));
    return (prompts.at(-1) ?? '').trimEnd();
  }

  it.runIf(hasShell('zsh'))('zsh completes a partial command and a partial flag, typed in a real terminal', () => {
    const zshScript = path.join(dir, '_relayscope');
    fs.writeFileSync(zshScript, execFileSync(process.execPath, [CLI, 'completion', 'zsh']));
    expect(zshComplete(zshScript, 'relayscope comp')).toBe('relayscope completion');
    expect(zshComplete(zshScript, 'relayscope listen --fo')).toBe('relayscope listen --format=');
    expect(zshComplete(zshScript, 'relayscope hub --slow-consumer=dr')).toBe('relayscope hub --slow-consumer=drop');
  });

  it('refuses a shell it has no script for', () => {
    const result = spawnSync(process.execPath, [CLI, 'completion', 'fish'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('no completion for "fish": choose bash or zsh');
  });
});
