"""The Python module of test/clients/crossLanguage.test.ts: the line protocol of c/cross_driver.c,
spoken with clients/python/relayscope.py. Usage: cross_driver.py ID ADDRESS.

Commands on stdin: send TO PAYLOAD | broadcast PAYLOAD | request TO PAYLOAD | quit.
Lines on stdout: ready ID; got unicast|broadcast from SOURCE: PAYLOAD; answered request from
SOURCE: PAYLOAD (replied "ID handled PAYLOAD"); reply from SOURCE: PAYLOAD; error COMMAND: NAME.
"""
import os
import select
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python"))
import relayscope  # noqa: E402


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def error_name(err):
    return getattr(err, "code_name", None) or str(err)


def handle_incoming(client):
    """Prints (and answers) everything received, waiting only briefly for more."""
    while True:
        try:
            message = client.receive(timeout=0.005)
        except relayscope.RelayError as err:
            say("error receive: %s" % error_name(err))
            continue
        if message is None:
            return
        if message.kind == "request":
            say("answered request from %s: %s" % (message.source, message.text()))
            client.reply(message, "%s handled %s" % (client.id, message.text()))
        elif message.kind in ("unicast", "broadcast"):
            say("got %s from %s: %s" % (message.kind, message.source, message.text()))


def run_command(client, line):
    """Runs one command line; returns False on quit."""
    command, _, rest = line.partition(" ")
    if command == "quit":
        return False
    try:
        if command == "broadcast":
            client.broadcast(rest)
        elif command == "send":
            to, _, payload = rest.partition(" ")
            client.send(to, payload)
        elif command == "request":
            to, _, payload = rest.partition(" ")
            reply = client.request(to, payload, timeout=5.0)
            say("reply from %s: %s" % (reply.source, reply.text()))
        else:
            say("error %s: unknown command" % command)
    except relayscope.RelayError as err:
        say("error %s: %s" % (command, error_name(err)))
    return True


def main():
    module_id, address = sys.argv[1], sys.argv[2]
    client = relayscope.Client.connect(module_id, address)
    say("ready %s" % client.id)
    pending = b""
    stdin = sys.stdin.buffer.raw
    try:
        while True:
            handle_incoming(client)
            # Short waits on stdin so that incoming messages are handled between commands.
            readable, _, _ = select.select([stdin], [], [], 0.02)
            if not readable:
                continue
            chunk = os.read(stdin.fileno(), 4096)
            if not chunk:
                return
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                if not run_command(client, line.decode("utf-8")):
                    return
    finally:
        client.close()


if __name__ == "__main__":
    main()
