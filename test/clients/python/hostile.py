"""The Python client against the hostile hub of test/client/hostileHub.ts, for test/clients/pythonHostile.test.ts.

python3 hostile.py NAME ADDRESS [ARG]. The hub misbehaves according to the ID a client registers
with, so each scenario connects with the ID of the misbehaviour it is about. Each prints one JSON
object per line and exits 0, or exits non-zero with the reason on stderr. relayscope.py is found
through PYTHONPATH, which the test sets to clients/python.
"""

import json
import os
import resource
import sys
import time

import relayscope


def emit(**fields):
    print(json.dumps(fields, sort_keys=True), flush=True)


def elapsed_ms(start):
    return round((time.monotonic() - start) * 1000)


def peak_rss_kb():
    # ru_maxrss is in kB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def failure(err):
    return {"error": type(err).__name__, "message": str(err)}


def request(address, module_id, timeout_ms):
    """A request nobody answers while the hub streams (flood, flood-small, trickle, ping-flood)."""
    with relayscope.Client.connect(module_id, address) as client:
        start = time.monotonic()
        try:
            client.request("nobody", "anyone?", timeout=int(timeout_ms) / 1000)
            sys.exit("the hostile hub answered a request")
        except relayscope.Timeout:
            pass
        emit(elapsed_ms=elapsed_ms(start), peak_rss_kb=peak_rss_kb(), dropped=client.dropped)


def receive(address, module_id, timeout_ms):
    """receive() while the hub streams frames that are not messages (PINGs) and reads nothing."""
    with relayscope.Client.connect(module_id, address) as client:
        start = time.monotonic()
        received = client.receive(timeout=int(timeout_ms) / 1000)
        emit(received=repr(received), elapsed_ms=elapsed_ms(start), peak_rss_kb=peak_rss_kb())


def send_stalled(address, timeout_ms):
    """A hub that stopped reading: a write larger than the socket buffers ends at the write timeout."""
    client = relayscope.Client.connect("stalled", address, write_timeout=int(timeout_ms) / 1000)
    start = time.monotonic()
    try:
        client.send("nobody", b"\0" * (4 * 1024 * 1024))
        sys.exit("a 4 MiB send to a hub that reads nothing completed")
    except relayscope.Timeout as err:
        emit(elapsed_ms=elapsed_ms(start), **failure(err))
    try:
        client.send("nobody", "x")
    except relayscope.Disconnected as err:
        emit(after=failure(err))
    client.close()


def connect_only(address, module_id):
    """What connect() does with a hub that answers HELLO badly (version-2) or runs as another user."""
    try:
        relayscope.Client.connect(module_id, address).close()
        emit(connected=True)
    except relayscope.HubOwnerError as err:
        emit(uid=err.uid, reason=err.reason, **failure(err))
    except relayscope.ConnectError as err:
        emit(reason=err.reason, **failure(err))


def receive_end(address, module_id):
    """receive() on a connection the hub ends (bye-empty) or breaks (zero-length)."""
    with relayscope.Client.connect(module_id, address) as client:
        start = time.monotonic()
        try:
            received = client.receive(timeout=5.0)
            emit(received=repr(received))
        except relayscope.Disconnected as err:
            error = err.error
            emit(elapsed_ms=elapsed_ms(start), code_name=error.code_name if error else None,
                 hub_message=error.message if error else None, **failure(err))


def command(address, module_id, name):
    """list() or stats() answered with a malformed frame: only the client's documented exceptions may come out."""
    with relayscope.Client.connect(module_id, address, monitor=name == "stats") as client:
        try:
            emit(answer=getattr(client, name)())
        except Exception as err:  # What escapes is what the test checks.
            emit(**failure(err))


SCENARIOS = {
    "request": request,
    "receive": receive,
    "send-stalled": send_stalled,
    "connect": connect_only,
    "receive-end": receive_end,
    "command": command,
}

if __name__ == "__main__":
    # A client that queued without bound then fails with MemoryError instead of taking the machine's memory.
    if os.environ.get("RS_HOSTILE_ADDRESS_SPACE_MB"):
        limit = int(os.environ["RS_HOSTILE_ADDRESS_SPACE_MB"]) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if len(sys.argv) < 3 or sys.argv[1] not in SCENARIOS:
        sys.exit("usage: hostile.py {%s} ADDRESS [ARGS...]" % ",".join(SCENARIOS))
    SCENARIOS[sys.argv[1]](*sys.argv[2:])
