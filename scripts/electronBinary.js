// Finds the Electron executable that `npm install` downloaded, without require('electron'): that
// module downloads the binary from GitHub when it is missing, which fails offline and takes minutes.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/**
 * The Electron executable under `projectDir`/node_modules/electron, or null when it is not installed
 * (no path.txt, which the download writes last, or no file where path.txt points).
 */
function findElectronBinary(projectDir) {
  const packageDir = path.join(projectDir, 'node_modules', 'electron');
  let relativePath;
  try {
    relativePath = fs.readFileSync(path.join(packageDir, 'path.txt'), 'utf8').trim();
  } catch {
    return null;
  }
  if (relativePath === '') return null;
  const binary = path.join(packageDir, 'dist', relativePath);
  return isFile(binary) ? binary : null;
}

function isFile(file) {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

module.exports = { findElectronBinary };
