#!/usr/bin/env node
// Builds the abstract-socket helper (native/abstract_socket.c). Only Linux has abstract names, and the
// hub works without the helper (paths and TCP need nothing native), so a failed build warns, not fails.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

if (process.platform !== 'linux') process.exit(0);
const nodeGyp = process.env.npm_config_node_gyp
  ? [process.execPath, process.env.npm_config_node_gyp]
  : ['node-gyp'];
const result = spawnSync(nodeGyp[0], [...nodeGyp.slice(1), 'rebuild', '--loglevel=warn'], {
  cwd: path.join(__dirname, '..'),
  stdio: ['ignore', 'ignore', 'pipe'],
  encoding: 'utf8',
});
if (result.status !== 0) {
  const detail = (result.error ? result.error.message : result.stderr || '').trim().split('\n').slice(-3).join(' | ');
  console.warn(`relayscope: could not build the abstract-socket helper (${detail}); @name sockets will only reach Node clients. Install a C compiler and python3, then run "npm run build".`);
}
