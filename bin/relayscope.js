#!/usr/bin/env node
'use strict';
const path = require('node:path');
const entry = path.join(__dirname, '..', 'dist', 'electron', 'cli', 'main.js');
if (!require('node:fs').existsSync(entry)) {
  console.error(`relayscope: not built yet; run "npm run build" in ${path.dirname(__dirname)}`);
  process.exit(1);
}
require(entry).main();
