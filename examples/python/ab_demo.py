#!/usr/bin/env python3
"""The classic relay demo: module A sends "1" to B, B answers "2" to A, each prints what it got.

With a hub running (``relayscope hub``, after ``npm link``):

    python3 examples/python/ab_demo.py                  # starts B and A as two processes
    python3 examples/python/ab_demo.py --role B         # or one module per terminal:
    python3 examples/python/ab_demo.py --role A         #   B first or A first, either works

Output (B's line comes first, since B prints before it answers):

    B received "1" from A
    A received "2" from B

--socket ADDR chooses the hub (a path, @name or tcp://host:port); without it the default socket
is used ($RELAYSCOPE_SOCKET, else $XDG_RUNTIME_DIR/relayscope.sock, else
/tmp/relayscope-$UID/relayscope.sock; ``relayscope socket`` prints it).
"""

import argparse
import os
import subprocess
import sys
import time

# The client is one file meant to be copied into projects; here it is used from the repository.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python"))

import relayscope  # noqa: E402  (needs the path above)

WAIT_SECONDS = 10.0


def receive_from(client, source, deadline):
    """The next message from `source`, skipping anything else; exits when `deadline` passes."""
    while True:
        message = client.receive(timeout=max(0.0, deadline - time.monotonic()))
        if message is None:
            sys.exit("%s: nothing from %s within %g s" % (client.id, source, WAIT_SECONDS))
        if message.kind == "unicast" and message.source == source:
            return message


def wait_for_module(client, module_id, deadline):
    """Returns once `module_id` is connected, so A's "1" does not go to a B that is not there yet."""
    client.subscribe_presence()
    if module_id in client.list():
        return
    while True:
        notice = client.receive(timeout=max(0.0, deadline - time.monotonic()))
        if notice is None:
            sys.exit("%s: %s did not connect within %g s" % (client.id, module_id, WAIT_SECONDS))
        if notice.kind == "presence" and notice.source == module_id and notice.payload == b"join":
            return


def run_a(address):
    deadline = time.monotonic() + WAIT_SECONDS
    with relayscope.Client.connect("A", address) as a:
        wait_for_module(a, "B", deadline)
        a.send("B", "1")
        message = receive_from(a, "B", deadline)
        print('A received "%s" from %s' % (message.text(), message.source), flush=True)


def run_b(address):
    deadline = time.monotonic() + WAIT_SECONDS
    with relayscope.Client.connect("B", address) as b:
        message = receive_from(b, "A", deadline)
        # Printed before answering, so that in the two-process run B's line always comes first.
        print('B received "%s" from %s' % (message.text(), message.source), flush=True)
        b.send("A", "2")


def run_both(address):
    """Starts B and A as child processes of this script and waits for both."""
    socket_args = [] if address is None else ["--socket", address]
    children = [subprocess.Popen([sys.executable, os.path.abspath(__file__), "--role", role] + socket_args)
                for role in ("B", "A")]
    failed = False
    for child in children:
        try:
            failed = child.wait(timeout=WAIT_SECONDS + 5) != 0 or failed
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            failed = True
    return 1 if failed else 0


def main():
    parser = argparse.ArgumentParser(description='Module A sends "1" to B, B answers "2" to A.')
    parser.add_argument("--role", choices=("A", "B"), help="run only this module (default: both, as two processes)")
    parser.add_argument("--socket", help="hub address: a path, @name or tcp://host:port (default: the default socket)")
    args = parser.parse_args()
    try:
        if args.role == "A":
            run_a(args.socket)
        elif args.role == "B":
            run_b(args.socket)
        else:
            return run_both(args.socket)
    except (relayscope.ConnectError, relayscope.RelayError, relayscope.Timeout, ConnectionError) as err:
        print("%s: %s" % (args.role, err), file=sys.stderr)
        if isinstance(err, relayscope.ConnectError) and err.reason in ("ENOENT", "ECONNREFUSED"):
            print("%s: start a hub there (relayscope hub --socket %s), or pass --socket with the running hub's address" % (args.role, err.address), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
