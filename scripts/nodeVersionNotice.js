#!/usr/bin/env node
// Run by `npm install` in a checkout (the prepare script). The hub, the CLI, the clients and the tests
// run on Node 20; Electron and electron-builder, the desktop window's and `npm run dist`'s tools,
// declare a newer Node in their engines field, and npm prints EBADENGINE for them on an older one.
// This says once, in plain words, what those warnings mean, reading the requirement from the
// installed Electron so the line cannot go stale; on a Node that satisfies it, it prints nothing.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const projectDir = path.join(__dirname, '..');

/** [major, minor, patch] of a "1.2.3" or ">= 1.2.3" string, or null. */
function versionOf(text) {
  const match = /(\d+)\.(\d+)\.(\d+)/.exec(text);
  return match === null ? null : match.slice(1).map(Number);
}

function isOlder(version, than) {
  for (let i = 0; i < 3; i++) if (version[i] !== than[i]) return version[i] < than[i];
  return false;
}

let electron;
try {
  electron = JSON.parse(fs.readFileSync(path.join(projectDir, 'node_modules', 'electron', 'package.json'), 'utf8'));
} catch {
  process.exit(0);
}
const wanted = typeof electron.engines?.node === 'string' ? electron.engines.node : '';
const minimum = versionOf(wanted);
const current = versionOf(process.versions.node);
if (minimum !== null && current !== null && /^\s*>=?\s*\d/.test(wanted) && isOlder(current, minimum)) {
  console.error(
    `relayscope: Node ${process.versions.node} runs the hub, the CLI, the clients and the tests. Electron ${electron.version} and electron-builder declare Node ${wanted.replace(/\s+/g, '')} (the EBADENGINE lines above): for \`npm start\`'s desktop window and \`npm run dist\`, use Node ${minimum.join('.')} or later.`,
  );
}
