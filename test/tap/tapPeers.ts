/**
 * The real programs the tap tests put a tap between: a python3 echo server and a python3 HTTP server
 * on Unix sockets, and python3 clients, each a separate process that reports what it saw on standard
 * output, one line per event.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import type { Cleanup } from '../support/cleanup';
import { spawnTracked, type TrackedChild } from '../support/processes';
import { waitUntil } from '../support/waitUntil';

/**
 * Echoes every connection until the client half-closes, then half-closes back. Prints "listening",
 * "accepted N", and at each connection's end "closed N HOW BYTES SHA256" (HOW: eof, or the error that
 * ended it), so a test sees what the server received and how the connection ended.
 */
const ECHO_SERVER = `
import hashlib, socket, sys, threading
srv = socket.socket(socket.AF_UNIX)
srv.bind(sys.argv[1])
srv.listen(128)
lock = threading.Lock()
def out(line):
    with lock:
        sys.stdout.write(line + "\\n"); sys.stdout.flush()
def serve(conn, n):
    digest = hashlib.sha256(); total = 0; how = "eof"
    try:
        while True:
            data = conn.recv(262144)
            if not data: break
            digest.update(data); total += len(data)
            conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)
    except OSError as e:
        how = type(e).__name__
    out("closed %d %s %d %s" % (n, how, total, digest.hexdigest()))
    conn.close()
out("listening")
n = 0
while True:
    conn, _ = srv.accept()
    n += 1
    out("accepted %d" % n)
    threading.Thread(target=serve, args=(conn, n), daemon=True).start()
`;

export interface EchoServer {
  process: TrackedChild;
  /** The "closed N HOW BYTES SHA256" lines so far. */
  closed(): { n: number; how: string; bytes: number; sha256: string }[];
  accepted(): number;
}

export async function startEchoServer(cleanup: Cleanup, socketPath: string): Promise<EchoServer> {
  const child = spawnTracked(cleanup, 'python3', ['-c', ECHO_SERVER, socketPath]);
  cleanup.add(() => fs.rmSync(socketPath, { force: true }));
  await waitUntil(() => child.stdout().includes('listening\n') || child.child.exitCode !== null, 'the python echo server to listen');
  if (!child.stdout().includes('listening\n')) throw new Error(`python echo server failed: ${child.stderr()}`);
  const lines = (): string[] => child.stdout().split('\n');
  return {
    process: child,
    accepted: () => lines().filter((line) => line.startsWith('accepted ')).length,
    closed: () =>
      lines()
        .filter((line) => line.startsWith('closed '))
        .map((line) => {
          const [, n, how, bytes, sha256] = line.split(' ');
          return { n: Number(n), how, bytes: Number(bytes), sha256 };
        }),
  };
}

/**
 * CONNECTIONS threads, each its own connection: sends BYTES of its own random data, shuts down its
 * write side, reads the echo to the end and compares. Prints "ok I" or "bad I reason" per connection.
 */
const CONCURRENT_CLIENTS = `
import os, socket, sys, threading
path, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lock = threading.Lock()
def out(line):
    with lock:
        sys.stdout.write(line + "\\n"); sys.stdout.flush()
def client(i):
    data = os.urandom(size)
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
        sender = threading.Thread(target=lambda: (s.sendall(data), s.shutdown(socket.SHUT_WR)))
        sender.start()
        got = bytearray()
        while True:
            chunk = s.recv(65536)
            if not chunk: break
            got += chunk
        sender.join()
        out("ok %d" % i if bytes(got) == data else "bad %d got %d of %d bytes, equal prefix: %s" % (i, len(got), size, data.startswith(bytes(got))))
    except OSError as e:
        out("bad %d %s" % (i, e))
    finally:
        s.close()
threads = [threading.Thread(target=client, args=(i,)) for i in range(count)]
for t in threads: t.start()
for t in threads: t.join()
`;

export function concurrentClients(cleanup: Cleanup, socketPath: string, connections: number, bytes: number): TrackedChild {
  return spawnTracked(cleanup, 'python3', ['-c', CONCURRENT_CLIENTS, socketPath, String(connections), String(bytes)]);
}

/**
 * A client that keeps sending 4 KiB writes and reading the echo until the connection ends; prints
 * "connected", "echoed BYTES" once per MiB echoed, and at the end "ended HOW" (eof, or the error).
 */
const STREAMING_CLIENT = `
import socket, sys, threading
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
sys.stdout.write("connected\\n"); sys.stdout.flush()
def send():
    try:
        while True: s.sendall(b"x" * 4096)
    except OSError:
        pass
threading.Thread(target=send, daemon=True).start()
total = 0; mark = 1 << 20; how = "eof"
try:
    while True:
        chunk = s.recv(65536)
        if not chunk: break
        total += len(chunk)
        if total >= mark:
            sys.stdout.write("echoed %d\\n" % total); sys.stdout.flush(); mark += 1 << 20
except OSError as e:
    how = type(e).__name__
sys.stdout.write("ended %s\\n" % how); sys.stdout.flush()
`;

export function streamingClient(cleanup: Cleanup, socketPath: string): TrackedChild {
  return spawnTracked(cleanup, 'python3', ['-c', STREAMING_CLIENT, socketPath]);
}

/**
 * One request/answer exchange per line of stdin over one connection kept open: for each line sends
 * it and prints what is echoed back. Stays connected until stdin ends. Prints "connected" first.
 */
const LINE_CLIENT = `
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
sys.stdout.write("connected\\n"); sys.stdout.flush()
for line in sys.stdin:
    data = line.encode()
    s.sendall(data)
    got = b""
    while len(got) < len(data):
        chunk = s.recv(65536)
        if not chunk: break
        got += chunk
    sys.stdout.write("echo " + got.decode()); sys.stdout.flush()
s.close()
`;

export function lineClient(cleanup: Cleanup, socketPath: string): TrackedChild {
  return spawnTracked(cleanup, 'python3', ['-c', LINE_CLIENT, socketPath]);
}

/** Bytes of every HTTP response body: more than one read, so the cutter must join them into one message. */
const HTTP_BODY_BYTES = 300_000;

/**
 * An HTTP server on a Unix socket, from python3's standard library (socketserver.UnixStreamServer and
 * http.server.BaseHTTPRequestHandler), answering every GET with httpBody(path) and Content-Length.
 * `protocol` is the version it answers with: HTTP/1.0 closes each connection after one response,
 * HTTP/1.1 keeps it open. Prints "listening", then "served CONNECTION REQUEST-LINE" per request.
 */
const HTTP_SERVER = `
import hashlib, socketserver, sys
from http.server import BaseHTTPRequestHandler
def body_for(path):
    out, block = b"", path.encode()
    while len(out) < ${HTTP_BODY_BYTES}:
        block = hashlib.sha256(block).digest(); out += block
    return out[:${HTTP_BODY_BYTES}]
class Handler(BaseHTTPRequestHandler):
    protocol_version = sys.argv[2]
    connections = 0
    def setup(self):
        super().setup()
        Handler.connections += 1
        self.number = Handler.connections
    def do_GET(self):
        body = body_for(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        print("served %d %s" % (self.number, self.requestline), flush=True)
    def log_message(self, *args):
        pass
server = socketserver.UnixStreamServer(sys.argv[1], Handler)
print("listening", flush=True)
server.serve_forever()
`;

/** What the HTTP server answers to a GET of `path`: a SHA-256 chain from the path, binary bytes of every value. */
export function httpBody(path: string): Buffer {
  const blocks: Buffer[] = [];
  let block = Buffer.from(path);
  for (let length = 0; length < HTTP_BODY_BYTES; length += block.length) {
    block = createHash('sha256').update(block).digest();
    blocks.push(block);
  }
  return Buffer.concat(blocks).subarray(0, HTTP_BODY_BYTES);
}

export async function startHttpServer(cleanup: Cleanup, socketPath: string, protocol: 'HTTP/1.0' | 'HTTP/1.1'): Promise<TrackedChild> {
  const child = spawnTracked(cleanup, 'python3', ['-c', HTTP_SERVER, socketPath, protocol]);
  cleanup.add(() => fs.rmSync(socketPath, { force: true }));
  await waitUntil(() => child.stdout().includes('listening\n') || child.child.exitCode !== null, 'the python HTTP server to listen');
  if (!child.stdout().includes('listening\n')) throw new Error(`python HTTP server failed: ${child.stderr()}`);
  return child;
}
