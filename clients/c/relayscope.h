/*
 * relayscope.h - C client for the Relayscope hub (wire protocol version 1, docs/PROTOCOL.md).
 *
 * C99 + POSIX, no dependencies, no global state: everything lives in an opaque rs_client.
 * One rs_client must not be used from two threads at once; separate clients are independent.
 *
 * Every function returning int returns RS_OK (0) or a negative RS_E* code; rs_strerror() names it.
 * When the hub itself reported the problem (an ERROR or BYE frame), rs_last_hub_error() has its
 * code, reference and message.
 */
#ifndef RELAYSCOPE_H
#define RELAYSCOPE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rs_client rs_client;

/* Return codes. */
#define RS_OK 0
#define RS_EINVAL (-1)     /* a bad argument (NULL pointer, ID longer than 255 bytes, ...) */
#define RS_ENOMEM (-2)     /* an allocation failed */
#define RS_EADDR (-3)      /* the address cannot be parsed or resolved, or does not fit sun_path */
#define RS_ECONNECT (-4)   /* connect() failed: nothing listening, permission denied, ... (see rs_last_errno) */
#define RS_ETIMEOUT (-5)   /* the operation did not finish within its timeout */
#define RS_ECLOSED (-6)    /* not connected, or the connection ended (hub BYE, fatal ERROR or end of stream) */
#define RS_EIO (-7)        /* a socket error other than the connection ending (see rs_last_errno) */
#define RS_EPROTO (-8)     /* the hub sent something this client cannot decode; the connection is closed */
#define RS_EHUB (-9)       /* the hub answered with a non-fatal ERROR; see rs_last_hub_error */
#define RS_EREFUSED (-10)  /* the hub refused the HELLO (ID_IN_USE, BAD_TOKEN, ...); see rs_last_hub_error */
#define RS_ETOOBIG (-11)   /* the payload is larger than the hub's maxPayload */
#define RS_EOWNER (-12)    /* the process behind the Unix socket runs as another user (rs_hub_uid); nothing was sent */
#define RS_EVERSION (-13)  /* the hub's WELCOME is for another protocol version; the connection is closed */

/* Hub error codes (ERROR and BYE frames), as in docs/PROTOCOL.md section 9. */
#define RS_HUB_BAD_VERSION 1
#define RS_HUB_INVALID_ID 2
#define RS_HUB_ID_IN_USE 3
#define RS_HUB_TOO_MANY_CONNECTIONS 4
#define RS_HUB_HELLO_REQUIRED 5
#define RS_HUB_BAD_TOKEN 6
#define RS_HUB_FRAME_TOO_LARGE 7
#define RS_HUB_MALFORMED_FRAME 8
#define RS_HUB_UNKNOWN_FRAME_TYPE 9
#define RS_HUB_NO_SUCH_MODULE 10
#define RS_HUB_PEER_GONE 11
#define RS_HUB_SLOW_CONSUMER 12
#define RS_HUB_IDLE_TIMEOUT 13
#define RS_HUB_NOT_PERMITTED 14
#define RS_HUB_SHUTDOWN 15
#define RS_HUB_KICKED 16
#define RS_HUB_REPLACED 17
#define RS_HUB_DUPLICATE_HELLO 18
#define RS_HUB_CLIENT_LEAVING 19
#define RS_HUB_DESTINATION_OVERLOADED 20

/* What rs_receive() returned. The first four are the protocol's message kinds. */
#define RS_KIND_UNICAST 0
#define RS_KIND_BROADCAST 1
#define RS_KIND_REQUEST 2
#define RS_KIND_REPLY 3
#define RS_KIND_JOIN 4   /* presence: module `source` registered (needs rs_subscribe_presence) */
#define RS_KIND_LEAVE 5  /* presence: module `source` left */

/* HELLO flags for rs_connect_options.flags. */
#define RS_FLAG_MONITOR 0x01   /* connect as a monitor (the hub may assign the ID: see rs_id) */
#define RS_FLAG_TAKEOVER 0x02  /* take the ID over if its holder does not answer the hub's probe */

/*
 * Timeouts are in milliseconds; a negative timeout waits forever, 0 only handles what is already there.
 * A call returns by its deadline however the hub sends (a flood, a frame that never ends, nothing at
 * all), give or take the time to handle one read from the socket.
 */

typedef struct rs_connect_options {
    unsigned flags;      /* RS_FLAG_* */
    const char *token;   /* NULL or "" when the hub has no token */
    int timeout_ms;      /* connecting plus waiting for WELCOME; 0 means the default, 5000 */
    /*
     * How long one write (rs_send, rs_broadcast, rs_reply, and the request of rs_request, rs_list,
     * rs_subscribe_presence within their own timeout) may wait for the hub to read; 0 means the
     * default, 10000; negative waits forever. A write cut short by it returns RS_ETIMEOUT and, if part
     * of the frame was written, closes the connection.
     */
    int send_timeout_ms;
    /*
     * Bound on the messages (and hub errors) queued for rs_receive, each counted with its payload plus
     * about 1.6 KiB of bookkeeping; 0 means the default, 8 MiB. Past it the oldest are dropped and
     * counted in rs_dropped().
     */
    size_t max_queued_bytes;
} rs_connect_options;

typedef struct rs_message {
    int kind;                      /* RS_KIND_* */
    char source[256];              /* sender's ID (for JOIN/LEAVE: the module concerned), NUL-terminated */
    uint32_t correlation_id;       /* pass the request to rs_reply() to answer it */
    const unsigned char *payload;  /* owned by the client; NUL-terminated for convenience (not counted) */
    size_t payload_len;
} rs_message;

typedef struct rs_hub_error {
    int code;                 /* RS_HUB_* */
    uint32_t correlation_id;  /* of the operation it answers; 0 for fatal errors and plain sends */
    char ref[256];            /* the ID it is about (destination, contested ID), or "" */
    const char *message;      /* human-readable text from the hub, never NULL */
} rs_hub_error;

typedef struct rs_reconnect_options {
    int initial_delay_ms;  /* first pause between attempts; 0 means 100 */
    int max_delay_ms;      /* the pause doubles up to this; 0 means 5000 */
    int max_attempts;      /* 0 means no limit */
    int timeout_ms;        /* give up after this long in total; 0 means no limit */
} rs_reconnect_options;

/* A client that is not connected yet; NULL when out of memory. Free it with rs_close(). */
rs_client *rs_client_new(void);

/*
 * Connects and registers `id` (HELLO, then waits for WELCOME). `address` is a socket path,
 * "@name" (Linux abstract socket) or "tcp://host:port"; NULL applies the default rules:
 * $RELAYSCOPE_SOCKET, else $XDG_RUNTIME_DIR/relayscope.sock, else $TMPDIR (or /tmp)/relayscope-$UID/relayscope.sock.
 * `options` may be NULL. The address, ID and options are remembered for rs_reconnect(), even when
 * this call fails. Returns RS_EREFUSED when the hub refuses the HELLO (e.g. RS_HUB_ID_IN_USE).
 * On a Unix socket (path or @name, Linux) it first checks with SO_PEERCRED that the hub runs as this
 * user (effective uid) or root, else returns RS_EOWNER before sending anything;
 * $RELAYSCOPE_ALLOW_HUB_UID set to a decimal uid trusts that user's hub too (PROTOCOL.md 2.5).
 * A WELCOME for another protocol version: RS_EVERSION.
 */
int rs_connect(rs_client *c, const char *address, const char *id, const rs_connect_options *options);

/*
 * Connects again with the remembered address and ID and the TAKEOVER flag, pausing between
 * attempts with exponential backoff, until it succeeds, the hub refuses for good (invalid ID,
 * bad token: RS_EREFUSED; RS_EOWNER, RS_EVERSION), or the attempts or time run out (the last attempt's error, or RS_ETIMEOUT).
 * Re-subscribes to presence if the client was subscribed. Messages already received stay queued.
 * `options` may be NULL (defaults, no limit).
 */
int rs_reconnect(rs_client *c, const rs_reconnect_options *options);

/* Says BYE if connected, closes the socket and frees the client and everything it owns. NULL is fine. */
void rs_close(rs_client *c);

/* Unicast to module `to`. An unknown destination is reported later: rs_receive returns RS_EHUB. */
int rs_send(rs_client *c, const char *to, const void *payload, size_t len);

/* To every other module. */
int rs_broadcast(rs_client *c, const void *payload, size_t len);

/*
 * Sends a REQUEST to `to` and waits for the REPLY carrying its correlation ID, which is stored in
 * `reply` (its payload is owned by the client, as for rs_receive). Messages that arrive meanwhile are
 * queued for rs_receive (within max_queued_bytes). `timeout_ms` covers writing the request too. Returns RS_EHUB if the hub answered the request with an ERROR
 * (RS_HUB_NO_SUCH_MODULE, RS_HUB_PEER_GONE, ...), RS_ETIMEOUT if no reply came in time (a reply that
 * comes later is then returned by rs_receive like any message).
 */
int rs_request(rs_client *c, const char *to, const void *payload, size_t len, int timeout_ms, rs_message *reply);

/* Answers `request` (a message of kind RS_KIND_REQUEST) with a REPLY to its source. */
int rs_reply(rs_client *c, const rs_message *request, const void *payload, size_t len);

/*
 * The next message or presence notice: queued ones first, then from the socket. Answers the hub's
 * keepalive PINGs while it waits. `msg->payload` stays valid until the next rs_receive or rs_request
 * on this client, or rs_close. Returns RS_ETIMEOUT when nothing came in time, RS_EHUB when the hub
 * reported a non-fatal error for an earlier operation (e.g. RS_HUB_NO_SUCH_MODULE for an rs_send).
 */
int rs_receive(rs_client *c, rs_message *msg, int timeout_ms);

/* Turns PRESENCE notices on (`on` != 0) or off and waits for the hub's OK. They arrive via rs_receive. */
int rs_subscribe_presence(rs_client *c, int on, int timeout_ms);

/*
 * The IDs of all connected modules, in registration order. On success `*ids` is an array of `*count`
 * NUL-terminated strings, to be freed with rs_free_list().
 */
int rs_list(rs_client *c, char ***ids, size_t *count, int timeout_ms);
void rs_free_list(char **ids, size_t count);

/*
 * A connected module and who is behind it (docs/PROTOCOL.md 14.3), as rs_list_modules returns it.
 * The identity is what the hub read at accept: for a Unix socket SO_PEERCRED and /proc, for a
 * loopback TCP peer /proc/net/tcp (best effort, and only once the hub has found it).
 */
typedef struct rs_module {
    char id[256];        /* module ID, NUL-terminated */
    char transport[16];  /* "unix", "abstract", "tcp" or "stream" */
    char framing[16];    /* "id-byte" or "line" for a program on a --plain listener, "" for a Relayscope module */
    int64_t pid;         /* the peer's process ID, -1 when the hub does not know it */
    int64_t uid;         /* its user ID, -1 when not known */
    int64_t gid;         /* its group ID, -1 when not known */
    char *exe;           /* its executable (/proc/PID/exe), NULL when not known */
    char **cmdline;      /* its arguments (/proc/PID/cmdline), NULL when not known */
    size_t cmdline_len;  /* how many */
} rs_module;

/*
 * Monitors only (RS_FLAG_MONITOR): the connected modules in registration order, each with its peer's
 * identity. It asks STATS and reads the "modules" of its JSON: LIST_REPLY carries IDs only, and the
 * hub answers STATS for monitors only (a module gets RS_EHUB, RS_HUB_NOT_PERMITTED). On success
 * `*modules` is an array of `*count`, to be freed with rs_free_modules(). A STATS_REPLY that is no
 * such JSON (or nests deeper than 32) is RS_EPROTO.
 */
int rs_list_modules(rs_client *c, rs_module **modules, size_t *count, int timeout_ms);
void rs_free_modules(rs_module *modules, size_t count);

/* The last ERROR (or BYE) the hub sent, or NULL if none yet. Valid until the next call on the client. */
const rs_hub_error *rs_last_hub_error(const rs_client *c);

/* The errno of the last RS_ECONNECT or RS_EIO, 0 if none. */
int rs_last_errno(const rs_client *c);

/* A short description of an RS_E* code. */
const char *rs_strerror(int code);

/* The protocol name of a hub error code ("NO_SUCH_MODULE"), or "UNKNOWN" for codes it does not know. */
const char *rs_hub_error_name(int hub_code);

/* Whether the client is registered with a hub right now. */
int rs_is_connected(const rs_client *c);

/* The ID the hub registered (from WELCOME), or "" before the first successful connect. */
const char *rs_id(const rs_client *c);

/* The hub address rs_connect was given, or the default it resolved when given NULL; "" before rs_connect. */
const char *rs_address(const rs_client *c);

/* The hub's maxPayload from WELCOME (0 before connecting). Larger payloads fail with RS_ETOOBIG. */
uint32_t rs_max_payload(const rs_client *c);

/*
 * The socket descriptor, for poll() loops (-1 when not connected). The client buffers what it reads,
 * so call rs_receive with timeout 0 until it returns RS_ETIMEOUT before blocking on this descriptor.
 */
int rs_fd(const rs_client *c);

/* How many queued messages (and hub errors) were dropped to keep the queue within max_queued_bytes. */
uint64_t rs_dropped(const rs_client *c);

/* The uid the hub of the last Unix-socket connection runs as (SO_PEERCRED), -1 if not known (TCP, not Linux). */
long rs_hub_uid(const rs_client *c);

#ifdef __cplusplus
}
#endif

#endif /* RELAYSCOPE_H */
