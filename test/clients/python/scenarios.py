"""Scenarios for test/clients/python.test.ts, one per command: python3 scenarios.py NAME ADDRESS ID [ARGS...]

Each prints one JSON object per line on stdout (flushed, so the test can react to "ready" lines)
and exits 0, or exits non-zero with the reason on stderr. Every wait is bounded by WAIT_SECONDS.
relayscope.py is found through PYTHONPATH, which the test sets to clients/python.
"""

import hashlib
import json
import sys

import relayscope

WAIT_SECONDS = 10.0


def emit(**fields):
    print(json.dumps(fields, sort_keys=True), flush=True)


def describe(message):
    return {"kind": message.kind, "source": message.source, "correlation_id": message.correlation_id, "text": message.text()}


def next_message(client):
    message = client.receive(timeout=WAIT_SECONDS)
    if message is None:
        sys.exit("%s: no message within %g s" % (client.id, WAIT_SECONDS))
    return message


def welcome(address, module_id):
    with relayscope.Client.connect(module_id, address) as client:
        emit(id=client.id, max_payload=client.max_payload, idle_timeout_ms=client.idle_timeout_ms)


def send(address, module_id, to, text):
    with relayscope.Client.connect(module_id, address) as client:
        client.send(to, text)


def broadcast(address, module_id, text):
    with relayscope.Client.connect(module_id, address) as client:
        client.broadcast(text)


def receive(address, module_id, count):
    with relayscope.Client.connect(module_id, address) as client:
        emit(ready=True)
        for _ in range(int(count)):
            emit(**describe(next_message(client)))


def request(address, module_id, to, text):
    with relayscope.Client.connect(module_id, address) as client:
        emit(**describe(client.request(to, text, timeout=WAIT_SECONDS)))


def serve(address, module_id):
    """Answers one request with its text reversed."""
    with relayscope.Client.connect(module_id, address) as client:
        emit(ready=True)
        message = next_message(client)
        emit(**describe(message))
        client.reply(message, message.text()[::-1])


def no_such_module(address, module_id, absent):
    with relayscope.Client.connect(module_id, address) as client:
        try:
            client.request(absent, "anyone there?", timeout=WAIT_SECONDS)
        except relayscope.RelayError as err:
            emit(operation="request", code=err.code, code_name=err.code_name, ref=err.ref, fatal=err.fatal)
        client.send(absent, "hello?")
        try:
            client.receive(timeout=WAIT_SECONDS)
        except relayscope.RelayError as err:
            emit(operation="send", code=err.code, code_name=err.code_name, ref=err.ref, fatal=err.fatal)


def connect_refused(address, module_id):
    try:
        relayscope.Client.connect(module_id, address).close()
    except relayscope.RelayError as err:
        emit(error="RelayError", code_name=err.code_name, ref=err.ref, fatal=err.fatal)
    except relayscope.ConnectError as err:
        emit(error="ConnectError", message=str(err), address=err.address, reason=err.reason)


def receive_timeout(address, module_id):
    with relayscope.Client.connect(module_id, address) as client:
        emit(received=repr(client.receive(timeout=0.2)))


def big_round_trip(address, module_id, to, size):
    """Requests an echo of `size` patterned bytes: frames far larger than one read, both ways."""
    payload = bytes(index % 251 for index in range(int(size)))
    with relayscope.Client.connect(module_id, address) as client:
        reply = client.request(to, payload, timeout=WAIT_SECONDS)
        emit(sent=len(payload), received=len(reply.payload), sha256=hashlib.sha256(reply.payload).hexdigest(),
             identical=reply.payload == payload)


def too_big(address, module_id):
    with relayscope.Client.connect(module_id, address) as client:
        try:
            client.send(module_id, b"x" * (client.max_payload + 1))
        except ValueError as err:
            emit(error=str(err))
        emit(list=client.list())


def presence(address, module_id):
    with relayscope.Client.connect(module_id, address) as client:
        client.subscribe_presence()
        emit(subscribed=True)
        for _ in range(2):
            emit(**describe(next_message(client)))


def list_modules(address, module_id):
    with relayscope.Client.connect(module_id, address) as client:
        emit(modules=client.list())


def iterate(address, module_id):
    """Prints every message until the connection ends, then why it ended."""
    client = relayscope.Client.connect(module_id, address)
    emit(ready=True)
    for message in client:
        emit(**describe(message))
    try:
        client.receive(timeout=0)
    except relayscope.Disconnected as err:
        emit(ended=str(err), code_name=err.error.code_name if err.error else None)


def request_meanwhile(address, module_id, to):
    """A request whose reply comes after other messages: they must still reach receive()."""
    with relayscope.Client.connect(module_id, address) as client:
        reply = client.request(to, "slow question", timeout=WAIT_SECONDS)
        emit(reply=describe(reply))
        while True:
            message = client.receive(timeout=0)
            if message is None:
                break
            emit(queued=describe(message))


def monitor(address, monitor_id, target):
    """As a monitor: the snapshot's modules, an injected message to `target`, then a kick of it."""
    with relayscope.Client.connect(monitor_id, address, monitor=True) as client:
        emit(id=client.id, modules=[module["id"] for module in client.stats()["modules"]])
        client.inject(target, "from nobody", source="ghost")
        client.kick(target, "monitor says so")
        while True:
            item = client.receive(timeout=WAIT_SECONDS)
            if item is None:
                sys.exit("no LEAVE event for %s within %g s" % (target, WAIT_SECONDS))
            if isinstance(item, relayscope.HubEvent):
                emit(event=item.event, code_name=item.code_name, id=item.id, detail=item.detail)
                if item.event == "leave":
                    return
            else:
                emit(traffic=describe(item), destination=item.destination, injected=item.injected)


def identities(address, monitor_id, role):
    """list_modules() as a monitor (role "monitor") or as module `monitor_id`: each ModuleIdentity, or the error."""
    try:
        with relayscope.Client.connect(monitor_id, address, monitor=role == "monitor") as client:
            for module in client.list_modules():
                emit(**{name: getattr(module, name) for name in relayscope.ModuleIdentity.__slots__})
    except relayscope.RelayError as err:
        emit(error=err.code_name)


SCENARIOS = {
    "welcome": welcome,
    "send": send,
    "broadcast": broadcast,
    "receive": receive,
    "request": request,
    "serve": serve,
    "no-such-module": no_such_module,
    "connect-refused": connect_refused,
    "receive-timeout": receive_timeout,
    "big-round-trip": big_round_trip,
    "too-big": too_big,
    "presence": presence,
    "list": list_modules,
    "iterate": iterate,
    "request-meanwhile": request_meanwhile,
    "monitor": monitor,
    "identities": identities,
}

if __name__ == "__main__":
    if len(sys.argv) < 4 or sys.argv[1] not in SCENARIOS:
        sys.exit("usage: scenarios.py {%s} ADDRESS ID [ARGS...]" % ",".join(SCENARIOS))
    SCENARIOS[sys.argv[1]](*sys.argv[2:])
