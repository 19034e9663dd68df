/*
 * The C reference relay of `npm run bench`: the physical reference for one hop through a hub.
 *
 * It speaks the module subset of the Relayscope protocol (docs/PROTOCOL.md): HELLO/WELCOME, MESSAGE
 * unicast, request and reply to a named module and broadcast to every other module, each relayed
 * with the peer field rewritten from the destination to the source (4.7), and PING/PONG. Nothing
 * else: no monitors, no TRAFFIC copies, no token, no ID rules beyond "1 to 255 bytes, not in use",
 * no request records. It does the same per-message work a hub must do (parse the frame, look the
 * destination up, copy the frame with the new peer field into the receiver's queue) with one epoll
 * loop and no allocation per message; queued output is written once per loop iteration, so frames
 * that arrive together leave together.
 *
 *   refRelay SOCKET_PATH      prints "ready" on stdout once listening; exits on SIGTERM or SIGINT
 *
 * Bounds: at most MAX_CONNS connections; a connection whose queue passes QUEUE_LIMIT (the hub's
 * default 8 MiB) is closed as a slow consumer; an inbound frame is at most 16 MiB + 527 bytes.
 *
 * Build: cc -O2 -std=c99 -Wall -Wextra -Werror -o refRelay refRelay.c
 */
#define _GNU_SOURCE

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Relayscope protocol constants (electron/protocol/protocol.ts). */
enum {
    FRAME_HELLO = 0x01,
    FRAME_WELCOME = 0x02,
    FRAME_ERROR = 0x03,
    FRAME_PING = 0x04,
    FRAME_PONG = 0x05,
    FRAME_BYE = 0x06,
    FRAME_MESSAGE = 0x10,
    KIND_BROADCAST = 1,
    KIND_REPLY = 3,
    PROTOCOL_VERSION = 1,
    ERROR_ID_IN_USE = 3,
    ERROR_HELLO_REQUIRED = 5,
    ERROR_FRAME_TOO_LARGE = 7,
    ERROR_MALFORMED_FRAME = 8,
    ERROR_NO_SUCH_MODULE = 10,
    ERROR_SLOW_CONSUMER = 12
};

#define MAX_CONNS 1024
#define BUCKETS 2048
#define READ_CHUNK (256 * 1024)
#define MAX_PAYLOAD (16u * 1024 * 1024)
#define MAX_FRAME_LENGTH (MAX_PAYLOAD + 527)
#define QUEUE_LIMIT (8u * 1024 * 1024)

struct conn {
    int fd;
    int registered;
    int closing; /* on the closing list */
    int want_out; /* EPOLLOUT armed */
    int dirty; /* on the flush list */
    unsigned char id[255];
    size_t id_len;
    uint32_t hash;
    struct conn *next_in_bucket;
    unsigned char *in;
    size_t in_len, in_cap;
    unsigned char *out;
    size_t out_start, out_len, out_cap;
};

static struct conn *buckets[BUCKETS];
static struct conn *registered_list[MAX_CONNS];
static int registered_count;
static struct conn *flush_list[MAX_CONNS];
static int flush_count;
static struct conn *closing_list[MAX_CONNS];
static int closing_count;
static int conn_count;
static int epfd;
static volatile sig_atomic_t stopping;

static void die(const char *what) {
    fprintf(stderr, "refRelay: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void put_u32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t get_u32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static uint32_t hash_id(const unsigned char *id, size_t len) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < len; i++) h = (h ^ id[i]) * 16777619u;
    return h;
}

static struct conn *find(const unsigned char *id, size_t len) {
    uint32_t h = hash_id(id, len);
    for (struct conn *c = buckets[h % BUCKETS]; c != NULL; c = c->next_in_bucket)
        if (c->hash == h && c->id_len == len && memcmp(c->id, id, len) == 0) return c;
    return NULL;
}

/* Room for n more bytes at the end of c's queue; 0 when that would pass the queue limit. */
static unsigned char *reserve_out(struct conn *c, size_t n) {
    if (c->out_len + n > QUEUE_LIMIT) return NULL;
    if (c->out_start + c->out_len + n > c->out_cap) {
        memmove(c->out, c->out + c->out_start, c->out_len);
        c->out_start = 0;
        if (c->out_len + n > c->out_cap) {
            size_t cap = c->out_cap * 2;
            while (cap < c->out_len + n) cap *= 2;
            unsigned char *grown = realloc(c->out, cap);
            if (grown == NULL) die("realloc");
            c->out = grown;
            c->out_cap = cap;
        }
    }
    unsigned char *at = c->out + c->out_start + c->out_len;
    c->out_len += n;
    if (!c->dirty) {
        c->dirty = 1;
        flush_list[flush_count++] = c;
    }
    return at;
}

/* Marks c to be closed at the end of the loop iteration, once nothing in this batch refers to it. */
static void mark_closing(struct conn *c) {
    if (c->closing) return;
    c->closing = 1;
    closing_list[closing_count++] = c;
}

static void send_error(struct conn *c, int code, uint32_t correlation_id, const unsigned char *ref, size_t ref_len, const char *text) {
    size_t text_len = strlen(text);
    unsigned char *f = reserve_out(c, 12 + ref_len + text_len);
    if (f == NULL) return;
    put_u32(f, (uint32_t)(8 + ref_len + text_len));
    f[4] = FRAME_ERROR;
    f[5] = (unsigned char)(code >> 8);
    f[6] = (unsigned char)code;
    put_u32(f + 7, correlation_id);
    f[11] = (unsigned char)ref_len;
    memcpy(f + 12, ref, ref_len);
    memcpy(f + 12 + ref_len, text, text_len);
}

static void fatal(struct conn *c, int code, const char *text) {
    send_error(c, code, 0, NULL, 0, text);
    mark_closing(c);
}

/* Queues the MESSAGE for `to` with the sender's ID in the peer field; a full queue closes the receiver. */
static void relay(struct conn *from, struct conn *to, const unsigned char *header, const unsigned char *payload, size_t payload_len) {
    if (to->closing) return;
    unsigned char *f = reserve_out(to, 12 + from->id_len + payload_len);
    if (f == NULL) {
        send_error(to, ERROR_SLOW_CONSUMER, 0, NULL, 0, "queue limit passed");
        mark_closing(to);
        return;
    }
    put_u32(f, (uint32_t)(8 + from->id_len + payload_len));
    memcpy(f + 4, header, 7); /* type, kind, flags, correlation ID: copied unchanged */
    f[11] = (unsigned char)from->id_len;
    memcpy(f + 12, from->id, from->id_len);
    memcpy(f + 12 + from->id_len, payload, payload_len);
}

static void on_hello(struct conn *c, const unsigned char *body, size_t len) {
    if (len < 3 || body[0] != PROTOCOL_VERSION) {
        fatal(c, ERROR_MALFORMED_FRAME, "HELLO of an unknown version or truncated");
        return;
    }
    size_t id_len = body[2];
    if (len < 3 + id_len + 2 || id_len == 0) {
        fatal(c, ERROR_MALFORMED_FRAME, "HELLO with an empty or truncated ID");
        return;
    }
    if (find(body + 3, id_len) != NULL) {
        fatal(c, ERROR_ID_IN_USE, "module ID is already connected");
        return;
    }
    memcpy(c->id, body + 3, id_len);
    c->id_len = id_len;
    c->hash = hash_id(c->id, id_len);
    c->next_in_bucket = buckets[c->hash % BUCKETS];
    buckets[c->hash % BUCKETS] = c;
    registered_list[registered_count++] = c;
    c->registered = 1;
    unsigned char *f = reserve_out(c, 19 + id_len);
    put_u32(f, (uint32_t)(15 + id_len));
    f[4] = FRAME_WELCOME;
    f[5] = PROTOCOL_VERSION;
    put_u32(f + 6, MAX_PAYLOAD);
    put_u32(f + 10, QUEUE_LIMIT);
    put_u32(f + 14, 0); /* no keepalive */
    f[18] = (unsigned char)id_len;
    memcpy(f + 19, c->id, id_len);
}

static void on_message(struct conn *c, const unsigned char *frame, size_t len) {
    /* frame points at the type byte; len counts from there. */
    if (len < 8 || len < 8 + (size_t)frame[7] || frame[1] > KIND_REPLY || frame[2] != 0) {
        fatal(c, ERROR_MALFORMED_FRAME, "malformed MESSAGE");
        return;
    }
    size_t peer_len = frame[7];
    const unsigned char *peer = frame + 8, *payload = peer + peer_len;
    size_t payload_len = len - 8 - peer_len;
    if (frame[1] == KIND_BROADCAST) {
        if (peer_len != 0) {
            fatal(c, ERROR_MALFORMED_FRAME, "a BROADCAST names no destination");
            return;
        }
        for (int i = 0; i < registered_count; i++)
            if (registered_list[i] != c) relay(c, registered_list[i], frame, payload, payload_len);
        return;
    }
    struct conn *to = peer_len == 0 ? NULL : find(peer, peer_len);
    if (to == NULL) {
        send_error(c, ERROR_NO_SUCH_MODULE, get_u32(frame + 3), peer, peer_len, "no such module");
        return;
    }
    relay(c, to, frame, payload, payload_len);
}

static void on_frame(struct conn *c, const unsigned char *frame, size_t len) {
    if (!c->registered) {
        if (frame[0] == FRAME_HELLO) on_hello(c, frame + 1, len - 1);
        else fatal(c, ERROR_HELLO_REQUIRED, "the first frame must be HELLO");
        return;
    }
    switch (frame[0]) {
    case FRAME_MESSAGE:
        on_message(c, frame, len);
        return;
    case FRAME_PING: {
        size_t echo = len - 1 > 8 ? 8 : len - 1;
        unsigned char *f = reserve_out(c, 5 + echo);
        if (f == NULL) return;
        put_u32(f, (uint32_t)(1 + echo));
        f[4] = FRAME_PONG;
        memcpy(f + 5, frame + 1, echo);
        return;
    }
    case FRAME_BYE:
        mark_closing(c);
        return;
    default:
        return; /* PONG and the frames of features the reference leaves out */
    }
}

/* Handles every complete frame in c's inbound buffer; a partial frame stays for the next read. */
static void parse_inbound(struct conn *c) {
    size_t at = 0;
    while (!c->closing && c->in_len - at >= 4) {
        uint32_t length = get_u32(c->in + at);
        if (length == 0) {
            fatal(c, ERROR_MALFORMED_FRAME, "frame with length 0");
            return;
        }
        if (length > MAX_FRAME_LENGTH) {
            fatal(c, ERROR_FRAME_TOO_LARGE, "frame too large");
            return;
        }
        if (c->in_len - at < 4 + (size_t)length) {
            /* A frame larger than the buffer: grow it to fit (bounded by MAX_FRAME_LENGTH). */
            while (c->in_cap < 4 + (size_t)length) c->in_cap *= 2;
            unsigned char *grown = realloc(c->in, c->in_cap);
            if (grown == NULL) die("realloc");
            c->in = grown;
            break;
        }
        on_frame(c, c->in + at + 4, length);
        at += 4 + (size_t)length;
    }
    memmove(c->in, c->in + at, c->in_len - at);
    c->in_len -= at;
}

/*
 * Reads until the socket is empty, at most 32 times per readiness (as libuv does for the hub): one
 * read per wakeup would leave the sender blocked on a full socket buffer until the next wakeup.
 */
static void on_readable(struct conn *c) {
    for (int reads = 0; reads < 32 && !c->closing; reads++) {
        ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (n <= 0) {
            mark_closing(c);
            return;
        }
        c->in_len += (size_t)n;
        parse_inbound(c);
    }
}

static void set_out_interest(struct conn *c, int want) {
    if (c->want_out == want) return;
    struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl");
    c->want_out = want;
}

static void flush(struct conn *c) {
    while (c->out_len > 0) {
        ssize_t n = send(c->fd, c->out + c->out_start, c->out_len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN) mark_closing(c);
            break;
        }
        c->out_start += (size_t)n;
        c->out_len -= (size_t)n;
    }
    if (c->out_len == 0) c->out_start = 0;
    if (!c->closing) set_out_interest(c, c->out_len > 0);
}

static void close_conn(struct conn *c) {
    if (c->registered) {
        struct conn **link = &buckets[c->hash % BUCKETS];
        while (*link != c) link = &(*link)->next_in_bucket;
        *link = c->next_in_bucket;
        for (int i = 0; i < registered_count; i++)
            if (registered_list[i] == c) registered_list[i] = registered_list[--registered_count];
    }
    close(c->fd);
    free(c->in);
    free(c->out);
    free(c);
    conn_count--;
}

static void on_signal(int sig) {
    (void)sig;
    stopping = 1;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fputs("usage: refRelay SOCKET_PATH\n", stderr);
        return 2;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(argv[1]) >= sizeof addr.sun_path) {
        fprintf(stderr, "refRelay: socket path longer than %zu bytes\n", sizeof addr.sun_path - 1);
        return 2;
    }
    strcpy(addr.sun_path, argv[1]);
    int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listener < 0) die("socket");
    unlink(argv[1]);
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
    if (listen(listener, 128) < 0) die("listen");
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) die("epoll_create1");
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, listener, &lev) < 0) die("epoll_ctl");
    printf("ready\n");
    fflush(stdout);

    struct epoll_event events[64];
    while (!stopping) {
        int n = epoll_wait(epfd, events, 64, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (c == NULL) {
                int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) continue;
                if (conn_count == MAX_CONNS) {
                    close(fd);
                    continue;
                }
                c = calloc(1, sizeof *c);
                if (c == NULL) die("calloc");
                c->fd = fd;
                c->in_cap = c->out_cap = READ_CHUNK;
                c->in = malloc(c->in_cap);
                c->out = malloc(c->out_cap);
                if (c->in == NULL || c->out == NULL) die("malloc");
                struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
                if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
                conn_count++;
                continue;
            }
            if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(c);
            if (events[i].events & EPOLLOUT) flush(c);
        }
        for (int i = 0; i < flush_count; i++) {
            struct conn *c = flush_list[i];
            c->dirty = 0;
            if (!c->closing) flush(c);
        }
        flush_count = 0;
        for (int i = 0; i < closing_count; i++) {
            flush(closing_list[i]); /* the fatal ERROR, best effort */
            close_conn(closing_list[i]);
        }
        closing_count = 0;
    }
    return 0;
}
