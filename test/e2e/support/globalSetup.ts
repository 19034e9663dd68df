import * as fs from 'node:fs';
import * as path from 'node:path';
import { CHROMIUM_EXECUTABLE } from '../../../bench/uiChromium';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * Fails the run at once, with the command that fixes it, when something the tests drive is missing:
 * otherwise every test would time out separately with a less helpful message.
 */
export default function globalSetup(): void {
  const required: { file: string; fix: string }[] = [
    { file: path.join(REPO_ROOT, 'dist', 'electron', 'cli', 'main.js'), fix: 'npm run build' },
    { file: path.join(REPO_ROOT, 'dist', 'renderer', 'index.html'), fix: 'npx vite build' },
    { file: CHROMIUM_EXECUTABLE, fix: 'apt-get install -y chromium' },
  ];
  const missing = required.filter(({ file }) => !fs.existsSync(file));
  if (missing.length > 0) {
    throw new Error(`end-to-end tests need:\n${missing.map(({ file, fix }) => `  ${file} (${fix})`).join('\n')}`);
  }
}
