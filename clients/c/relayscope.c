/*
 * relayscope.c - C client for the Relayscope hub. See relayscope.h for the API and
 * docs/PROTOCOL.md for the wire format this implements.
 */
/* struct ucred, for SO_PEERCRED (the hub owner check), is a GNU extension in glibc's and musl's headers. */
#ifdef __linux__
#define _GNU_SOURCE
#endif
#define _POSIX_C_SOURCE 200809L

#include "relayscope.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Where MSG_NOSIGNAL is missing (macOS), SO_NOSIGPIPE is set on the socket instead. */
#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

enum {
    FRAME_HELLO = 0x01,
    FRAME_WELCOME = 0x02,
    FRAME_ERROR = 0x03,
    FRAME_PING = 0x04,
    FRAME_PONG = 0x05,
    FRAME_BYE = 0x06,
    FRAME_OK = 0x07,
    FRAME_MESSAGE = 0x10,
    FRAME_LIST = 0x11,
    FRAME_LIST_REPLY = 0x12,
    FRAME_STATS = 0x13,
    FRAME_STATS_REPLY = 0x14,
    FRAME_SUBSCRIBE_PRESENCE = 0x15,
    FRAME_PRESENCE = 0x16
};

#define PROTOCOL_VERSION 1
#define DEFAULT_CONNECT_TIMEOUT_MS 5000
#define DEFAULT_SEND_TIMEOUT_MS 10000
#define DEFAULT_MAX_QUEUED_BYTES (8u << 20)
/* The longest PONG this client sends: it echoes at most 8 bytes of the PING (PROTOCOL.md 4.4). */
#define PONG_MAX 13
/* The largest header the hub puts around a payload (PROTOCOL.md 3.2). */
#define MAX_FRAME_OVERHEAD 527u
/* Bound on frames read before WELCOME, when maxPayload is not known yet: WELCOME and ERROR are small. */
#define PRE_WELCOME_FRAME_LIMIT (1u << 20)
/* LIST_REPLY has no bound of its own; allow this much even when maxPayload is tiny. */
#define MIN_FRAME_LIMIT (4u << 20)
#define READ_CHUNK 65536
#define HUB_ERROR_TEXT_MAX 1024

typedef struct rs_item {
    struct rs_item *next;
    /* What the item counts against max_queued_bytes: the item itself and its payload. */
    size_t cost;
    int is_hub_error;
    rs_message msg;
    unsigned char *payload_storage;
    rs_hub_error error;
    char error_text[HUB_ERROR_TEXT_MAX];
} rs_item;

struct rs_client {
    int fd;
    int registered;
    int last_errno;

    /* What rs_connect was given, kept for rs_reconnect. */
    int has_settings;
    char *address;
    char *requested_id;
    char *token;
    unsigned flags;
    int connect_timeout_ms;
    int send_timeout_ms;

    char id[256];
    uint32_t max_payload;
    uint32_t next_correlation_id;
    int presence_subscribed;

    /* Bytes read from the socket: [in_start, in_end) is not consumed yet. */
    unsigned char *in;
    size_t in_start;
    size_t in_end;
    size_t in_cap;

    /* Messages and hub errors for rs_receive, bounded by max_queued_bytes (oldest dropped first, counted). */
    rs_item *queue_head;
    rs_item *queue_tail;
    size_t queued_bytes;
    size_t max_queued_bytes;
    uint64_t dropped;

    /*
     * A PONG owed to the hub, or the unsent tail of one. It is written before our next frame, or
     * whenever the socket takes it, but never waited for: a hub that floods PINGs and reads nothing
     * cannot block a call.
     */
    unsigned char pending_out[PONG_MAX];
    size_t pending_len;

    /* The uid SO_PEERCRED gave for the hub of the last Unix-socket connection, -1 if none. */
    long hub_uid;

    /* The payload of the message the last rs_receive/rs_request returned. */
    unsigned char *current_payload;

    int has_hub_error;
    rs_hub_error hub_error;
    char hub_error_text[HUB_ERROR_TEXT_MAX];
};

/* What a call is waiting for while frames are read and handled. */
enum wait_kind { WAIT_NOTHING, WAIT_ITEM, WAIT_WELCOME, WAIT_REPLY, WAIT_LIST, WAIT_MODULES, WAIT_OK };

struct waiter {
    enum wait_kind kind;
    uint32_t correlation_id;
    int done;
    int result;
    rs_message *reply;
    char ***list_ids;
    size_t *list_count;
    rs_module **modules;
    size_t *module_count;
};

/* ---------------------------------------------------------------------------------------------- */
/* Small helpers                                                                                  */

static void put_u16(unsigned char *p, unsigned v) {
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void put_u32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static unsigned get_u16(const unsigned char *p) {
    return ((unsigned)p[0] << 8) | p[1];
}

static uint32_t get_u32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A negative timeout means no deadline (-1). The deadline counts from now rounded up to the next
 * whole millisecond: now_ms() rounds down, so counting from it let a timeout end up to 1 ms early.
 */
static int64_t deadline_after(int timeout_ms) {
    struct timespec ts;
    if (timeout_ms < 0) return -1;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + (ts.tv_nsec + 999999) / 1000000 + timeout_ms;
}

static int64_t earlier_deadline(int64_t a, int64_t b) {
    if (a < 0) return b;
    if (b < 0) return a;
    return a < b ? a : b;
}

/* Milliseconds left for poll(): -1 without a deadline, 0 once it has passed. */
static int remaining_ms(int64_t deadline) {
    int64_t left;
    if (deadline < 0) return -1;
    left = deadline - now_ms();
    if (left <= 0) return 0;
    return left > INT_MAX ? INT_MAX : (int)left;
}

static int deadline_passed(int64_t deadline) {
    return deadline >= 0 && now_ms() >= deadline;
}

static void sleep_ms(int ms) {
    struct timespec left;
    left.tv_sec = ms / 1000;
    left.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&left, &left) != 0 && errno == EINTR) {
    }
}

static char *copy_string(const char *s) {
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy != NULL) memcpy(copy, s, n);
    return copy;
}

/*
 * Copies a length-delimited field into a NUL-terminated fixed buffer, truncating if needed. `src` may
 * be NULL when `len` is 0 (a BYE has no ref), and memcpy must not be given NULL even then (C99 7.21.1).
 */
static void copy_field(char *dst, size_t dst_size, const unsigned char *src, size_t len) {
    if (len >= dst_size) len = dst_size - 1;
    if (len > 0) memcpy(dst, src, len);
    dst[len] = '\0';
}

/*
 * Where a client's correlation IDs start: random, not 1. A program run once per request, or one that
 * reconnects under the same ID, would otherwise give every first request the ID 1, so a monitor
 * could not tell them apart and a late reply to an earlier run could answer this one. /dev/urandom
 * where it can be read; else the clock and pid, which still differ between runs.
 */
static uint32_t random_correlation_start(void) {
    uint32_t value = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (read(fd, &value, sizeof value) != (ssize_t)sizeof value) value = 0;
        close(fd);
    }
    if (value == 0) {
        struct timeval now;
        gettimeofday(&now, NULL);
        value = (uint32_t)now.tv_sec * 2654435761u ^ (uint32_t)now.tv_usec ^ (uint32_t)getpid() << 16;
    }
    return value == 0 ? 1 : value;
}

static uint32_t allocate_correlation_id(rs_client *c) {
    /* 0 is left to plain sends, so a hub ERROR with a non-zero ID always names a command of ours. */
    if (c->next_correlation_id == 0) c->next_correlation_id = 1;
    return c->next_correlation_id++;
}

static int is_fatal_hub_error(int code) {
    switch (code) {
    case RS_HUB_BAD_VERSION: case RS_HUB_INVALID_ID: case RS_HUB_ID_IN_USE:
    case RS_HUB_TOO_MANY_CONNECTIONS: case RS_HUB_HELLO_REQUIRED: case RS_HUB_BAD_TOKEN:
    case RS_HUB_FRAME_TOO_LARGE: case RS_HUB_MALFORMED_FRAME: case RS_HUB_SLOW_CONSUMER:
    case RS_HUB_IDLE_TIMEOUT: case RS_HUB_SHUTDOWN: case RS_HUB_KICKED: case RS_HUB_REPLACED:
    case RS_HUB_DUPLICATE_HELLO:
        return 1;
    default:
        return 0;
    }
}

static void set_hub_error(rs_client *c, int code, uint32_t correlation_id, const unsigned char *ref, size_t ref_len,
                          const unsigned char *text, size_t text_len) {
    c->has_hub_error = 1;
    c->hub_error.code = code;
    c->hub_error.correlation_id = correlation_id;
    copy_field(c->hub_error.ref, sizeof c->hub_error.ref, ref, ref_len);
    copy_field(c->hub_error_text, sizeof c->hub_error_text, text, text_len);
    c->hub_error.message = c->hub_error_text;
}

/* ---------------------------------------------------------------------------------------------- */
/* The connection and its buffers                                                                 */

/* Closes the socket; complete frames already read stay buffered so their messages are not lost. */
static void drop_connection(rs_client *c) {
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    c->registered = 0;
    c->pending_len = 0;
}

static void discard_input(rs_client *c) {
    c->in_start = 0;
    c->in_end = 0;
}

/* Makes room for at least `want` more bytes after in_end. */
static int ensure_space(rs_client *c, size_t want) {
    size_t used, new_cap;
    unsigned char *grown;
    if (c->in_cap - c->in_end >= want) return RS_OK;
    used = c->in_end - c->in_start;
    if (c->in_start > 0) {
        memmove(c->in, c->in + c->in_start, used);
        c->in_start = 0;
        c->in_end = used;
        if (c->in_cap - c->in_end >= want) return RS_OK;
    }
    new_cap = c->in_cap * 2;
    if (new_cap < used + want) new_cap = used + want;
    grown = realloc(c->in, new_cap);
    if (grown == NULL) return RS_ENOMEM;
    c->in = grown;
    c->in_cap = new_cap;
    return RS_OK;
}

/* The longest frame accepted from the hub (PROTOCOL.md 3.2): anything longer is a protocol failure. */
static uint32_t frame_limit(const rs_client *c) {
    uint64_t limit;
    if (!c->registered) return PRE_WELCOME_FRAME_LIMIT;
    limit = (uint64_t)c->max_payload + MAX_FRAME_OVERHEAD;
    if (limit < MIN_FRAME_LIMIT) limit = MIN_FRAME_LIMIT;
    return limit > UINT32_MAX ? UINT32_MAX : (uint32_t)limit;
}

/*
 * How much one recv() may bring: a chunk, or what completes the frame being read if that is more.
 * Everything one read brings is handled before a deadline is looked at again, so this bounds how late
 * a call can return, even after a large frame has grown the buffer.
 */
static size_t read_size(const rs_client *c) {
    size_t available = c->in_end - c->in_start, rest = 0;
    if (available >= 4) {
        uint32_t length = get_u32(c->in + c->in_start);
        if (length <= frame_limit(c) && 4 + (size_t)length > available) rest = 4 + (size_t)length - available;
    }
    return rest > READ_CHUNK ? rest : READ_CHUNK;
}

/* One recv() into the buffer: RS_OK with bytes added, 1 if nothing was there, or an error. */
static int receive_some(rs_client *c) {
    ssize_t n;
    size_t size = read_size(c);
    int rc = ensure_space(c, size);
    if (rc != RS_OK) return rc;
    for (;;) {
        n = recv(c->fd, c->in + c->in_end, size, 0);
        if (n > 0) {
            c->in_end += (size_t)n;
            return RS_OK;
        }
        if (n == 0) {
            drop_connection(c);
            return RS_ECLOSED;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 1;
        c->last_errno = errno;
        if (errno == ECONNRESET || errno == EPIPE) {
            drop_connection(c);
            return RS_ECLOSED;
        }
        drop_connection(c);
        return RS_EIO;
    }
}

/* Waits until the socket has bytes and reads them, or the deadline passes. */
static int read_more(rs_client *c, int64_t deadline) {
    for (;;) {
        struct pollfd pfd;
        int ready, rc;
        if (c->fd < 0) return RS_ECLOSED;
        pfd.fd = c->fd;
        pfd.events = POLLIN;
        pfd.revents = 0;
        ready = poll(&pfd, 1, remaining_ms(deadline));
        if (ready < 0) {
            if (errno == EINTR) continue;
            c->last_errno = errno;
            return RS_EIO;
        }
        if (ready == 0) {
            /* poll() counts whole milliseconds; only give up once the deadline has really passed. */
            if (deadline_passed(deadline)) return RS_ETIMEOUT;
            continue;
        }
        rc = receive_some(c);
        if (rc <= RS_OK) return rc;
    }
}

static int absorb_buffered_frames(rs_client *c);

/* What a failed write means: the hub went away, or another socket error. The connection is closed. */
static int write_failure(rs_client *c) {
    c->last_errno = errno;
    drop_connection(c);
    return (c->last_errno == EPIPE || c->last_errno == ECONNRESET) ? RS_ECLOSED : RS_EIO;
}

/*
 * Writes the owed PONG, then one frame (`header` and `payload`), by `deadline`. While the socket is
 * full it reads what the hub sends and queues it (absorb_buffered_frames), so a hub waiting for us to
 * read never waits for us to finish writing, and the input buffer never holds more than one
 * incomplete frame however long the write waits. At the deadline it returns RS_ETIMEOUT; if part of
 * the frame was written by then, the rest of the stream could not be framed, so the connection is
 * closed.
 */
static int send_frame(rs_client *c, const unsigned char *header, size_t header_len, const void *payload, size_t payload_len, int64_t deadline) {
    unsigned char owed[PONG_MAX];
    size_t owed_len = c->pending_len, written = 0;
    struct iovec iov[3];
    const int count = 3;
    int index = 0;
    if (c->fd < 0) return RS_ECLOSED;
    /* Taken out of pending_out, which a PING read while this write waits may fill with the next PONG. */
    memcpy(owed, c->pending_out, owed_len);
    c->pending_len = 0;
    iov[0].iov_base = owed;
    iov[0].iov_len = owed_len;
    iov[1].iov_base = (void *)header;
    iov[1].iov_len = header_len;
    iov[2].iov_base = (void *)payload;
    iov[2].iov_len = payload_len;
    for (;;) {
        struct msghdr mh;
        struct pollfd pfd;
        ssize_t n;
        int ready, rc;
        while (index < count && iov[index].iov_len == 0) index++;
        if (index == count) return RS_OK;
        memset(&mh, 0, sizeof mh);
        mh.msg_iov = iov + index;
        mh.msg_iovlen = (size_t)(count - index);
        n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
        if (n >= 0) {
            written += (size_t)n;
            while (index < count && (size_t)n >= iov[index].iov_len) {
                n -= (ssize_t)iov[index].iov_len;
                index++;
            }
            if (index < count) {
                iov[index].iov_base = (unsigned char *)iov[index].iov_base + n;
                iov[index].iov_len -= (size_t)n;
            }
            continue;
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return write_failure(c);
        pfd.fd = c->fd;
        pfd.events = POLLOUT | POLLIN;
        pfd.revents = 0;
        ready = poll(&pfd, 1, remaining_ms(deadline));
        if (ready < 0 && errno != EINTR) {
            c->last_errno = errno;
            return RS_EIO;
        }
        if (ready > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR))) {
            rc = receive_some(c);
            if (rc < RS_OK) return rc;
            rc = absorb_buffered_frames(c);
            if (rc < RS_OK) return rc;
        }
        /* Whether or not poll() found something: a hub that floods and never reads must not hold a write past its deadline. */
        if (deadline_passed(deadline)) {
            if (written > owed_len) {
                drop_connection(c);
            } else if (owed_len > written) {
                /* Nothing of the frame went out: the stream is intact, and the PONG's tail is still owed. */
                c->pending_len = owed_len - written;
                memcpy(c->pending_out, owed + written, c->pending_len);
            }
            c->last_errno = ETIMEDOUT;
            return RS_ETIMEOUT;
        }
    }
}

/* Writes what is owed of a PONG without waiting for the socket. */
static int flush_pending(rs_client *c) {
    while (c->pending_len > 0) {
        ssize_t n = send(c->fd, c->pending_out, c->pending_len, MSG_NOSIGNAL);
        if (n > 0) {
            c->pending_len -= (size_t)n;
            memmove(c->pending_out, c->pending_out + n, c->pending_len);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return RS_OK;
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
            /* The hub is gone; the read that follows finds its last frames (a BYE, an ERROR) and the end. */
            c->pending_len = 0;
            return RS_OK;
        }
        return write_failure(c);
    }
    return RS_OK;
}

/* The deadline of a write on its own: the client's send timeout from now. */
static int64_t send_deadline(const rs_client *c) {
    return deadline_after(c->send_timeout_ms);
}

static int send_message(rs_client *c, int kind, const char *to, uint32_t correlation_id, const void *payload, size_t len, int64_t deadline) {
    unsigned char header[12 + 255];
    size_t to_len = to == NULL ? 0 : strlen(to);
    if (to_len > 255 || (payload == NULL && len > 0)) return RS_EINVAL;
    if (!c->registered) return RS_ECLOSED;
    if (len > c->max_payload) return RS_ETOOBIG;
    put_u32(header, (uint32_t)(8 + to_len + len));
    header[4] = FRAME_MESSAGE;
    header[5] = (unsigned char)kind;
    header[6] = 0;
    put_u32(header + 7, correlation_id);
    header[11] = (unsigned char)to_len;
    if (to_len > 0) memcpy(header + 12, to, to_len);
    return send_frame(c, header, 12 + to_len, payload, len, deadline);
}

/* ---------------------------------------------------------------------------------------------- */
/* Incoming frames                                                                                */

static void free_item(rs_item *item) {
    free(item->payload_storage);
    free(item);
}

static rs_item *dequeue(rs_client *c) {
    rs_item *item = c->queue_head;
    if (item != NULL) {
        c->queue_head = item->next;
        if (c->queue_head == NULL) c->queue_tail = NULL;
        c->queued_bytes -= item->cost;
    }
    return item;
}

/*
 * The queue's policy (README): the oldest items make room for a new one and are counted in
 * `dropped`, so a hub or module that sends faster than the application receives costs at most
 * max_queued_bytes. An item larger than the bound on its own is still kept, alone.
 */
static void enqueue(rs_client *c, rs_item *item) {
    while (c->queue_head != NULL && c->queued_bytes + item->cost > c->max_queued_bytes) {
        free_item(dequeue(c));
        c->dropped++;
    }
    item->next = NULL;
    if (c->queue_tail != NULL) c->queue_tail->next = item;
    else c->queue_head = item;
    c->queue_tail = item;
    c->queued_bytes += item->cost;
}

/* A NUL-terminated copy of a payload (one byte more than its length). */
static unsigned char *copy_payload(const unsigned char *payload, size_t len) {
    unsigned char *copy = malloc(len + 1);
    if (copy == NULL) return NULL;
    if (len > 0) memcpy(copy, payload, len);
    copy[len] = '\0';
    return copy;
}

static int queue_message(rs_client *c, int kind, uint32_t correlation_id, const unsigned char *source, size_t source_len,
                         const unsigned char *payload, size_t payload_len) {
    rs_item *item = calloc(1, sizeof *item);
    if (item == NULL) return RS_ENOMEM;
    item->payload_storage = copy_payload(payload, payload_len);
    if (item->payload_storage == NULL) {
        free(item);
        return RS_ENOMEM;
    }
    item->msg.kind = kind;
    item->msg.correlation_id = correlation_id;
    copy_field(item->msg.source, sizeof item->msg.source, source, source_len);
    item->msg.payload = item->payload_storage;
    item->msg.payload_len = payload_len;
    item->cost = sizeof *item + payload_len + 1;
    enqueue(c, item);
    return RS_OK;
}

static int queue_hub_error(rs_client *c, int code, uint32_t correlation_id, const unsigned char *ref, size_t ref_len,
                           const unsigned char *text, size_t text_len) {
    rs_item *item = calloc(1, sizeof *item);
    if (item == NULL) return RS_ENOMEM;
    item->is_hub_error = 1;
    item->error.code = code;
    item->error.correlation_id = correlation_id;
    copy_field(item->error.ref, sizeof item->error.ref, ref, ref_len);
    copy_field(item->error_text, sizeof item->error_text, text, text_len);
    item->cost = sizeof *item;
    enqueue(c, item);
    return RS_OK;
}

/* Hands a payload to the caller: the client owns it until the next receive. */
static void make_current(rs_client *c, unsigned char *payload_storage) {
    free(c->current_payload);
    c->current_payload = payload_storage;
}

/* Protocol violation by the hub: the stream cannot be trusted any more. */
static int protocol_failure(rs_client *c) {
    drop_connection(c);
    discard_input(c);
    return RS_EPROTO;
}

/*
 * Takes the next complete frame off the buffer: 1 and the frame, 0 when more bytes are needed.
 * The body points into the buffer, which is only valid until the next read or write.
 */
static int take_frame(rs_client *c, int *type, const unsigned char **body, size_t *body_len) {
    size_t available = c->in_end - c->in_start;
    uint32_t length;
    if (available < 4) return 0;
    length = get_u32(c->in + c->in_start);
    if (length == 0 || length > frame_limit(c)) return protocol_failure(c);
    if (available - 4 < length) return 0;
    *type = c->in[c->in_start + 4];
    *body = c->in + c->in_start + 5;
    *body_len = length - 1;
    c->in_start += 4 + (size_t)length;
    if (c->in_start == c->in_end) discard_input(c);
    return 1;
}

static int handle_welcome(rs_client *c, struct waiter *w, const unsigned char *body, size_t len) {
    size_t id_len;
    if (w->kind != WAIT_WELCOME) return RS_OK;
    if (len < 14) return protocol_failure(c);
    id_len = body[13];
    if (14 + id_len > len) return protocol_failure(c);
    /* The hub names the version it will speak (PROTOCOL.md 12); this client speaks only version 1. */
    if (body[0] != PROTOCOL_VERSION) {
        drop_connection(c);
        return RS_EVERSION;
    }
    c->max_payload = get_u32(body + 1);
    copy_field(c->id, sizeof c->id, body + 14, id_len);
    c->registered = 1;
    w->done = 1;
    w->result = RS_OK;
    return RS_OK;
}

static int handle_error(rs_client *c, struct waiter *w, const unsigned char *body, size_t len) {
    int code;
    uint32_t correlation_id;
    size_t ref_len;
    const unsigned char *ref, *text;
    if (len < 7) return protocol_failure(c);
    code = (int)get_u16(body);
    correlation_id = get_u32(body + 2);
    ref_len = body[6];
    if (7 + ref_len > len) return protocol_failure(c);
    ref = body + 7;
    text = ref + ref_len;
    if (w->kind == WAIT_WELCOME) {
        set_hub_error(c, code, correlation_id, ref, ref_len, text, len - 7 - ref_len);
        drop_connection(c);
        w->done = 1;
        w->result = RS_EREFUSED;
        return RS_OK;
    }
    if (correlation_id == 0 && is_fatal_hub_error(code)) {
        set_hub_error(c, code, correlation_id, ref, ref_len, text, len - 7 - ref_len);
        drop_connection(c);
        return RS_ECLOSED;
    }
    if (correlation_id != 0 && correlation_id == w->correlation_id &&
        (w->kind == WAIT_REPLY || w->kind == WAIT_LIST || w->kind == WAIT_MODULES || w->kind == WAIT_OK)) {
        set_hub_error(c, code, correlation_id, ref, ref_len, text, len - 7 - ref_len);
        w->done = 1;
        w->result = RS_EHUB;
        return RS_OK;
    }
    return queue_hub_error(c, code, correlation_id, ref, ref_len, text, len - 7 - ref_len);
}

static int handle_message(rs_client *c, struct waiter *w, const unsigned char *body, size_t len) {
    int kind;
    uint32_t correlation_id;
    size_t source_len, payload_len;
    const unsigned char *source, *payload;
    if (len < 7) return protocol_failure(c);
    kind = body[0];
    correlation_id = get_u32(body + 2);
    source_len = body[6];
    if (7 + source_len > len || kind > RS_KIND_REPLY) return protocol_failure(c);
    source = body + 7;
    payload = source + source_len;
    payload_len = len - 7 - source_len;
    if (w->kind == WAIT_REPLY && kind == RS_KIND_REPLY && correlation_id == w->correlation_id) {
        unsigned char *storage = copy_payload(payload, payload_len);
        if (storage == NULL) return RS_ENOMEM;
        make_current(c, storage);
        w->reply->kind = kind;
        w->reply->correlation_id = correlation_id;
        copy_field(w->reply->source, sizeof w->reply->source, source, source_len);
        w->reply->payload = storage;
        w->reply->payload_len = payload_len;
        w->done = 1;
        w->result = RS_OK;
        return RS_OK;
    }
    return queue_message(c, kind, correlation_id, source, source_len, payload, payload_len);
}

static int handle_presence(rs_client *c, const unsigned char *body, size_t len) {
    size_t id_len;
    if (len < 2) return protocol_failure(c);
    id_len = body[1];
    if (2 + id_len > len) return protocol_failure(c);
    if (body[0] != 1 && body[0] != 2) return RS_OK; /* an event this version does not know */
    return queue_message(c, body[0] == 1 ? RS_KIND_JOIN : RS_KIND_LEAVE, 0, body + 2, id_len, NULL, 0);
}

static int handle_list_reply(rs_client *c, struct waiter *w, const unsigned char *body, size_t len) {
    uint32_t count, i;
    size_t offset = 8;
    char **ids;
    if (len < 8) return protocol_failure(c);
    if (w->kind != WAIT_LIST || get_u32(body) != w->correlation_id) return RS_OK;
    count = get_u32(body + 4);
    /* Each ID takes at least its length byte, which bounds the allocation by the frame size. */
    if (count > len - 8) return protocol_failure(c);
    ids = calloc(count == 0 ? 1 : count, sizeof *ids);
    if (ids == NULL) return RS_ENOMEM;
    for (i = 0; i < count; i++) {
        size_t id_len;
        if (offset >= len || offset + 1 + body[offset] > len) {
            rs_free_list(ids, i);
            return protocol_failure(c);
        }
        id_len = body[offset];
        ids[i] = malloc(id_len + 1);
        if (ids[i] == NULL) {
            rs_free_list(ids, i);
            return RS_ENOMEM;
        }
        copy_field(ids[i], id_len + 1, body + offset + 1, id_len);
        offset += 1 + id_len;
    }
    *w->list_ids = ids;
    *w->list_count = count;
    w->done = 1;
    w->result = RS_OK;
    return RS_OK;
}

/*
 * The "modules" of a STATS_REPLY's JSON (PROTOCOL.md 8.3), read for rs_list_modules: a reader of
 * just enough JSON, since the client has no dependencies. Fields it does not use are skipped, and
 * nesting is bounded so that a hostile hub cannot exhaust the stack.
 */
#define JSON_MAX_DEPTH 32

struct json {
    const unsigned char *p;
    const unsigned char *end;
};

static void json_space(struct json *j) {
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}

static int json_eat(struct json *j, unsigned char ch) {
    json_space(j);
    if (j->p < j->end && *j->p == ch) {
        j->p++;
        return 1;
    }
    return 0;
}

static int json_hex4(const unsigned char *p, unsigned *value) {
    int i;
    *value = 0;
    for (i = 0; i < 4; i++) {
        unsigned char ch = p[i];
        unsigned digit;
        if (ch >= '0' && ch <= '9') digit = (unsigned)(ch - '0');
        else if (ch >= 'a' && ch <= 'f') digit = (unsigned)(ch - 'a' + 10);
        else if (ch >= 'A' && ch <= 'F') digit = (unsigned)(ch - 'A' + 10);
        else return 0;
        *value = *value << 4 | digit;
    }
    return 1;
}

static size_t put_utf8(unsigned char *out, unsigned code) {
    if (code < 0x80) {
        out[0] = (unsigned char)code;
        return 1;
    }
    if (code < 0x800) {
        out[0] = (unsigned char)(0xc0 | code >> 6);
        out[1] = (unsigned char)(0x80 | (code & 0x3f));
        return 2;
    }
    if (code < 0x10000) {
        out[0] = (unsigned char)(0xe0 | code >> 12);
        out[1] = (unsigned char)(0x80 | (code >> 6 & 0x3f));
        out[2] = (unsigned char)(0x80 | (code & 0x3f));
        return 3;
    }
    out[0] = (unsigned char)(0xf0 | code >> 18);
    out[1] = (unsigned char)(0x80 | (code >> 12 & 0x3f));
    out[2] = (unsigned char)(0x80 | (code >> 6 & 0x3f));
    out[3] = (unsigned char)(0x80 | (code & 0x3f));
    return 4;
}

/*
 * A string: 1 with `*out` a malloc'd NUL-terminated copy (NULL `out`: skipped), 0 for JSON that is
 * no string, RS_ENOMEM. No escape decodes to more bytes than it takes, so the raw length bounds the copy.
 */
static int json_string(struct json *j, char **out) {
    const unsigned char *start, *q;
    unsigned char *copy = NULL;
    size_t n = 0;
    json_space(j);
    if (j->p >= j->end || *j->p != '"') return 0;
    start = ++j->p;
    for (q = start; q < j->end && *q != '"'; q++)
        if (*q == '\\' && ++q == j->end) return 0;
    if (q >= j->end) return 0;
    if (out != NULL && (copy = malloc((size_t)(q - start) + 1)) == NULL) return RS_ENOMEM;
    while (j->p < q) {
        unsigned char ch = *j->p++;
        unsigned char decoded[4];
        size_t len = 1;
        unsigned code;
        decoded[0] = ch;
        if (ch < 0x20) goto invalid;
        if (ch == '\\') {
            ch = *j->p++;
            switch (ch) {
            case '"': case '\\': case '/': decoded[0] = ch; break;
            case 'b': decoded[0] = '\b'; break;
            case 'f': decoded[0] = '\f'; break;
            case 'n': decoded[0] = '\n'; break;
            case 'r': decoded[0] = '\r'; break;
            case 't': decoded[0] = '\t'; break;
            case 'u':
                if (q - j->p < 4 || !json_hex4(j->p, &code)) goto invalid;
                j->p += 4;
                if (code >= 0xd800 && code < 0xdc00) {
                    unsigned low;
                    if (q - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u' && json_hex4(j->p + 2, &low) && low >= 0xdc00 && low < 0xe000) {
                        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
                        j->p += 6;
                    } else {
                        code = 0xfffd;
                    }
                } else if (code >= 0xdc00 && code < 0xe000) {
                    code = 0xfffd;
                }
                len = put_utf8(decoded, code);
                break;
            default:
                goto invalid;
            }
        }
        if (copy != NULL) memcpy(copy + n, decoded, len);
        n += len;
    }
    j->p = q + 1;
    if (copy != NULL) {
        copy[n] = '\0';
        *out = (char *)copy;
    }
    return 1;
invalid:
    free(copy);
    return 0;
}

static int json_skip(struct json *j, int depth);

/* A field meant to be a string: `*out` the copy, or NULL when the value is of another type (skipped). */
static int json_optional_string(struct json *j, char **out) {
    free(*out);
    *out = NULL;
    json_space(j);
    if (j->p < j->end && *j->p == '"') return json_string(j, out);
    return json_skip(j, 1);
}

/* The same into a fixed buffer, truncated to fit; "" when the value is of another type. */
static int json_string_into(struct json *j, char *dst, size_t dst_size) {
    char *value = NULL;
    int rc = json_optional_string(j, &value);
    dst[0] = '\0';
    if (value != NULL) {
        copy_field(dst, dst_size, (const unsigned char *)value, strlen(value));
        free(value);
    }
    return rc;
}

/* Any value, skipped: 1, or 0 for what is no JSON value (or nests deeper than JSON_MAX_DEPTH). */
static int json_skip(struct json *j, int depth) {
    json_space(j);
    if (j->p >= j->end || depth > JSON_MAX_DEPTH) return 0;
    if (*j->p == '"') return json_string(j, NULL);
    if (*j->p == '{' || *j->p == '[') {
        unsigned char close = *j->p == '{' ? '}' : ']';
        j->p++;
        if (json_eat(j, close)) return 1;
        do {
            if (close == '}' && (json_string(j, NULL) != 1 || !json_eat(j, ':'))) return 0;
            if (!json_skip(j, depth + 1)) return 0;
        } while (json_eat(j, ','));
        return json_eat(j, close);
    }
    if (j->end - j->p >= 4 && (memcmp(j->p, "true", 4) == 0 || memcmp(j->p, "null", 4) == 0)) {
        j->p += 4;
        return 1;
    }
    if (j->end - j->p >= 5 && memcmp(j->p, "false", 5) == 0) {
        j->p += 5;
        return 1;
    }
    if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')) {
        const unsigned char *start = j->p;
        while (j->p < j->end && ((*j->p != 0 && strchr("+-.eE", *j->p) != NULL) || (*j->p >= '0' && *j->p <= '9'))) j->p++;
        return j->p > start;
    }
    return 0;
}

/* A pid, uid or gid: a whole number up to 2^32 - 1; any other value gives -1 (not known). */
static int json_id_number(struct json *j, int64_t *value) {
    const unsigned char *start;
    int64_t n = 0;
    json_space(j);
    start = j->p;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9' && n <= UINT32_MAX) n = n * 10 + (*j->p++ - '0');
    if (j->p == start || n > UINT32_MAX || (j->p < j->end && *j->p != 0 && strchr(".eE", *j->p) != NULL)) {
        j->p = start;
        *value = -1;
        return json_skip(j, 1);
    }
    *value = n;
    return 1;
}

static void free_cmdline(rs_module *m) {
    size_t i;
    for (i = 0; i < m->cmdline_len; i++) free(m->cmdline[i]);
    free(m->cmdline);
    m->cmdline = NULL;
    m->cmdline_len = 0;
}

/* An array of strings into m->cmdline; an array of anything else leaves it unknown. */
static int json_cmdline(struct json *j, rs_module *m) {
    const unsigned char *start;
    size_t cap = 0;
    int rc;
    free_cmdline(m);
    json_space(j);
    start = j->p;
    if (!json_eat(j, '[')) return json_skip(j, 1);
    if (json_eat(j, ']')) {
        m->cmdline = malloc(sizeof *m->cmdline);
        return m->cmdline == NULL ? RS_ENOMEM : 1;
    }
    do {
        if (m->cmdline_len == cap) {
            char **grown = realloc(m->cmdline, (cap = cap == 0 ? 8 : cap * 2) * sizeof *grown);
            if (grown == NULL) return RS_ENOMEM;
            m->cmdline = grown;
        }
        rc = json_string(j, &m->cmdline[m->cmdline_len]);
        if (rc == RS_ENOMEM) return rc;
        if (rc == 0) {
            free_cmdline(m);
            j->p = start;
            return json_skip(j, 1);
        }
        m->cmdline_len++;
    } while (json_eat(j, ','));
    return json_eat(j, ']');
}

static void module_unknown(rs_module *m) {
    memset(m, 0, sizeof *m);
    m->pid = m->uid = m->gid = -1;
}

/* One entry of "modules": 1, 0 for JSON that is no object, RS_ENOMEM. */
static int json_module(struct json *j, rs_module *m) {
    module_unknown(m);
    if (!json_eat(j, '{')) return 0;
    if (json_eat(j, '}')) return 1;
    do {
        char *key = NULL;
        int rc = json_string(j, &key);
        if (rc != 1) return rc;
        if (!json_eat(j, ':')) rc = 0;
        else if (strcmp(key, "id") == 0) rc = json_string_into(j, m->id, sizeof m->id);
        else if (strcmp(key, "transport") == 0) rc = json_string_into(j, m->transport, sizeof m->transport);
        else if (strcmp(key, "framing") == 0) rc = json_string_into(j, m->framing, sizeof m->framing);
        else if (strcmp(key, "pid") == 0) rc = json_id_number(j, &m->pid);
        else if (strcmp(key, "uid") == 0) rc = json_id_number(j, &m->uid);
        else if (strcmp(key, "gid") == 0) rc = json_id_number(j, &m->gid);
        else if (strcmp(key, "exe") == 0) rc = json_optional_string(j, &m->exe);
        else if (strcmp(key, "cmdline") == 0) rc = json_cmdline(j, m);
        else rc = json_skip(j, 1);
        free(key);
        if (rc != 1) return rc;
    } while (json_eat(j, ','));
    return json_eat(j, '}');
}

/* The snapshot's "modules" into a malloc'd array: 1, 0 for JSON that is no snapshot, RS_ENOMEM. */
static int json_snapshot_modules(struct json *j, rs_module **modules, size_t *count) {
    rs_module *list = NULL;
    size_t n = 0, cap = 0;
    int found = 0, rc = 1;
    if (!json_eat(j, '{')) return 0;
    if (!json_eat(j, '}')) {
        do {
            char *key = NULL;
            rc = json_string(j, &key);
            if (rc != 1) break;
            rc = json_eat(j, ':');
            if (rc && strcmp(key, "modules") == 0 && !found) {
                found = 1;
                if (!json_eat(j, '[')) rc = 0;
                else if (!json_eat(j, ']')) {
                    do {
                        if (n == cap) {
                            rs_module *grown = realloc(list, (cap = cap == 0 ? 16 : cap * 2) * sizeof *grown);
                            if (grown == NULL) {
                                rc = RS_ENOMEM;
                                break;
                            }
                            list = grown;
                        }
                        rc = json_module(j, &list[n]);
                        n++;
                    } while (rc == 1 && json_eat(j, ','));
                    if (rc == 1) rc = json_eat(j, ']');
                }
            } else if (rc) {
                rc = json_skip(j, 1);
            }
            free(key);
        } while (rc == 1 && json_eat(j, ','));
        if (rc == 1) rc = json_eat(j, '}');
    }
    json_space(j);
    if (rc == 1 && (!found || j->p != j->end)) rc = 0;
    if (rc != 1) {
        rs_free_modules(list, n);
        return rc;
    }
    *modules = list;
    *count = n;
    return 1;
}

static int handle_stats_reply(rs_client *c, struct waiter *w, const unsigned char *body, size_t len) {
    struct json j;
    int rc;
    if (len < 4) return protocol_failure(c);
    if (w->kind != WAIT_MODULES || get_u32(body) != w->correlation_id) return RS_OK;
    j.p = body + 4;
    j.end = body + len;
    rc = json_snapshot_modules(&j, w->modules, w->module_count);
    if (rc == 0) return protocol_failure(c);
    if (rc < 0) return rc;
    w->done = 1;
    w->result = RS_OK;
    return RS_OK;
}

static int handle_frame(rs_client *c, struct waiter *w, int type, const unsigned char *body, size_t len) {
    switch (type) {
    case FRAME_WELCOME:
        return handle_welcome(c, w, body, len);
    case FRAME_ERROR:
        return handle_error(c, w, body, len);
    case FRAME_MESSAGE:
        return handle_message(c, w, body, len);
    case FRAME_PRESENCE:
        return handle_presence(c, body, len);
    case FRAME_LIST_REPLY:
        return handle_list_reply(c, w, body, len);
    case FRAME_STATS_REPLY:
        return handle_stats_reply(c, w, body, len);
    case FRAME_OK:
        if (len < 4) return protocol_failure(c);
        if (w->kind == WAIT_OK && get_u32(body) == w->correlation_id) {
            w->done = 1;
            w->result = RS_OK;
        }
        return RS_OK;
    case FRAME_BYE:
        /* Only sent at hub shutdown: code, then the reason. */
        if (len >= 2) set_hub_error(c, (int)get_u16(body), 0, NULL, 0, body + 2, len - 2);
        drop_connection(c);
        return RS_ECLOSED;
    case FRAME_PING:
        /*
         * Owed rather than sent here: it goes out before our next read or frame, never waiting for the
         * socket (flush_pending), so a hub that floods PINGs and reads nothing cannot block a call. One
         * owed PONG answers any number of PINGs: any bytes from us answer the hub (PROTOCOL.md 4.4, 5.5).
         */
        if (c->fd >= 0 && c->pending_len == 0) {
            size_t echo = len > 8 ? 8 : len;
            put_u32(c->pending_out, (uint32_t)(1 + echo));
            c->pending_out[4] = FRAME_PONG;
            if (echo > 0) memcpy(c->pending_out + 5, body, echo);
            c->pending_len = 5 + echo;
        }
        return RS_OK;
    default:
        /* PONG, and the monitor frames (TRAFFIC, EVENT...) this client does not decode. */
        return RS_OK;
    }
}

/*
 * Handles buffered frames, reading more as needed, until the waiter is satisfied (WAIT_ITEM: until
 * something is queued), an error occurs or the deadline passes. The deadline is checked before every
 * read, not only when poll() finds nothing: under a continuous stream poll() always finds something.
 * Between two reads it handles at most what one read brought, so a call returns at its deadline
 * plus the time to handle one read.
 */
static int pump(rs_client *c, struct waiter *w, int64_t deadline) {
    int have_read = 0;
    for (;;) {
        int type, rc;
        const unsigned char *body;
        size_t body_len;
        if (w->kind == WAIT_ITEM && c->queue_head != NULL) return RS_OK;
        rc = take_frame(c, &type, &body, &body_len);
        if (rc < 0) return rc;
        if (rc == 1) {
            rc = handle_frame(c, w, type, body, body_len);
            if (rc < 0) return rc;
            if (w->done) return w->result;
            continue;
        }
        if (c->fd >= 0) {
            rc = flush_pending(c);
            if (rc < 0) return rc;
        }
        if (have_read && deadline_passed(deadline)) return RS_ETIMEOUT;
        rc = read_more(c, deadline);
        if (rc < 0) return rc;
        have_read = 1;
    }
}

/* Queues the complete frames in the buffer, as if nobody waited for anything; stops at an error. */
static int absorb_buffered_frames(rs_client *c) {
    struct waiter nothing;
    int type, rc;
    const unsigned char *body;
    size_t body_len;
    memset(&nothing, 0, sizeof nothing);
    nothing.kind = WAIT_NOTHING;
    while ((rc = take_frame(c, &type, &body, &body_len)) == 1) {
        rc = handle_frame(c, &nothing, type, body, body_len);
        if (rc < 0) return rc;
    }
    return rc;
}

/* Moves complete frames left over from a previous connection into the queue before it is reused. */
static void salvage_buffered_frames(rs_client *c) {
    (void)absorb_buffered_frames(c);
    discard_input(c);
}

/* ---------------------------------------------------------------------------------------------- */
/* Connecting                                                                                     */

static int set_socket_options(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return -1;
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) return -1;
#ifdef SO_NOSIGPIPE
    {
        int on = 1;
        if (setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on) < 0) return -1;
    }
#endif
    return 0;
}

/* Connects a non-blocking socket within the deadline; returns the descriptor or an RS_E* code. */
static int connect_socket(rs_client *c, int domain, const struct sockaddr *addr, socklen_t addr_len, int64_t deadline) {
    int fd = socket(domain, SOCK_STREAM, 0);
    if (fd < 0) {
        c->last_errno = errno;
        return RS_ECONNECT;
    }
    if (set_socket_options(fd) < 0) goto failed;
    if (connect(fd, addr, addr_len) < 0) {
        int soerr = 0;
        socklen_t soerr_len = sizeof soerr;
        if (errno != EINPROGRESS && errno != EINTR) goto failed;
        for (;;) {
            struct pollfd pfd;
            int ready;
            pfd.fd = fd;
            pfd.events = POLLOUT;
            pfd.revents = 0;
            ready = poll(&pfd, 1, remaining_ms(deadline));
            if (ready > 0) break;
            if (ready < 0 && errno != EINTR) goto failed;
            if (ready == 0 && deadline_passed(deadline)) {
                close(fd);
                c->last_errno = ETIMEDOUT;
                return RS_ETIMEOUT;
            }
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &soerr_len) < 0) goto failed;
        if (soerr != 0) {
            errno = soerr;
            goto failed;
        }
    }
    if (domain != AF_UNIX) {
        int on = 1;
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) < 0) goto failed;
    }
    return fd;
failed:
    c->last_errno = errno;
    close(fd);
    return RS_ECONNECT;
}

#if defined(__linux__) && defined(SO_PEERCRED)
/* The hub of our own user or root, or of the uid $RELAYSCOPE_ALLOW_HUB_UID names (README: the hub's owner). */
static int hub_uid_trusted(uid_t uid) {
    const char *env = getenv("RELAYSCOPE_ALLOW_HUB_UID");
    char *end;
    unsigned long trusted;
    if (uid == geteuid() || uid == 0) return 1;
    if (env == NULL || env[0] < '0' || env[0] > '9') return 0;
    errno = 0;
    trusted = strtoul(env, &end, 10);
    return errno == 0 && *end == '\0' && trusted == (unsigned long)uid;
}

/*
 * Before anything is sent: the process listening on a Unix socket must run as a user we trust, or a
 * socket another user put in the place of ours (e.g. in /tmp) would receive our HELLO and its token.
 */
static int check_hub_owner(rs_client *c, int fd) {
    struct ucred peer;
    socklen_t len = sizeof peer;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0) {
        c->last_errno = errno;
        return RS_ECONNECT;
    }
    c->hub_uid = (long)peer.uid;
    return hub_uid_trusted(peer.uid) ? RS_OK : RS_EOWNER;
}
#else
/* Without SO_PEERCRED the owner is not checked (README). */
static int check_hub_owner(rs_client *c, int fd) {
    (void)c;
    (void)fd;
    return RS_OK;
}
#endif

static int connect_unix(rs_client *c, const char *name, int abstract, int64_t deadline) {
    struct sockaddr_un addr;
    size_t name_len = strlen(name);
    socklen_t addr_len;
    int fd, rc;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (abstract) {
        /* The exact length is part of an abstract name (PROTOCOL.md 2.2): no padding. */
        if (name_len < 1 || name_len > sizeof addr.sun_path - 2) return RS_EADDR;
        memcpy(addr.sun_path + 1, name, name_len);
        addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + name_len);
    } else {
        if (name_len < 1 || name_len >= sizeof addr.sun_path) return RS_EADDR;
        memcpy(addr.sun_path, name, name_len);
        addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + name_len + 1);
    }
    fd = connect_socket(c, AF_UNIX, (const struct sockaddr *)&addr, addr_len, deadline);
    if (fd < 0) return fd;
    rc = check_hub_owner(c, fd);
    if (rc != RS_OK) {
        close(fd);
        return rc;
    }
    return fd;
}

/* "host:port", "[v6]:port" or ":port" (127.0.0.1). */
static int connect_tcp(rs_client *c, const char *host_port, int64_t deadline) {
    char host[256];
    const char *port, *colon;
    struct addrinfo hints, *results = NULL, *ai;
    size_t host_len;
    int fd = RS_EADDR, gai;
    if (host_port[0] == '[') {
        const char *close_bracket = strchr(host_port, ']');
        if (close_bracket == NULL || close_bracket[1] != ':') return RS_EADDR;
        host_len = (size_t)(close_bracket - host_port - 1);
        if (host_len == 0 || host_len >= sizeof host) return RS_EADDR;
        memcpy(host, host_port + 1, host_len);
        host[host_len] = '\0';
        port = close_bracket + 2;
    } else {
        colon = strrchr(host_port, ':');
        if (colon == NULL) return RS_EADDR;
        host_len = (size_t)(colon - host_port);
        if (host_len >= sizeof host) return RS_EADDR;
        memcpy(host, host_port, host_len);
        host[host_len] = '\0';
        if (host_len == 0) strcpy(host, "127.0.0.1");
        port = colon + 1;
    }
    if (port[0] == '\0' || strlen(port) > 5 || strspn(port, "0123456789") != strlen(port) || atoi(port) > 65535) return RS_EADDR;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    gai = getaddrinfo(host, port, &hints, &results);
    if (gai != 0) return gai == EAI_MEMORY ? RS_ENOMEM : RS_EADDR;
    for (ai = results; ai != NULL; ai = ai->ai_next) {
        fd = connect_socket(c, ai->ai_family, ai->ai_addr, ai->ai_addrlen, deadline);
        if (fd >= 0 || fd == RS_ETIMEOUT) break;
    }
    freeaddrinfo(results);
    return fd;
}

static int connect_address(rs_client *c, const char *address, int64_t deadline) {
    if (strncmp(address, "tcp://", 6) == 0) return connect_tcp(c, address + 6, deadline);
    if (address[0] == '@') return connect_unix(c, address + 1, 1, deadline);
    return connect_unix(c, address, 0, deadline);
}

/* The default address rules of every Relayscope client (PROTOCOL.md 2.4); NULL when out of memory. */
static char *default_address(void) {
    const char *env = getenv("RELAYSCOPE_SOCKET");
    const char *dir;
    char *path;
    size_t dir_len, size;
    if (env != NULL && env[0] != '\0') return copy_string(env);
    env = getenv("XDG_RUNTIME_DIR");
    if (env != NULL && env[0] != '\0') {
        size = strlen(env) + sizeof "/relayscope.sock";
        path = malloc(size);
        if (path != NULL) snprintf(path, size, "%s/relayscope.sock", env);
        return path;
    }
    dir = getenv("TMPDIR");
    if (dir == NULL || dir[0] == '\0') dir = "/tmp";
    dir_len = strlen(dir);
    /* Like Node's os.tmpdir(): a trailing slash is dropped (but "/" stays "/"). */
    while (dir_len > 1 && dir[dir_len - 1] == '/') dir_len--;
    /* The hub keeps its default socket in a private 0700 directory of the user's (PROTOCOL.md 2.4). */
    size = dir_len + sizeof "/relayscope-/relayscope.sock" + 20;
    path = malloc(size);
    if (path != NULL) snprintf(path, size, "%.*s/relayscope-%lu/relayscope.sock", (int)dir_len, dir, (unsigned long)getuid());
    return path;
}

/* Opens a connection with the remembered settings and waits for WELCOME. */
static int open_session(rs_client *c, unsigned extra_flags, int timeout_ms) {
    size_t id_len = strlen(c->requested_id);
    size_t token_len = c->token == NULL ? 0 : strlen(c->token);
    size_t hello_len = 4 + 1 + 1 + 1 + 1 + id_len + 2 + token_len;
    unsigned char *hello;
    struct waiter w;
    int64_t deadline = deadline_after(timeout_ms);
    int rc;

    drop_connection(c);
    salvage_buffered_frames(c);
    c->has_hub_error = 0;
    c->last_errno = 0;
    c->hub_uid = -1;

    rc = connect_address(c, c->address, deadline);
    if (rc < 0) return rc;
    c->fd = rc;

    hello = malloc(hello_len);
    if (hello == NULL) {
        drop_connection(c);
        return RS_ENOMEM;
    }
    put_u32(hello, (uint32_t)(hello_len - 4));
    hello[4] = FRAME_HELLO;
    hello[5] = PROTOCOL_VERSION;
    hello[6] = (unsigned char)(c->flags | extra_flags);
    hello[7] = (unsigned char)id_len;
    memcpy(hello + 8, c->requested_id, id_len);
    put_u16(hello + 8 + id_len, (unsigned)token_len);
    if (token_len > 0) memcpy(hello + 10 + id_len, c->token, token_len);
    rc = send_frame(c, hello, hello_len, NULL, 0, deadline);
    free(hello);

    if (rc == RS_OK) {
        memset(&w, 0, sizeof w);
        w.kind = WAIT_WELCOME;
        rc = pump(c, &w, deadline);
    }
    if (rc != RS_OK) {
        drop_connection(c);
        discard_input(c);
    }
    return rc;
}

/* ---------------------------------------------------------------------------------------------- */
/* Public API                                                                                     */

rs_client *rs_client_new(void) {
    rs_client *c = calloc(1, sizeof *c);
    if (c == NULL) return NULL;
    c->fd = -1;
    c->next_correlation_id = random_correlation_start();
    c->hub_error.message = c->hub_error_text;
    c->send_timeout_ms = DEFAULT_SEND_TIMEOUT_MS;
    c->max_queued_bytes = DEFAULT_MAX_QUEUED_BYTES;
    c->hub_uid = -1;
    return c;
}

int rs_connect(rs_client *c, const char *address, const char *id, const rs_connect_options *options) {
    char *resolved, *id_copy, *token_copy = NULL;
    if (c == NULL || id == NULL || strlen(id) > 255) return RS_EINVAL;
    if (options != NULL && options->token != NULL && strlen(options->token) > 65535) return RS_EINVAL;
    if (c->registered) return RS_EINVAL;
    resolved = address != NULL ? copy_string(address) : default_address();
    id_copy = copy_string(id);
    if (options != NULL && options->token != NULL && options->token[0] != '\0') token_copy = copy_string(options->token);
    if (resolved == NULL || id_copy == NULL || (options != NULL && options->token != NULL && options->token[0] != '\0' && token_copy == NULL)) {
        free(resolved);
        free(id_copy);
        free(token_copy);
        return RS_ENOMEM;
    }
    free(c->address);
    free(c->requested_id);
    free(c->token);
    c->address = resolved;
    c->requested_id = id_copy;
    c->token = token_copy;
    c->flags = options != NULL ? (options->flags & (RS_FLAG_MONITOR | RS_FLAG_TAKEOVER)) : 0;
    c->connect_timeout_ms = options != NULL && options->timeout_ms > 0 ? options->timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
    c->send_timeout_ms = options != NULL && options->send_timeout_ms != 0 ? options->send_timeout_ms : DEFAULT_SEND_TIMEOUT_MS;
    c->max_queued_bytes = options != NULL && options->max_queued_bytes > 0 ? options->max_queued_bytes : DEFAULT_MAX_QUEUED_BYTES;
    c->has_settings = 1;
    return open_session(c, 0, c->connect_timeout_ms);
}

/* Refusals that a later attempt cannot overcome. */
static int refusal_is_final(const rs_client *c) {
    switch (c->hub_error.code) {
    case RS_HUB_ID_IN_USE: case RS_HUB_TOO_MANY_CONNECTIONS: case RS_HUB_SHUTDOWN: case RS_HUB_HELLO_REQUIRED:
        return 0;
    default:
        return 1;
    }
}

int rs_reconnect(rs_client *c, const rs_reconnect_options *options) {
    int initial_delay = options != NULL && options->initial_delay_ms > 0 ? options->initial_delay_ms : 100;
    int max_delay = options != NULL && options->max_delay_ms > 0 ? options->max_delay_ms : 5000;
    int max_attempts = options != NULL && options->max_attempts > 0 ? options->max_attempts : 0;
    int64_t deadline = options != NULL && options->timeout_ms > 0 ? deadline_after(options->timeout_ms) : -1;
    int delay = initial_delay, attempt, rc = RS_ECLOSED;
    if (c == NULL || !c->has_settings) return RS_EINVAL;
    for (attempt = 1; max_attempts == 0 || attempt <= max_attempts; attempt++) {
        int timeout = c->connect_timeout_ms;
        int left = remaining_ms(deadline);
        if (left >= 0 && left < timeout) timeout = left;
        if (deadline >= 0 && timeout == 0) return RS_ETIMEOUT;
        rc = open_session(c, RS_FLAG_TAKEOVER, timeout);
        if (rc == RS_OK && c->presence_subscribed) rc = rs_subscribe_presence(c, 1, c->connect_timeout_ms);
        if (rc == RS_OK) return RS_OK;
        if (rc == RS_EINVAL || rc == RS_ENOMEM || rc == RS_EADDR || rc == RS_EOWNER || rc == RS_EVERSION) return rc;
        if (rc == RS_EREFUSED && refusal_is_final(c)) return rc;
        if (max_attempts != 0 && attempt == max_attempts) break;
        left = remaining_ms(deadline);
        if (deadline >= 0 && left < delay) {
            if (left > 0) sleep_ms(left);
            return RS_ETIMEOUT;
        }
        sleep_ms(delay);
        delay = delay > max_delay / 2 ? max_delay : delay * 2;
    }
    return rc;
}

void rs_close(rs_client *c) {
    rs_item *item;
    if (c == NULL) return;
    if (c->fd >= 0 && c->registered && flush_pending(c) == RS_OK && c->pending_len == 0) {
        /*
         * Best effort, never blocking (the socket is non-blocking): the hub treats a plain close the
         * same way. Not after a PONG that did not fit: the BYE would land inside it.
         */
        static const unsigned char bye[] = {0, 0, 0, 3, FRAME_BYE, 0, 0};
        ssize_t ignored = send(c->fd, bye, sizeof bye, MSG_NOSIGNAL);
        (void)ignored;
    }
    drop_connection(c);
    while ((item = dequeue(c)) != NULL) free_item(item);
    free(c->in);
    free(c->current_payload);
    free(c->address);
    free(c->requested_id);
    free(c->token);
    free(c);
}

int rs_send(rs_client *c, const char *to, const void *payload, size_t len) {
    if (c == NULL || to == NULL) return RS_EINVAL;
    return send_message(c, RS_KIND_UNICAST, to, 0, payload, len, send_deadline(c));
}

int rs_broadcast(rs_client *c, const void *payload, size_t len) {
    if (c == NULL) return RS_EINVAL;
    return send_message(c, RS_KIND_BROADCAST, "", 0, payload, len, send_deadline(c));
}

int rs_request(rs_client *c, const char *to, const void *payload, size_t len, int timeout_ms, rs_message *reply) {
    struct waiter w;
    int64_t deadline = deadline_after(timeout_ms);
    int rc;
    if (c == NULL || to == NULL || reply == NULL) return RS_EINVAL;
    memset(&w, 0, sizeof w);
    w.kind = WAIT_REPLY;
    w.correlation_id = allocate_correlation_id(c);
    w.reply = reply;
    rc = send_message(c, RS_KIND_REQUEST, to, w.correlation_id, payload, len, earlier_deadline(deadline, send_deadline(c)));
    if (rc != RS_OK) return rc;
    return pump(c, &w, deadline);
}

int rs_reply(rs_client *c, const rs_message *request, const void *payload, size_t len) {
    if (c == NULL || request == NULL) return RS_EINVAL;
    return send_message(c, RS_KIND_REPLY, request->source, request->correlation_id, payload, len, send_deadline(c));
}

int rs_receive(rs_client *c, rs_message *msg, int timeout_ms) {
    struct waiter w;
    rs_item *item;
    int rc;
    if (c == NULL || msg == NULL) return RS_EINVAL;
    memset(&w, 0, sizeof w);
    w.kind = WAIT_ITEM;
    rc = pump(c, &w, deadline_after(timeout_ms));
    if (rc != RS_OK) return rc;
    item = dequeue(c);
    if (item->is_hub_error) {
        c->has_hub_error = 1;
        c->hub_error = item->error;
        memcpy(c->hub_error_text, item->error_text, sizeof c->hub_error_text);
        c->hub_error.message = c->hub_error_text;
        free_item(item);
        return RS_EHUB;
    }
    make_current(c, item->payload_storage);
    *msg = item->msg;
    free(item);
    return RS_OK;
}

int rs_subscribe_presence(rs_client *c, int on, int timeout_ms) {
    unsigned char frame[10];
    struct waiter w;
    int64_t deadline = deadline_after(timeout_ms);
    int rc;
    if (c == NULL) return RS_EINVAL;
    if (!c->registered) return RS_ECLOSED;
    memset(&w, 0, sizeof w);
    w.kind = WAIT_OK;
    w.correlation_id = allocate_correlation_id(c);
    put_u32(frame, 6);
    frame[4] = FRAME_SUBSCRIBE_PRESENCE;
    put_u32(frame + 5, w.correlation_id);
    frame[9] = on ? 1 : 0;
    rc = send_frame(c, frame, sizeof frame, NULL, 0, earlier_deadline(deadline, send_deadline(c)));
    if (rc == RS_OK) rc = pump(c, &w, deadline);
    if (rc == RS_OK) c->presence_subscribed = on ? 1 : 0;
    return rc;
}

/* Sends a question that is only its type and a fresh correlation ID (LIST, STATS) and waits for w's answer. */
static int ask_hub(rs_client *c, struct waiter *w, unsigned char type, int timeout_ms) {
    unsigned char frame[9];
    int64_t deadline = deadline_after(timeout_ms);
    int rc;
    w->correlation_id = allocate_correlation_id(c);
    put_u32(frame, 5);
    frame[4] = type;
    put_u32(frame + 5, w->correlation_id);
    rc = send_frame(c, frame, sizeof frame, NULL, 0, earlier_deadline(deadline, send_deadline(c)));
    if (rc != RS_OK) return rc;
    return pump(c, w, deadline);
}

int rs_list(rs_client *c, char ***ids, size_t *count, int timeout_ms) {
    struct waiter w;
    if (c == NULL || ids == NULL || count == NULL) return RS_EINVAL;
    if (!c->registered) return RS_ECLOSED;
    memset(&w, 0, sizeof w);
    w.kind = WAIT_LIST;
    w.list_ids = ids;
    w.list_count = count;
    return ask_hub(c, &w, FRAME_LIST, timeout_ms);
}

void rs_free_list(char **ids, size_t count) {
    size_t i;
    if (ids == NULL) return;
    for (i = 0; i < count; i++) free(ids[i]);
    free(ids);
}

int rs_list_modules(rs_client *c, rs_module **modules, size_t *count, int timeout_ms) {
    struct waiter w;
    if (c == NULL || modules == NULL || count == NULL) return RS_EINVAL;
    if (!c->registered) return RS_ECLOSED;
    memset(&w, 0, sizeof w);
    w.kind = WAIT_MODULES;
    w.modules = modules;
    w.module_count = count;
    return ask_hub(c, &w, FRAME_STATS, timeout_ms);
}

void rs_free_modules(rs_module *modules, size_t count) {
    size_t i;
    if (modules == NULL) return;
    for (i = 0; i < count; i++) {
        free(modules[i].exe);
        free_cmdline(&modules[i]);
    }
    free(modules);
}

const rs_hub_error *rs_last_hub_error(const rs_client *c) {
    return c != NULL && c->has_hub_error ? &c->hub_error : NULL;
}

int rs_last_errno(const rs_client *c) {
    return c == NULL ? 0 : c->last_errno;
}

const char *rs_strerror(int code) {
    switch (code) {
    case RS_OK: return "success";
    case RS_EINVAL: return "invalid argument";
    case RS_ENOMEM: return "out of memory";
    case RS_EADDR: return "bad or unresolvable address";
    case RS_ECONNECT: return "could not connect to the hub";
    case RS_ETIMEOUT: return "timed out";
    case RS_ECLOSED: return "not connected to the hub";
    case RS_EIO: return "socket error";
    case RS_EPROTO: return "the hub sent an undecodable frame";
    case RS_EHUB: return "the hub reported an error";
    case RS_EREFUSED: return "the hub refused the registration";
    case RS_ETOOBIG: return "payload larger than the hub's maxPayload";
    case RS_EOWNER: return "the hub runs as another user, not this one or root (rs_hub_uid names it)";
    case RS_EVERSION: return "the hub speaks another protocol version than this client (1)";
    default: return "unknown error";
    }
}

const char *rs_hub_error_name(int hub_code) {
    static const char *const names[] = {
        "NONE", "BAD_VERSION", "INVALID_ID", "ID_IN_USE", "TOO_MANY_CONNECTIONS", "HELLO_REQUIRED",
        "BAD_TOKEN", "FRAME_TOO_LARGE", "MALFORMED_FRAME", "UNKNOWN_FRAME_TYPE", "NO_SUCH_MODULE",
        "PEER_GONE", "SLOW_CONSUMER", "IDLE_TIMEOUT", "NOT_PERMITTED", "SHUTDOWN", "KICKED",
        "REPLACED", "DUPLICATE_HELLO", "CLIENT_LEAVING", "DESTINATION_OVERLOADED",
    };
    if (hub_code < 0 || (size_t)hub_code >= sizeof names / sizeof names[0]) return "UNKNOWN";
    return names[hub_code];
}

int rs_is_connected(const rs_client *c) {
    return c != NULL && c->registered;
}

const char *rs_id(const rs_client *c) {
    return c == NULL ? "" : c->id;
}

const char *rs_address(const rs_client *c) {
    return c == NULL || c->address == NULL ? "" : c->address;
}

uint32_t rs_max_payload(const rs_client *c) {
    return c == NULL ? 0 : c->max_payload;
}

int rs_fd(const rs_client *c) {
    return c == NULL ? -1 : c->fd;
}

uint64_t rs_dropped(const rs_client *c) {
    return c == NULL ? 0 : c->dropped;
}

long rs_hub_uid(const rs_client *c) {
    return c == NULL ? -1 : c->hub_uid;
}
