#!/usr/bin/env python3
"""A small HTTP server on a Unix socket, from the standard library alone, to put a tap in front of.

python3 -m http.server binds TCP only; socketserver.UnixStreamServer with BaseHTTPRequestHandler
serves the same HTTP on a socket file, as Docker's /var/run/docker.sock does. Every GET is answered
with a small JSON body naming the path. HTTP/1.1 with Content-Length, so a client may keep the
connection open for several requests.

    python3 examples/tap/unix_http_server.py ./real-api.sock
    curl --unix-socket ./real-api.sock http://localhost/v1/status
"""

import json
import os
import signal
import socketserver
import sys
from http.server import BaseHTTPRequestHandler


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = (json.dumps({"path": self.path, "ok": True}) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        # The default prefixes the client's address, which a Unix socket's client does not have ("").
        print(format % args, flush=True)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: unix_http_server.py SOCKET_PATH")
    path = sys.argv[1]
    server = socketserver.UnixStreamServer(path, Handler)
    # SIGTERM ends it as Ctrl-C does, through the finally below that removes the socket file.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"serving HTTP on {path}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        # A Unix socket's file outlives its server; remove it so the next start can bind.
        os.unlink(path)


if __name__ == "__main__":
    main()
