#!/usr/bin/env node
// npm start: builds what changed since the last start (scripts/incrementalBuild.js), then opens the
// desktop app with the given arguments. Without the Electron binary (it downloads from GitHub, which
// some machines cannot reach) it runs the browser mode, `relayscope serve`, with the same arguments.
'use strict';
const { spawn } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');
const { findElectronBinary } = require('./electronBinary');

const projectDir = path.join(__dirname, '..');
const args = process.argv.slice(2);

function build() {
  // Required here, not above: the start-script test runs a copy of this file with the build skipped.
  const { build: buildChanged } = require('./incrementalBuild');
  try {
    buildChanged();
  } catch (error) {
    console.error(`relayscope: ${error.message}`);
    process.exit(1);
  }
}

/** Runs the app in a child process until it exits, then exits with its status. */
function runChild(command, commandArgs, env) {
  // Its own process group: a Ctrl-C reaches this script from the terminal and again from npm, and
  // forwarding both would make the child take the second one as "stop without finishing the shutdown".
  const child = spawn(command, commandArgs, { cwd: projectDir, stdio: 'inherit', env, detached: process.platform !== 'win32' });
  let lastForwarded = 0;
  const forward = (signal) => {
    const now = Date.now();
    if (now - lastForwarded < 1000) return;
    lastForwarded = now;
    child.kill(signal);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => forward(signal === 'SIGHUP' ? 'SIGTERM' : signal));
  child.on('error', (err) => {
    console.error(`relayscope: cannot start ${command}: ${err.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    process.exit(code ?? 128 + (os.constants.signals[signal] ?? 0));
  });
}

if (process.env.RELAYSCOPE_SKIP_BUILD !== '1') build();

const electron = findElectronBinary(projectDir);
if (electron !== null) {
  const env = { ...process.env };
  // Set in the environment, it would make Electron run this app as a plain Node script.
  delete env.ELECTRON_RUN_AS_NODE;
  runChild(electron, [projectDir, ...args], env);
} else {
  console.error('relayscope: the Electron binary is not installed (it downloads from GitHub on first use); starting the browser mode instead');
  runChild(process.execPath, [path.join(projectDir, 'bin', 'relayscope.js'), 'serve', ...args], process.env);
}
