import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// scripts/ is plain CommonJS that npm start runs with node directly, outside the TypeScript build.
import { findElectronBinary } from '../../scripts/electronBinary.js';
import { makeTempDir, removeTempDir } from '../support/tempDir';

describe('finding the Electron binary', () => {
  let project: string;
  let electronDir: string;

  beforeEach(() => {
    project = makeTempDir();
    electronDir = path.join(project, 'node_modules', 'electron');
    fs.mkdirSync(electronDir, { recursive: true });
    fs.writeFileSync(path.join(electronDir, 'package.json'), '{"name":"electron"}');
  });

  afterEach(() => removeTempDir(project));

  it('finds nothing when the package was installed without its download (no path.txt)', () => {
    expect(findElectronBinary(project)).toBeNull();
  });

  it('finds nothing when path.txt names a binary that is not there', () => {
    fs.writeFileSync(path.join(electronDir, 'path.txt'), 'electron');
    expect(findElectronBinary(project)).toBeNull();
  });

  it('finds nothing when path.txt names a directory rather than a file', () => {
    fs.writeFileSync(path.join(electronDir, 'path.txt'), 'electron');
    fs.mkdirSync(path.join(electronDir, 'dist', 'electron'), { recursive: true });
    expect(findElectronBinary(project)).toBeNull();
  });

  it('returns the binary under dist/ when path.txt and the binary are both there', () => {
    fs.writeFileSync(path.join(electronDir, 'path.txt'), 'electron');
    fs.mkdirSync(path.join(electronDir, 'dist'));
    fs.writeFileSync(path.join(electronDir, 'dist', 'electron'), '#!/bin/sh\n', { mode: 0o755 });
    expect(findElectronBinary(project)).toBe(path.join(electronDir, 'dist', 'electron'));
  });

  it('finds nothing when there is no electron package at all', () => {
    const empty = makeTempDir();
    try {
      expect(findElectronBinary(empty)).toBeNull();
    } finally {
      removeTempDir(empty);
    }
  });
});
