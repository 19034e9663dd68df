"""Relayscope client for Python 3.8+, standard library only.

One file: copy it into a project and ``import relayscope``. It speaks version 1 of the protocol in
docs/PROTOCOL.md. The client is synchronous and uses no threads: frames from the hub are read
whenever the application calls receive(), request(), list() and the like, and PINGs from the hub are
answered then. An application that calls none of them for longer than half the hub's idle timeout
(30 s by default, see ``Client.idle_timeout_ms``) gets pinged and, after the whole timeout, dropped;
call ``receive(timeout=0)`` now and then to stay connected while doing other work.

Usage::

    import relayscope

    with relayscope.Client.connect("B") as b:
        for message in b:
            print(message.source, message.text())
"""

import collections
import errno
import json
import os
import math
import random
import select
import socket
import struct
import time

__all__ = [
    "Client",
    "Message",
    "HubEvent",
    "ModuleIdentity",
    "RelayError",
    "ConnectError",
    "Disconnected",
    "HubOwnerError",
    "Timeout",
    "default_address",
    "ERROR_NAMES",
]

PROTOCOL_VERSION = 1

# Frame types (PROTOCOL.md 4).
HELLO = 0x01
WELCOME = 0x02
ERROR = 0x03
PING = 0x04
PONG = 0x05
BYE = 0x06
OK = 0x07
MESSAGE = 0x10
LIST = 0x11
LIST_REPLY = 0x12
STATS = 0x13
STATS_REPLY = 0x14
SUBSCRIBE_PRESENCE = 0x15
PRESENCE = 0x16
TRAFFIC = 0x20
EVENT = 0x21
INJECT = 0x30
KICK = 0x31

HELLO_FLAG_MONITOR = 0x01
HELLO_FLAG_TAKEOVER = 0x02

MESSAGE_KINDS = ("unicast", "broadcast", "request", "reply")
KIND_UNICAST, KIND_BROADCAST, KIND_REQUEST, KIND_REPLY = range(4)

PRESENCE_EVENTS = {1: "join", 2: "leave"}
HUB_EVENTS = {1: "join", 2: "leave", 3: "error", 4: "monitor_dropped"}

ERROR_NAMES = {
    1: "BAD_VERSION",
    2: "INVALID_ID",
    3: "ID_IN_USE",
    4: "TOO_MANY_CONNECTIONS",
    5: "HELLO_REQUIRED",
    6: "BAD_TOKEN",
    7: "FRAME_TOO_LARGE",
    8: "MALFORMED_FRAME",
    9: "UNKNOWN_FRAME_TYPE",
    10: "NO_SUCH_MODULE",
    11: "PEER_GONE",
    12: "SLOW_CONSUMER",
    13: "IDLE_TIMEOUT",
    14: "NOT_PERMITTED",
    15: "SHUTDOWN",
    16: "KICKED",
    17: "REPLACED",
    18: "DUPLICATE_HELLO",
    19: "CLIENT_LEAVING",
    20: "DESTINATION_OVERLOADED",
}
FATAL_ERRORS = frozenset((1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 15, 16, 17, 18))

# A frame's length field may exceed maxPayload by at most this much (PROTOCOL.md 3.2).
MAX_FRAME_OVERHEAD = 527
# The answer to HELLO (WELCOME or ERROR) is small; this bounds what is read before maxPayload is known.
MAX_HANDSHAKE_FRAME_LENGTH = 65796
# LIST_REPLY and STATS_REPLY have no bound of their own on a busy hub; this one only stops a corrupt
# stream from making the client allocate without limit.
MAX_LISTING_FRAME_LENGTH = 256 * 1024 * 1024
UNBOUNDED_FRAME_TYPES = (LIST_REPLY, STATS_REPLY)

MAX_ID_BYTES = 255
MAX_CORRELATION_ID = 0xFFFFFFFF
READ_CHUNK_BYTES = 256 * 1024

DEFAULT_WRITE_TIMEOUT = 10.0
DEFAULT_MAX_QUEUED_BYTES = 8 * 1024 * 1024
# What an item in the receive queue costs beyond its payload (the Message object, its source, the
# queue entry), counted against max_queued_bytes.
QUEUED_ITEM_OVERHEAD = 256
# struct ucred, as SO_PEERCRED returns it on Linux: pid_t pid, uid_t uid, gid_t gid.
_UCRED = struct.Struct("iII")


class RelayError(Exception):
    """An ERROR frame from the hub: it refused the connection or one operation."""

    def __init__(self, code, message, ref="", correlation_id=0):
        self.code = code
        self.code_name = ERROR_NAMES.get(code, "ERROR_%d" % code)
        self.ref = ref
        self.message = message
        self.correlation_id = correlation_id
        # PROTOCOL.md 9: a fatal code sent with correlation ID 0 is followed by the hub closing the connection.
        self.fatal = code in FATAL_ERRORS and correlation_id == 0
        super().__init__("%s: %s" % (self.code_name, message))


class ConnectError(Exception):
    """No hub could be reached at the address, or it closed the connection before WELCOME."""

    def __init__(self, message, address, reason):
        self.address = address
        # The system error behind it ("ECONNREFUSED", "ENOENT", ...), or "EPROTO" for a hub that misbehaved.
        self.reason = reason
        super().__init__(message)


class Disconnected(ConnectionError):
    """The connection to the hub is gone: closed by the hub (error is the fatal ERROR or the
    SHUTDOWN BYE that preceded it, if any), lost, or closed by this client."""

    def __init__(self, message, error=None):
        self.error = error
        super().__init__(message)


class HubOwnerError(ConnectError):
    """The process behind the Unix socket runs as another user: nothing was sent to it (README: the hub's owner)."""

    def __init__(self, address, uid):
        self.uid = uid
        super().__init__("the hub at %s runs as uid %d, not as this user (uid %d) or root; nothing was sent to it "
                         "(RELAYSCOPE_ALLOW_HUB_UID=%d would trust it)" % (address, uid, os.geteuid(), uid),
                         address, "EOWNER")


class Timeout(Exception):
    """No answer arrived in time, or a write could not finish in time."""


class _ProtocolViolation(Exception):
    """The hub sent bytes that are not a valid frame; the stream cannot be trusted any further."""


class Message(object):
    """A message relayed by the hub, or a presence notice (kind 'presence', payload b'join'/b'leave').

    For a monitor, a TRAFFIC copy: destination is the ID it went to ('' for a broadcast) and
    injected tells whether a monitor or the hub's application injected it.
    """

    __slots__ = ("kind", "source", "correlation_id", "payload", "destination", "injected")

    def __init__(self, kind, source, correlation_id, payload, destination=None, injected=False):
        self.kind = kind
        self.source = source
        self.correlation_id = correlation_id
        self.payload = payload
        self.destination = destination
        self.injected = injected

    def text(self):
        """The payload decoded as UTF-8 (invalid bytes become U+FFFD)."""
        return self.payload.decode("utf-8", "replace")

    def __repr__(self):
        return "Message(kind=%r, source=%r, correlation_id=%d, payload=%r)" % (
            self.kind, self.source, self.correlation_id, self.payload)


class HubEvent(object):
    """A registry or error event, received by monitors only (PROTOCOL.md 8.2)."""

    __slots__ = ("event", "code", "code_name", "id", "detail", "timestamp_micros")

    def __init__(self, event, code, module_id, detail, timestamp_micros):
        self.event = event
        self.code = code
        self.code_name = ERROR_NAMES.get(code, "ERROR_%d" % code) if code else ""
        self.id = module_id
        self.detail = detail
        self.timestamp_micros = timestamp_micros

    def __repr__(self):
        return "HubEvent(event=%r, code=%d, id=%r, detail=%r)" % (self.event, self.code, self.id, self.detail)


class ModuleIdentity(object):
    """A connected module and who is behind it, from list_modules() (PROTOCOL.md 14.3).

    pid, uid, gid (ints), exe (str) and cmdline (list of str) are what the hub read at accept, None
    where it could not (another user's /proc, a loopback TCP peer not placed yet); framing is
    'id-byte' or 'line' for a program on a --plain listener, None for a Relayscope module.
    """

    __slots__ = ("id", "transport", "listener", "peer", "framing", "pid", "uid", "gid", "exe", "cmdline")

    def __init__(self, entry):
        def typed(name, kinds):
            value = entry.get(name)
            return value if isinstance(value, kinds) and not isinstance(value, bool) else None

        self.id = typed("id", str) or ""
        self.transport = typed("transport", str) or ""
        self.listener = typed("listener", str) or ""
        self.peer = typed("peer", str)
        self.framing = typed("framing", str)
        self.pid = typed("pid", int)
        self.uid = typed("uid", int)
        self.gid = typed("gid", int)
        self.exe = typed("exe", str)
        cmdline = typed("cmdline", list)
        self.cmdline = cmdline if cmdline is not None and all(isinstance(arg, str) for arg in cmdline) else None

    def __repr__(self):
        return "ModuleIdentity(id=%r, transport=%r, framing=%r, pid=%r, uid=%r, gid=%r, exe=%r)" % (
            self.id, self.transport, self.framing, self.pid, self.uid, self.gid, self.exe)


def default_address(environ=None):
    """$RELAYSCOPE_SOCKET, else $XDG_RUNTIME_DIR/relayscope.sock, else <tmpdir>/relayscope-$UID/relayscope.sock.

    The last is in the private 0700 directory the hub creates for the user (PROTOCOL.md 2.4).

    The temporary directory follows Node's os.tmpdir() ($TMPDIR, $TMP, $TEMP, else /tmp) so that
    this client finds the same hub as the relayscope command.
    """
    env = os.environ if environ is None else environ
    if env.get("RELAYSCOPE_SOCKET"):
        return env["RELAYSCOPE_SOCKET"]
    if env.get("XDG_RUNTIME_DIR"):
        return os.path.join(env["XDG_RUNTIME_DIR"], "relayscope.sock")
    tmpdir = env.get("TMPDIR") or env.get("TMP") or env.get("TEMP") or "/tmp"
    if len(tmpdir) > 1:
        tmpdir = tmpdir.rstrip("/")
    return os.path.join(tmpdir, "relayscope-%d" % os.getuid(), "relayscope.sock")


def _open_socket(address, timeout):
    """A connected, non-blocking socket for a path, '@name' or 'tcp://host:port'."""
    if address.startswith("tcp://"):
        host, port = _parse_host_port(address)
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    else:
        if address.startswith("@"):
            name = address[1:]
            if not name or len(name.encode("utf-8")) > 106:
                raise ValueError('abstract socket name "%s" must be 1 to 106 bytes after the @' % address)
            # Python passes the exact length of the name, which is how the hub binds it (PROTOCOL.md 2.2).
            target = b"\0" + name.encode("utf-8")
        else:
            target = address
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(target)
            _check_hub_owner(sock, address)
        except BaseException:
            sock.close()
            raise
    sock.setblocking(False)
    return sock


def _check_hub_owner(sock, address):
    """Before anything is sent: the process listening on a Unix socket must run as this user (its
    effective uid), root, or the uid $RELAYSCOPE_ALLOW_HUB_UID names (PROTOCOL.md 2.5), or a socket
    another user put in the place of the hub's (e.g. in /tmp) would receive our HELLO and its token.
    Linux only (SO_PEERCRED)."""
    if not hasattr(socket, "SO_PEERCRED"):
        return
    _pid, uid, _gid = _UCRED.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size))
    trusted = os.environ.get("RELAYSCOPE_ALLOW_HUB_UID", "")
    if uid in (os.geteuid(), 0) or (trusted.isdigit() and int(trusted) == uid):
        return
    raise HubOwnerError(address, uid)


def _parse_host_port(address):
    rest = address[len("tcp://"):]
    if rest.startswith("["):
        host, sep, port_text = rest[1:].partition("]:")
    else:
        host, sep, port_text = rest.rpartition(":")
    if not sep or not port_text.isdigit() or int(port_text) > 65535:
        raise ValueError('"%s" is not tcp://HOST:PORT (e.g. tcp://127.0.0.1:7777)' % address)
    return host or "127.0.0.1", int(port_text)


def _encode_payload(payload):
    if isinstance(payload, str):
        return payload.encode("utf-8")
    if isinstance(payload, (bytes, bytearray, memoryview)):
        return bytes(payload)
    raise TypeError("payload must be bytes or str, not %s" % type(payload).__name__)


def _encode_id(module_id, what, allow_empty=False):
    if not isinstance(module_id, str):
        raise TypeError("%s must be a str, not %s" % (what, type(module_id).__name__))
    encoded = module_id.encode("utf-8")
    if len(encoded) > MAX_ID_BYTES or (not encoded and not allow_empty):
        raise ValueError("%s %r must be 1 to %d bytes of UTF-8" % (what, module_id, MAX_ID_BYTES))
    return struct.pack(">B", len(encoded)) + encoded


def _frame(frame_type, body=b""):
    return struct.pack(">IB", 1 + len(body), frame_type) + body


class _Reader(object):
    """Walks one frame body field by field; a body that ends early raises _ProtocolViolation."""

    def __init__(self, body):
        self.body = body
        self.offset = 0

    def take(self, fmt):
        try:
            values = struct.unpack_from(fmt, self.body, self.offset)
        except struct.error:
            raise _ProtocolViolation("a frame body of %d bytes ends before its fields" % len(self.body)) from None
        self.offset += struct.calcsize(fmt)
        return values if len(values) > 1 else values[0]

    def short_string(self):
        length = self.take(">B")
        return self.take_bytes(length).decode("utf-8", "replace")

    def take_bytes(self, length):
        if self.offset + length > len(self.body):
            raise _ProtocolViolation("a field runs past the end of its frame")
        value = self.body[self.offset:self.offset + length]
        self.offset += length
        return value

    def rest(self):
        value = self.body[self.offset:]
        self.offset = len(self.body)
        return value


def _parse_error(body):
    reader = _Reader(body)
    code, correlation_id = reader.take(">HI")
    ref = reader.short_string()
    return RelayError(code, reader.rest().decode("utf-8", "replace"), ref, correlation_id)


class Client(object):
    """One connection to the hub, registered as a module (or a monitor)."""

    def __init__(self, sock, address, write_timeout=DEFAULT_WRITE_TIMEOUT, max_queued_bytes=DEFAULT_MAX_QUEUED_BYTES):
        """Use Client.connect(); this wraps a socket that has not said HELLO yet."""
        self._sock = sock
        self.address = address
        self.id = ""
        self.max_payload = 0
        self.queue_limit = 0
        self.idle_timeout_ms = 0
        self.monitor = False
        self.write_timeout = write_timeout
        self.max_queued_bytes = max_queued_bytes
        # Queued items dropped, oldest first, to keep the queue within max_queued_bytes.
        self.dropped = 0
        self._inbox = bytearray()
        self._inbox_start = 0
        self._max_frame_length = MAX_HANDSHAKE_FRAME_LENGTH
        # Messages, presence notices, events and non-fatal errors that arrived while waiting for
        # something else, in arrival order, for receive(): (item, cost) pairs.
        self._received = collections.deque()
        self._queued_bytes = 0
        # A PONG owed to the hub, or the unsent tail of one: written before our next frame or whenever
        # the socket takes it, never waited for, so a hub that floods PINGs and reads nothing cannot
        # block a call.
        self._owed_pong = b""
        # Random, not 1: a script run once per request, or one that reconnects under the same ID,
        # would otherwise give every first request the ID 1, so a monitor could not tell them apart
        # and a late reply to an earlier run could answer this one.
        self._next_correlation_id = random.SystemRandom().randint(1, MAX_CORRELATION_ID)
        self._closing_error = None
        self._disconnected = None

    @classmethod
    def connect(cls, module_id, address=None, timeout=5.0, monitor=False, token=None, takeover=False,
                write_timeout=DEFAULT_WRITE_TIMEOUT, max_queued_bytes=DEFAULT_MAX_QUEUED_BYTES):
        """Connects and registers; returns once the hub has answered HELLO with WELCOME.

        Raises ConnectError (no hub there; HubOwnerError for a hub run by another user), RelayError
        (the hub refused, e.g. ID_IN_USE) or Timeout. A monitor may pass '' as module_id to let the
        hub choose its ID. `write_timeout` (seconds, None = no limit) bounds each write that is not
        part of a call with its own timeout; `max_queued_bytes` bounds what waits for receive().
        """
        target = default_address() if address is None else address
        id_field = _encode_id(module_id, "module ID", allow_empty=monitor)
        token_bytes = (token or "").encode("utf-8")
        if len(token_bytes) > 0xFFFF:
            raise ValueError("token must be at most 65535 bytes of UTF-8")
        deadline = time.monotonic() + timeout
        try:
            sock = _open_socket(target, timeout)
        except socket.timeout:
            raise Timeout("connecting to %s timed out after %g s" % (target, timeout)) from None
        except OSError as err:
            raise _connect_failure(target, err) from err
        client = cls(sock, target, write_timeout, max_queued_bytes)
        flags = (HELLO_FLAG_MONITOR if monitor else 0) | (HELLO_FLAG_TAKEOVER if takeover else 0)
        hello = struct.pack(">BB", PROTOCOL_VERSION, flags) + id_field + struct.pack(">H", len(token_bytes)) + token_bytes
        try:
            client._write(_frame(HELLO, hello), deadline=deadline)
            client._handshake(deadline, timeout)
        except BaseException:
            client._drop_socket()
            raise
        client.monitor = monitor
        return client

    def _handshake(self, deadline, timeout):
        try:
            frame = self._read_frame(deadline)
        except Disconnected as err:
            raise ConnectError("no WELCOME: %s" % err, self.address, "ECONNRESET") from err
        if frame is None:
            raise Timeout("the hub at %s did not answer HELLO within %g s" % (self.address, timeout))
        frame_type, body = frame
        if frame_type not in (ERROR, WELCOME):
            raise ConnectError("the hub at %s answered HELLO with frame type 0x%02x instead of WELCOME"
                               % (self.address, frame_type), self.address, "EPROTO")
        try:
            if frame_type == ERROR:
                raise _parse_error(body)
            reader = _Reader(body)
            version, self.max_payload, self.queue_limit, self.idle_timeout_ms = reader.take(">BIII")
            self.id = reader.short_string()
        except _ProtocolViolation as err:
            raise ConnectError("the hub at %s answered HELLO with an invalid frame: %s" % (self.address, err),
                               self.address, "EPROTO") from None
        if version != PROTOCOL_VERSION:
            raise ConnectError("the hub at %s speaks protocol version %d, this client only %d"
                               % (self.address, version, PROTOCOL_VERSION), self.address, "EPROTO")
        self._max_frame_length = self.max_payload + MAX_FRAME_OVERHEAD

    # ------------------------------------------------------------------ sending

    def send(self, to, payload):
        """Sends a unicast message. Delivery failures (NO_SUCH_MODULE, ...) are raised by a later receive()."""
        self._send_message(KIND_UNICAST, to, payload, 0)

    def broadcast(self, payload):
        """Sends a message to every other connected module."""
        self._send_message(KIND_BROADCAST, None, payload, 0)

    def request(self, to, payload, timeout=5.0):
        """Sends a request and returns the reply (a Message of kind 'reply').

        Messages arriving meanwhile are kept for receive(). Raises RelayError when the hub answers
        the request with an ERROR (NO_SUCH_MODULE, PEER_GONE, ...), Timeout when no reply comes in
        time; a reply arriving after that is handed to receive().
        """
        correlation_id = self._allocate_correlation_id()
        deadline = time.monotonic() + timeout
        self._send_message(KIND_REQUEST, to, payload, correlation_id, deadline)

        def is_reply(frame_type, body):
            if frame_type != MESSAGE:
                return False
            reader = _Reader(body)
            kind, _flags, answer_id = reader.take(">BBI")
            return kind == KIND_REPLY and answer_id == correlation_id and reader.short_string() == to

        frame_type, body = self._await_answer(correlation_id, to, is_reply, deadline,
                                              "no reply from %s within %g s" % (to, timeout))
        return self._parse_message(body)

    def reply(self, message, payload):
        """Answers a request with the same correlation ID."""
        if message.kind != "request":
            raise ValueError("only a request can be replied to; this message is a %s" % message.kind)
        self._send_message(KIND_REPLY, message.source, payload, message.correlation_id)

    def _send_message(self, kind, to, payload, correlation_id, deadline=None):
        if self.monitor:
            raise RuntimeError("a monitor cannot send messages; use inject()")
        peer = b"\0" if to is None else _encode_id(to, "destination")
        data = _encode_payload(payload)
        self._check_payload_size(data)
        header = struct.pack(">BBI", kind, 0, correlation_id) + peer
        # Header and payload as two parts of one write: a large payload is not copied again.
        self._write(struct.pack(">IB", 1 + len(header) + len(data), MESSAGE) + header, data, deadline=deadline)

    def _check_payload_size(self, data):
        if len(data) > self.max_payload:
            raise ValueError("payload of %d bytes exceeds the hub's limit of %d" % (len(data), self.max_payload))

    # ---------------------------------------------------------------- commands

    def list(self):
        """The IDs of the connected modules, in registration order."""
        correlation_id = self._allocate_correlation_id()
        body = self._command(LIST, correlation_id, struct.pack(">I", correlation_id), LIST_REPLY, "no LIST_REPLY within 5 s")
        try:
            reader = _Reader(body)
            _, count = reader.take(">II")
            return [reader.short_string() for _ in range(count)]
        except _ProtocolViolation as err:
            self._protocol_failure("LIST_REPLY: %s" % err)

    def subscribe_presence(self, on=True):
        """Turns presence notices on or off: receive() then returns Message(kind='presence',
        source=<module ID>, payload=b'join' or b'leave'). The current members are not replayed; call list()."""
        correlation_id = self._allocate_correlation_id()
        self._command(SUBSCRIBE_PRESENCE, correlation_id, struct.pack(">IB", correlation_id, 1 if on else 0))

    def stats(self):
        """Monitors only: the hub's snapshot (PROTOCOL.md 8.3) as a dict."""
        correlation_id = self._allocate_correlation_id()
        body = self._command(STATS, correlation_id, struct.pack(">I", correlation_id), STATS_REPLY, "no STATS_REPLY within 5 s")
        try:
            return json.loads(body[4:].decode("utf-8"))
        except ValueError as err:  # UnicodeDecodeError and json.JSONDecodeError are ValueErrors.
            self._protocol_failure("STATS_REPLY is not UTF-8 JSON: %s" % err)

    def list_modules(self):
        """Monitors only: the connected modules in registration order, each a ModuleIdentity (pid,
        uid, gid, exe, cmdline, framing). Read from STATS, since LIST_REPLY carries IDs only and the
        hub answers STATS for monitors only: a module gets RelayError NOT_PERMITTED."""
        snapshot = self.stats()
        modules = snapshot.get("modules") if isinstance(snapshot, dict) else None
        if not isinstance(modules, list) or not all(isinstance(entry, dict) for entry in modules):
            self._protocol_failure("STATS_REPLY has no list of module objects")
        return [ModuleIdentity(entry) for entry in modules]

    def inject(self, to, payload, source="", kind="unicast", correlation_id=0):
        """Monitors only: relays a message as if `source` ('' = this monitor) had sent it; to='' with kind='broadcast'."""
        if kind not in MESSAGE_KINDS:
            raise ValueError("kind must be one of %s" % ", ".join(MESSAGE_KINDS))
        data = _encode_payload(payload)
        self._check_payload_size(data)
        # The INJECT's correlation ID is also the injected message's (PROTOCOL.md 4.15), so a
        # caller injecting a reply chooses it.
        command_id = correlation_id or self._allocate_correlation_id()
        body = (struct.pack(">BBI", MESSAGE_KINDS.index(kind), 0, command_id)
                + _encode_id(source, "source", allow_empty=True) + _encode_id(to, "destination", allow_empty=True))
        self._command(INJECT, command_id, body + data)

    def kick(self, module_id, reason=""):
        """Monitors only: disconnects a module or monitor."""
        correlation_id = self._allocate_correlation_id()
        self._command(KICK, correlation_id, struct.pack(">I", correlation_id) + _encode_id(module_id, "module ID") + reason.encode("utf-8"))

    def _command(self, frame_type, correlation_id, body, answer_type=OK, timeout_message="no answer from the hub within 5 s"):
        """Sends a command and returns the body of its answer (OK, LIST_REPLY, STATS_REPLY with its
        correlation ID); raises the RelayError the hub answers instead. Writing and waiting share the 5 s."""
        deadline = time.monotonic() + 5.0
        self._write(_frame(frame_type, body), deadline=deadline)
        return self._await_answer(correlation_id, None, _answer_of(answer_type, correlation_id), deadline, timeout_message)[1]

    # --------------------------------------------------------------- receiving

    def receive(self, timeout=None):
        """The next message (or presence notice; for monitors also TRAFFIC copies and HubEvents).

        Returns None after `timeout` seconds (None = wait as long as it takes; 0 = only what has
        already arrived). Raises RelayError for a non-fatal hub ERROR not tied to a request (e.g.
        NO_SUCH_MODULE after send()), and Disconnected (a ConnectionError) once the connection has
        ended and everything that arrived before the end has been returned.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self._received:
                item, cost = self._received.popleft()
                self._queued_bytes -= cost
                if isinstance(item, RelayError):
                    raise item
                return item
            frame = self._read_frame(deadline)
            if frame is None:
                return None
            self._keep_or_fail(*frame)
            if not self._received and self._expired(deadline):
                return None

    def __iter__(self):
        """Yields messages until the connection closes (hub shutdown, kick, close())."""
        while True:
            try:
                message = self.receive()
            except Disconnected:
                return
            yield message

    def _await_answer(self, correlation_id, ref, is_answer, deadline, timeout_message):
        """Reads until is_answer(frame) or an ERROR for this operation (its correlation ID and,
        unless ref is None, its ref); everything else is kept for receive(). Raises Timeout at
        `deadline` (a time.monotonic() value), however fast other frames keep coming."""
        while True:
            frame = self._read_frame(deadline)
            if frame is None:
                raise Timeout(timeout_message)
            frame_type, body = frame
            try:
                if is_answer(frame_type, body):
                    return frame
                if frame_type == ERROR:
                    error = _parse_error(body)
                    if error.correlation_id == correlation_id and (ref is None or error.ref == ref):
                        raise error
            except _ProtocolViolation as err:
                self._protocol_failure(err)
            self._keep_or_fail(frame_type, body)
            if self._expired(deadline):
                raise Timeout(timeout_message)

    def _expired(self, deadline):
        """Whether a call reading towards `deadline` must stop: it has passed, and no complete frame
        is buffered. Checked after each frame that did not end the call, because under a continuous
        stream _read_frame always has a frame to return; what one read brought is handled first."""
        if deadline is None or time.monotonic() < deadline:
            return False
        available = len(self._inbox) - self._inbox_start
        return available < 4 or available < 4 + struct.unpack_from(">I", self._inbox, self._inbox_start)[0]

    def _keep_or_fail(self, frame_type, body):
        try:
            self._keep(frame_type, body)
        except _ProtocolViolation as err:
            self._protocol_failure(err)

    def _queue(self, item, size):
        """Queues an item for receive(), counting `size` (its payload or text) plus QUEUED_ITEM_OVERHEAD.
        The policy (README): the oldest items make room and are counted in `dropped`, so a hub or a
        module sending faster than the application receives costs at most max_queued_bytes; an
        item larger than the bound on its own is still kept, alone."""
        cost = size + QUEUED_ITEM_OVERHEAD
        while self._received and self._queued_bytes + cost > self.max_queued_bytes:
            self._queued_bytes -= self._received.popleft()[1]
            self.dropped += 1
        self._received.append((item, cost))
        self._queued_bytes += cost

    def _keep(self, frame_type, body):
        """Queues what the application should see; notes why the hub is about to close the stream."""
        if frame_type == MESSAGE:
            message = self._parse_message(body)
            self._queue(message, len(message.payload))
        elif frame_type == PRESENCE:
            reader = _Reader(body)
            event = reader.take(">B")
            module_id = reader.short_string()
            if event in PRESENCE_EVENTS:
                self._queue(Message("presence", module_id, 0, PRESENCE_EVENTS[event].encode("ascii")), 0)
        elif frame_type == ERROR:
            error = _parse_error(body)
            if error.fatal:
                # The hub closes the stream right after it; the close is reported with this error.
                self._closing_error = error
            else:
                self._queue(error, len(error.message))
        elif frame_type == BYE:
            reader = _Reader(body)
            code = reader.take(">H")
            self._closing_error = RelayError(code, reader.rest().decode("utf-8", "replace"))
        elif frame_type == TRAFFIC:
            traffic = self._parse_traffic(body)
            self._queue(traffic, len(traffic.payload))
        elif frame_type == EVENT:
            reader = _Reader(body)
            timestamp, event, code = reader.take(">QBH")
            module_id = reader.short_string()
            detail = reader.rest().decode("utf-8", "replace")
            self._queue(HubEvent(HUB_EVENTS.get(event, "event_%d" % event), code, module_id, detail, timestamp), len(detail))
        # An OK, LIST_REPLY, STATS_REPLY or PONG nobody waits for any more (it timed out) is
        # dropped, and so is a frame type this client does not know (PROTOCOL.md 12).

    def _parse_message(self, body):
        reader = _Reader(body)
        kind, _flags, correlation_id = reader.take(">BBI")
        source = reader.short_string()
        if kind >= len(MESSAGE_KINDS):
            raise _ProtocolViolation("message kind %d is not part of protocol version 1" % kind)
        return Message(MESSAGE_KINDS[kind], source, correlation_id, reader.rest())

    def _parse_traffic(self, body):
        reader = _Reader(body)
        _timestamp, kind, flags, correlation_id = reader.take(">QBBI")
        source = reader.short_string()
        destination = reader.short_string()
        kind_name = MESSAGE_KINDS[kind] if kind < len(MESSAGE_KINDS) else "kind_%d" % kind
        return Message(kind_name, source, correlation_id, reader.rest(), destination, bool(flags & 0x01))

    # ------------------------------------------------------------------ framing

    def _read_frame(self, deadline):
        """The next (type, body) from the hub, answering PINGs on the way; None when `deadline`
        (a time.monotonic() value, None = no limit) passes first."""
        # Even a deadline already past gets one look at the socket: receive(timeout=0) polls.
        looked_once = False
        while True:
            try:
                frame = self._take_buffered_frame()
            except _ProtocolViolation as err:
                self._protocol_failure(err)
            if frame is not None:
                if frame[0] == PING:
                    self._owe_pong(frame[1])
                    continue
                return frame
            # Checked before the deadline, so that even receive(timeout=0) reports a closed connection.
            self._live_socket()
            self._flush_owed_pong()
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                if looked_once:
                    return None
                looked_once = True
                remaining = 0
            if self._wait(select.POLLIN, remaining):
                self._recv_available()

    def _take_buffered_frame(self):
        available = len(self._inbox) - self._inbox_start
        if available < 4:
            return None
        length = struct.unpack_from(">I", self._inbox, self._inbox_start)[0]
        # Refused as soon as the length is in: no fifth byte may ever come after a zero length.
        if length == 0:
            raise _ProtocolViolation("frame length 0; every frame has at least a type byte")
        if available < 5:
            return None
        frame_type = self._inbox[self._inbox_start + 4]
        limit = MAX_LISTING_FRAME_LENGTH if frame_type in UNBOUNDED_FRAME_TYPES else self._max_frame_length
        if length > limit:
            raise _ProtocolViolation("frame length %d is outside 1..%d" % (length, limit))
        if available < 4 + length:
            return None
        start = self._inbox_start + 5
        body = bytes(self._inbox[start:start + length - 1])
        self._inbox_start += 4 + length
        # Compacting only once the consumed part dominates keeps a large frame from being moved per read.
        if self._inbox_start * 2 >= len(self._inbox):
            del self._inbox[:self._inbox_start]
            self._inbox_start = 0
        return frame_type, body

    def _wait(self, events, timeout):
        """Waits up to `timeout` seconds (None = no limit) for `events` on the socket; returns the
        events that occurred (0 on timeout). poll() rather than select(): descriptors above 1023 work."""
        poller = select.poll()
        poller.register(self._live_socket(), events)
        timeout_ms = None if timeout is None else max(0, math.ceil(timeout * 1000))
        try:
            ready = poller.poll(timeout_ms)
        except InterruptedError:
            return 0
        return ready[0][1] if ready else 0

    def _recv_available(self):
        """Reads what the socket holds into the inbox; at end of stream, Disconnected."""
        try:
            chunk = self._live_socket().recv(READ_CHUNK_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as err:
            self._connection_lost("the connection to %s failed: %s" % (self.address, err))
        if not chunk:
            self._connection_lost("the hub at %s closed the connection" % self.address)
        self._inbox += chunk

    def _write(self, *parts, deadline=None):
        """Writes the PONG still owed, then one frame (`parts`, back to back), by `deadline` (a
        time.monotonic() value; None = write_timeout from now). While the socket is full it reads and
        queues what the hub sends: a hub that has stopped reading until we drain what it queued for
        us (PROTOCOL.md 6.8) must not deadlock with us, and the inbox never holds more than one
        incomplete frame however long the write waits. Raises Timeout at the deadline; if part of the
        frame was written by then, the stream cannot be framed any more and the connection is closed."""
        if deadline is None and self.write_timeout is not None:
            deadline = time.monotonic() + self.write_timeout
        # Taken out of _owed_pong, which a PING read while this write waits may fill with the next PONG.
        owed, self._owed_pong = self._owed_pong, b""
        views = [memoryview(part) for part in (owed,) + parts if len(part) > 0]
        written = 0
        while views:
            try:
                sent = self._live_socket().send(views[0])
                written += sent
                views[0] = views[0][sent:]
                if not views[0]:
                    views.pop(0)
                continue
            except BlockingIOError:
                pass
            except OSError as err:
                self._connection_lost("the connection to %s failed: %s" % (self.address, err))
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                self._write_timed_out(owed, written)
            if self._wait(select.POLLIN | select.POLLOUT, remaining) & ~select.POLLOUT:
                self._recv_available()
                self._absorb_buffered_frames()

    def _write_timed_out(self, owed, written):
        if written > len(owed):
            self._end_connection("a write to the hub at %s timed out part-way through a frame" % self.address)
            raise Timeout("the hub at %s did not take what this client wrote in time; the frame was cut short, "
                          "so the connection is closed" % self.address)
        # Nothing of the frame went out: the stream is intact, and the PONG's tail is still owed.
        self._owed_pong = owed[written:]
        raise Timeout("the hub at %s did not take what this client wrote in time" % self.address)

    def _owe_pong(self, ping_body):
        """A PING from the hub: the PONG echoing it (PROTOCOL.md 4.4) goes out with _flush_owed_pong.
        One owed PONG answers any number of PINGs: any bytes from us answer the hub (4.4, 5.5)."""
        if not self._owed_pong:
            self._owed_pong = _frame(PONG, ping_body[:8])

    def _flush_owed_pong(self):
        """Writes what is owed of a PONG as far as the socket takes it, without waiting."""
        while self._owed_pong:
            try:
                sent = self._live_socket().send(self._owed_pong)
            except BlockingIOError:
                return
            except OSError:
                # The hub is gone; the read that follows finds its last frames (a BYE, an ERROR) and the end.
                self._owed_pong = b""
                return
            self._owed_pong = self._owed_pong[sent:]

    def _absorb_buffered_frames(self):
        """Queues the complete frames in the inbox (PINGs owe a PONG), as if nobody waited for anything."""
        while True:
            try:
                frame = self._take_buffered_frame()
            except _ProtocolViolation as err:
                self._protocol_failure(err)
            if frame is None:
                return
            if frame[0] == PING:
                self._owe_pong(frame[1])
            else:
                self._keep_or_fail(*frame)

    def _live_socket(self):
        if self._disconnected is not None:
            raise self._disconnected
        return self._sock

    def _allocate_correlation_id(self):
        correlation_id = self._next_correlation_id
        self._next_correlation_id = 1 if correlation_id == MAX_CORRELATION_ID else correlation_id + 1
        return correlation_id

    def _protocol_failure(self, problem):
        self._connection_lost("the hub at %s sent an invalid frame: %s" % (self.address, problem))

    def _connection_lost(self, description):
        """Ends the connection and raises Disconnected; later calls raise the same."""
        self._end_connection(description)
        raise self._disconnected

    def _end_connection(self, description):
        """Ends the connection; later calls raise Disconnected. Complete frames already read are kept
        for receive(), and the fatal ERROR or BYE among them names the cause."""
        if self._disconnected is None:
            try:
                frame = self._take_buffered_frame()
                while frame is not None:
                    self._keep(*frame)
                    frame = self._take_buffered_frame()
            except _ProtocolViolation:
                pass  # Frames before the invalid one are kept; nothing after it can be delimited.
            if self._closing_error is not None:
                description = "the hub at %s closed the connection: %s" % (self.address, self._closing_error)
            self._disconnected = Disconnected(description, self._closing_error)
            self._drop_socket()

    def _drop_socket(self):
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    # ------------------------------------------------------------------ closing

    def close(self):
        """Says BYE and closes the connection; calling it again does nothing."""
        if self._disconnected is not None:
            return
        self._disconnected = Disconnected("the client is closed")
        try:
            self._sock.setblocking(True)
            self._sock.settimeout(1.0)
            # After what is owed of a PONG: a BYE in the middle of one would break the frame.
            self._sock.sendall(self._owed_pong + _frame(BYE, struct.pack(">H", 0)))
        except OSError:
            pass  # The hub is gone already; there is nobody left to say goodbye to.
        self._drop_socket()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def _answer_of(frame_type, correlation_id):
    """Matches the answer frame of `frame_type` whose body starts with `correlation_id`."""

    def is_answer(actual_type, body):
        return actual_type == frame_type and _Reader(body).take(">I") == correlation_id

    return is_answer


def _connect_failure(address, err):
    reason = errno.errorcode.get(err.errno, "EUNKNOWN") if err.errno else "EUNKNOWN"
    if err.errno in (errno.ECONNREFUSED, errno.ENOENT):
        return ConnectError("no hub is listening on %s (%s)" % (address, reason), address, reason)
    if err.errno in (errno.EACCES, errno.EPERM):
        return ConnectError("permission denied connecting to %s (%s)" % (address, reason), address, reason)
    return ConnectError("cannot connect to %s: %s" % (address, err), address, reason)
