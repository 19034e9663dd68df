#!/usr/bin/env node
// npm run lint's C half: the C sources listed below must be as clang-format (.clang-format, and
// native/.clang-format for the Node helper's 2-space style) writes them. Prints nothing when they are;
// otherwise the files that differ and the command that fixes them. Their -Wall -Wextra -Werror
// compiles are the tests' (test/sockets/nativeHelper.test.ts, test/clients/c.test.ts).
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const projectDir = path.join(__dirname, '..');
// clients/c, examples/c and bench/c are not listed yet: their reformat is a change of its own.
const FILES = ['native/abstract_socket.c', 'test/clients/c/cross_driver.c', 'test/clients/c/rs_check.c', 'test/clients/c/rs_hostile.c', 'test/clients/c/rs_modules.c'];

const result = spawnSync('clang-format', ['--dry-run', '--Werror', ...FILES], { cwd: projectDir, encoding: 'utf8' });
if (result.error) {
  console.error(`relayscope lint: cannot run clang-format (${result.error.message}); install it (Debian: apt-get install clang-format)`);
  process.exit(1);
}
if (result.status !== 0) {
  const differing = [...new Set([...result.stderr.matchAll(/^(\S+?):\d+:\d+: error/gm)].map((match) => match[1]))];
  console.error(`relayscope lint: not formatted as clang-format writes them: ${differing.join(', ') || result.stderr.trim()}`);
  console.error(`fix with: clang-format -i ${differing.join(' ') || FILES.join(' ')}`);
  process.exit(1);
}
