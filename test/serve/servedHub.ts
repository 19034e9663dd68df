import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { BridgeService } from '../../electron/bridge/BridgeService';
import { LocalHubBackend } from '../../electron/bridge/LocalHubBackend';
import { BrowserModeServer } from '../../electron/serve/BrowserModeServer';
import type { Cleanup } from '../support/cleanup';
import { makeTempDir, removeTempDir } from '../support/tempDir';

export interface ServedHub {
  server: BrowserModeServer;
  /** The hub's socket, for modules. */
  socket: string;
  /** What the server logged. */
  log: string[];
  bridge: BridgeService;
}

/** A hub in this process with a BrowserModeServer in front of it, serving a two-file stand-in for the built renderer. */
export async function startServer(cleanup: Cleanup, options: { withRenderer?: boolean } = {}): Promise<ServedHub> {
  const dir = makeTempDir();
  cleanup.add(() => removeTempDir(dir));
  const rendererDir = path.join(dir, 'renderer');
  if (options.withRenderer ?? true) {
    fs.mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><script type="module" src="/assets/app.js"></script>');
    fs.writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log("relayscope");');
  }
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'outside the renderer');
  const socket = path.join(dir, 'hub.sock');
  const backend = await LocalHubBackend.start([{ kind: 'path', path: socket }]);
  cleanup.add(() => backend.close());
  const log: string[] = [];
  // Recordings and exports go to this test's dir rather than the user's runtime dir.
  const captures = path.join(dir, 'captures');
  fs.mkdirSync(captures, { mode: 0o700 });
  const bridge = new BridgeService(backend, () => captures);
  const server = new BrowserModeServer({ bridge, rootDir: rendererDir, log: (line) => log.push(line) });
  await server.start();
  cleanup.add(() => server.close());
  return { server, socket, log, bridge };
}

/** A raw HTTP GET, so the Host header and the path are sent exactly as written. */
export function get(port: number, pathAndQuery: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, path: pathAndQuery, headers: { Host: `127.0.0.1:${port}`, ...headers } }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}
