#!/usr/bin/env node
// Builds the abstract-socket helper (native/abstract_socket.c). Only Linux has abstract names, and the
// hub works without the helper (paths and TCP need nothing native), so a failed build warns, not fails.
// It runs as the package's install script (in place of npm's default "node-gyp rebuild", whose
// progress lines every install printed) and in npm run build; either prints nothing on success, and
// does nothing when the module is newer than its source and binding.gyp (npm start runs it each time).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const projectDir = path.join(__dirname, '..');
const inputs = ['native/abstract_socket.c', 'binding.gyp'].map((file) => path.join(projectDir, file));
const output = path.join(projectDir, 'build', 'Release', 'abstract_socket.node');

function mtimeMs(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

if (process.platform !== 'linux') process.exit(0);
const builtAt = mtimeMs(output);
if (builtAt !== null && inputs.every((file) => (mtimeMs(file) ?? Infinity) < builtAt)) process.exit(0);
// npm names its own node-gyp when it runs a script; run directly (npm start), this uses the project's.
const nodeGyp = process.env.npm_config_node_gyp ? [process.execPath, process.env.npm_config_node_gyp] : projectNodeGyp();

function projectNodeGyp() {
  try {
    return [process.execPath, require.resolve('node-gyp/bin/node-gyp.js', { paths: [projectDir] })];
  } catch {
    return ['node-gyp'];
  }
}
// Node's own headers, when it was installed with them, spare node-gyp a download (npm passes its
// nodedir setting in the environment; run directly, node-gyp would not know it).
const installedHeaders = path.join(path.dirname(process.execPath), '..');
const nodedir = !process.env.npm_config_nodedir && fs.existsSync(path.join(installedHeaders, 'include', 'node', 'node_api.h')) ? [`--nodedir=${installedHeaders}`] : [];
const result = spawnSync(nodeGyp[0], [...nodeGyp.slice(1), 'rebuild', '--loglevel=warn', ...nodedir], {
  cwd: projectDir,
  stdio: ['ignore', 'ignore', 'pipe'],
  encoding: 'utf8',
});
if (result.status !== 0) {
  const detail = (result.error ? result.error.message : result.stderr || '').trim().split('\n').slice(-3).join(' | ');
  console.warn(`relayscope: could not build the abstract-socket helper (${detail}); @name sockets will only reach Node clients. Install a C compiler and python3, then run "npm run build".`);
}
