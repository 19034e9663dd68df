/*
 * Relayscope load generator, driven by bench/bench.ts ("Driven from C").
 *
 * One process, one poll() loop, non-blocking sockets: it speaks the Relayscope wire protocol
 * (docs/PROTOCOL.md: HELLO/WELCOME, MESSAGE) to a hub, or minimal MQTT 3.1.1 to a broker, or puts
 * the same frames on socketpair()s with nothing in between (the raw baseline). Each run prints one
 * JSON line on stdout; errors go to stderr with exit status 1.
 *
 *   loadgen throughput TARGET [--pairs P] [--payload BYTES] [--seconds S] [--warmup-ms MS]
 *                             [--window-bytes B] [--batch-bytes B]
 *   loadgen fanout     TARGET [--receivers R] [--payload BYTES] [--seconds S] [--warmup-ms MS]
 *                             [--window-bytes B] [--batch-bytes B]
 *   loadgen rtt        TARGET [--count N] [--payload BYTES]
 *
 *   TARGET: raw | hub:ADDRESS | mqtt:ADDRESS   (ADDRESS: a socket path, or @name for an abstract socket)
 *
 * Messages are counted where they arrive (at the receivers), never where they are sent. Each
 * sender keeps at most --window-bytes (default 1 MiB) in flight towards its receivers, far below
 * the hub's 8 MiB queue limit, so the slow-consumer policy never applies. With --batch-bytes 0
 * (the default) every message is its own send() call, as a real module sends; otherwise each
 * send() carries as many whole frames as fit in that many bytes.
 *
 * Build: cc -O2 -std=c99 -Wall -Wextra -Werror -o loadgen loadgen.c
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
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
    KIND_UNICAST = 0,
    KIND_BROADCAST = 1,
    KIND_REQUEST = 2,
    KIND_REPLY = 3,
    PROTOCOL_VERSION = 1,
    MESSAGE_HEADER_BYTES = 12 /* length, type, kind, flags, correlation ID, peer length */
};

/* MQTT 3.1.1 control packet types (high nibble of the first byte). */
enum {
    MQTT_CONNECT = 1,
    MQTT_CONNACK = 2,
    MQTT_PUBLISH = 3,
    MQTT_SUBSCRIBE = 8,
    MQTT_SUBACK = 9
};

#define MAX_CONNS 32
#define MAX_FLOW_ENDS 8
#define READ_CHUNK (256 * 1024)
/* Largest frame a reply may carry: the hub's default maxPayload plus the largest header. */
#define MAX_INBOUND_FRAME (16 * 1024 * 1024 + 527 + 4)
#define HANDSHAKE_TIMEOUT_MS 5000
/* No delivery for this long while messages are in flight means the far side lost them or hung. */
#define STALL_TIMEOUT_MS 5000
#define DRAIN_TIMEOUT_MS 5000
#define RTT_REPLY_TIMEOUT_MS 5000
#define RESPONDER_IDLE_TIMEOUT_MS 30000

static void die(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    fputs("loadgen: ", stderr);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
    va_end(args);
    exit(1);
}

static void *xmalloc(size_t size)
{
    void *p = malloc(size);
    if (p == NULL) die("out of memory (%zu bytes)", size);
    return p;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t get_u32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) die("fcntl(O_NONBLOCK): %s", strerror(errno));
}

/* ---------------------------------------------------------------- connections */

enum protocol { PROTO_RELAY, PROTO_MQTT };
enum target_kind { TARGET_RAW, TARGET_HUB, TARGET_MQTT };

struct conn {
    int fd;
    char name[80]; /* module ID or MQTT client ID, for error messages */
    enum protocol protocol;
    int is_mqtt_subscriber;
    const char *mqtt_topic;
    int ready; /* WELCOME received (relay), CONNACK and for a subscriber SUBACK received (MQTT) */

    unsigned char *in;
    size_t in_len, in_cap;
    uint64_t messages_in; /* MESSAGE frames (relay) or PUBLISH packets (MQTT) received */

    /* The part of the current write that send() has not taken yet; points into the flow's batch. */
    const unsigned char *pending;
    size_t pending_len;
    int pong_owed; /* a PING arrived while a write was half done; answer once it is complete */
};

static struct conn conns[MAX_CONNS];
static int conn_count;

static struct conn *new_conn(int fd, enum protocol protocol, const char *name)
{
    if (conn_count == MAX_CONNS) die("more than %d connections", MAX_CONNS);
    struct conn *c = &conns[conn_count++];
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->protocol = protocol;
    snprintf(c->name, sizeof c->name, "%s", name);
    c->in_cap = READ_CHUNK;
    c->in = xmalloc(c->in_cap);
    set_nonblocking(fd);
    return c;
}

/* Connects to a socket path, or to "@name" in the Linux abstract namespace with the exact length. */
static int connect_unix(const char *address)
{
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    size_t len = strlen(address);
    socklen_t addr_len;
    if (address[0] == '@') {
        if (len - 1 < 1 || len - 1 > sizeof addr.sun_path - 1) die("abstract socket name \"%s\" is not 1 to %zu bytes", address, sizeof addr.sun_path - 1);
        memcpy(addr.sun_path + 1, address + 1, len - 1);
        addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    } else {
        if (len == 0 || len >= sizeof addr.sun_path) die("socket path \"%s\" is empty or longer than %zu bytes", address, sizeof addr.sun_path - 1);
        memcpy(addr.sun_path, address, len);
        addr_len = (socklen_t)sizeof addr;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) die("socket(): %s", strerror(errno));
    if (connect(fd, (struct sockaddr *)&addr, addr_len) < 0) die("connect to %s: %s", address, strerror(errno));
    return fd;
}

/* Writes all of buf on a non-blocking socket, waiting for POLLOUT as needed (handshakes, replies). */
static void write_all(struct conn *c, const unsigned char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd p = { .fd = c->fd, .events = POLLOUT };
            if (poll(&p, 1, HANDSHAKE_TIMEOUT_MS) == 0) die("%s: socket not writable for %d ms", c->name, HANDSHAKE_TIMEOUT_MS);
            continue;
        }
        die("%s: send: %s", c->name, strerror(errno));
    }
}

static const unsigned char PONG_FRAME[5] = { 0, 0, 0, 1, FRAME_PONG };

/* Tries to send the rest of the current write. Returns 1 when nothing is left pending. */
static int conn_flush(struct conn *c)
{
    while (c->pending_len > 0) {
        ssize_t n = send(c->fd, c->pending, c->pending_len, MSG_NOSIGNAL);
        if (n > 0) {
            c->pending += n;
            c->pending_len -= (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 0;
        } else {
            die("%s: send: %s", c->name, strerror(errno));
        }
        if (c->pending_len == 0 && c->pong_owed) {
            c->pong_owed = 0;
            c->pending = PONG_FRAME;
            c->pending_len = sizeof PONG_FRAME;
        }
    }
    return 1;
}

/* Starts one write; what send() does not take now stays pending for conn_flush. */
static void conn_start_write(struct conn *c, const unsigned char *buf, size_t len)
{
    c->pending = buf;
    c->pending_len = len;
    conn_flush(c);
}

/* ---------------------------------------------------------------- frame builders */

static size_t relay_message(unsigned char *out, int kind, uint32_t correlation_id, const char *peer, size_t payload_len, unsigned char fill)
{
    size_t peer_len = strlen(peer);
    put_u32(out, (uint32_t)(8 + peer_len + payload_len));
    out[4] = FRAME_MESSAGE;
    out[5] = (unsigned char)kind;
    out[6] = 0;
    put_u32(out + 7, correlation_id);
    out[11] = (unsigned char)peer_len;
    memcpy(out + MESSAGE_HEADER_BYTES, peer, peer_len);
    memset(out + MESSAGE_HEADER_BYTES + peer_len, fill, payload_len);
    return MESSAGE_HEADER_BYTES + peer_len + payload_len;
}

static size_t mqtt_remaining_length(unsigned char *out, size_t remaining)
{
    size_t n = 0;
    do {
        unsigned char digit = remaining & 0x7f;
        remaining >>= 7;
        out[n++] = (unsigned char)(remaining > 0 ? digit | 0x80 : digit);
    } while (remaining > 0);
    return n;
}

static size_t mqtt_publish(unsigned char *out, const char *topic, size_t payload_len)
{
    size_t topic_len = strlen(topic);
    out[0] = MQTT_PUBLISH << 4; /* QoS 0, no DUP, no RETAIN: no packet identifier */
    size_t at = 1 + mqtt_remaining_length(out + 1, 2 + topic_len + payload_len);
    out[at++] = (unsigned char)(topic_len >> 8);
    out[at++] = (unsigned char)topic_len;
    memcpy(out + at, topic, topic_len);
    at += topic_len;
    memset(out + at, 0x61, payload_len);
    return at + payload_len;
}

/* ---------------------------------------------------------------- inbound frames */

static void relay_frame(struct conn *c, const unsigned char *frame, size_t length)
{
    const unsigned char *body = frame + 5;
    size_t body_len = length - 1;
    switch (frame[4]) {
    case FRAME_MESSAGE:
        c->messages_in++;
        break;
    case FRAME_WELCOME:
        if (body_len < 1 || body[0] != PROTOCOL_VERSION) die("%s: WELCOME for an unknown protocol version", c->name);
        c->ready = 1;
        break;
    case FRAME_PING:
        if (c->pending_len > 0) c->pong_owed = 1;
        else conn_start_write(c, PONG_FRAME, sizeof PONG_FRAME);
        break;
    case FRAME_ERROR: {
        unsigned code = body_len >= 2 ? (unsigned)(body[0] << 8 | body[1]) : 0;
        size_t ref_len = body_len >= 7 ? body[6] : 0;
        size_t text_at = 7 + ref_len;
        int text_len = body_len > text_at ? (int)(body_len - text_at) : 0;
        die("%s: the hub sent ERROR %u: %.*s", c->name, code, text_len, (const char *)body + text_at);
        break;
    }
    case FRAME_BYE:
        die("%s: the hub said BYE", c->name);
        break;
    default:
        break; /* OK, PRESENCE and others carry nothing the generator needs */
    }
}

static void mqtt_packet(struct conn *c, const unsigned char *packet, size_t header_len, size_t remaining)
{
    const unsigned char *body = packet + header_len;
    switch (packet[0] >> 4) {
    case MQTT_PUBLISH:
        c->messages_in++;
        break;
    case MQTT_CONNACK:
        if (remaining < 2 || body[1] != 0) die("%s: the broker refused CONNECT (return code %d)", c->name, remaining >= 2 ? body[1] : -1);
        if (!c->is_mqtt_subscriber) {
            c->ready = 1;
        } else {
            /* SUBSCRIBE, packet ID 1, one topic filter at QoS 0. */
            size_t topic_len = strlen(c->mqtt_topic);
            unsigned char sub[1 + 4 + 2 + 2 + 255 + 1];
            sub[0] = MQTT_SUBSCRIBE << 4 | 0x2; /* the flags MQTT 3.1.1 requires for SUBSCRIBE */
            size_t at = 1 + mqtt_remaining_length(sub + 1, 2 + 2 + topic_len + 1);
            sub[at++] = 0;
            sub[at++] = 1;
            sub[at++] = (unsigned char)(topic_len >> 8);
            sub[at++] = (unsigned char)topic_len;
            memcpy(sub + at, c->mqtt_topic, topic_len);
            at += topic_len;
            sub[at++] = 0;
            write_all(c, sub, at);
        }
        break;
    case MQTT_SUBACK:
        if (remaining < 3 || body[2] == 0x80) die("%s: the broker refused SUBSCRIBE to %s", c->name, c->mqtt_topic);
        c->ready = 1;
        break;
    default:
        break;
    }
}

/*
 * Parses every complete frame in c->in. Returns the bytes consumed; a partial frame stays for the
 * next read, and the buffer grows when a single frame is larger than it.
 */
static size_t parse_inbound(struct conn *c)
{
    size_t at = 0;
    for (;;) {
        size_t avail = c->in_len - at;
        const unsigned char *p = c->in + at;
        size_t header_len, total;
        if (c->protocol == PROTO_RELAY) {
            if (avail < 4) break;
            uint32_t length = get_u32(p);
            if (length == 0) die("%s: frame with length 0", c->name);
            header_len = 4;
            total = 4 + (size_t)length;
        } else {
            /* Fixed header: one byte, then the remaining length in 1 to 4 bytes of 7 bits each. */
            size_t remaining = 0;
            header_len = 0;
            for (size_t i = 1; i <= 4; i++) {
                if (avail <= i) break;
                remaining |= (size_t)(p[i] & 0x7f) << (7 * (i - 1));
                if ((p[i] & 0x80) == 0) {
                    header_len = i + 1;
                    break;
                }
                if (i == 4) die("%s: malformed MQTT remaining length", c->name);
            }
            if (header_len == 0) break;
            total = header_len + remaining;
        }
        if (total > MAX_INBOUND_FRAME) die("%s: inbound frame of %zu bytes is larger than any the generator expects", c->name, total);
        if (avail < total) {
            if (total > c->in_cap) {
                c->in_cap = total;
                unsigned char *grown = realloc(c->in, c->in_cap);
                if (grown == NULL) die("out of memory (%zu bytes)", c->in_cap);
                c->in = grown;
            }
            break;
        }
        if (c->protocol == PROTO_RELAY) relay_frame(c, p, total - 4);
        else mqtt_packet(c, p, header_len, total - header_len);
        at += total;
    }
    return at;
}

/* One recv() into the inbound buffer, then every complete frame is handled. */
static void conn_read(struct conn *c)
{
    if (c->in_len == c->in_cap) die("%s: inbound buffer full", c->name);
    ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
    if (n == 0) die("%s: the other side closed the connection", c->name);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
        die("%s: recv: %s", c->name, strerror(errno));
    }
    c->in_len += (size_t)n;
    size_t used = parse_inbound(c);
    if (used > 0) {
        memmove(c->in, c->in + used, c->in_len - used);
        c->in_len -= used;
    }
}

/* ---------------------------------------------------------------- handshakes */

static int pid_tag;

static struct conn *hub_connect(const char *address, const char *role, int index)
{
    char id[64];
    snprintf(id, sizeof id, "c%d-%s-%d", pid_tag, role, index);
    struct conn *c = new_conn(connect_unix(address), PROTO_RELAY, id);
    size_t id_len = strlen(id);
    unsigned char hello[4 + 1 + 3 + 64 + 2];
    put_u32(hello, (uint32_t)(6 + id_len));
    hello[4] = FRAME_HELLO;
    hello[5] = PROTOCOL_VERSION;
    hello[6] = 0;
    hello[7] = (unsigned char)id_len;
    memcpy(hello + 8, id, id_len);
    hello[8 + id_len] = 0; /* no token */
    hello[9 + id_len] = 0;
    write_all(c, hello, 10 + id_len);
    return c;
}

static struct conn *mqtt_connect(const char *address, const char *role, int index, const char *subscribe_topic)
{
    char client_id[64];
    snprintf(client_id, sizeof client_id, "rs-bench-%d-%s-%d", pid_tag, role, index);
    struct conn *c = new_conn(connect_unix(address), PROTO_MQTT, client_id);
    c->is_mqtt_subscriber = subscribe_topic != NULL;
    c->mqtt_topic = subscribe_topic;
    size_t id_len = strlen(client_id);
    unsigned char packet[2 + 10 + 2 + 64];
    size_t rem = 10 + 2 + id_len;
    packet[0] = MQTT_CONNECT << 4;
    packet[1] = (unsigned char)rem;
    static const unsigned char variable_header[10] = { 0, 4, 'M', 'Q', 'T', 'T', 4 /* 3.1.1 */, 0x02 /* clean session */, 0, 0 /* no keepalive */ };
    memcpy(packet + 2, variable_header, sizeof variable_header);
    packet[12] = (unsigned char)(id_len >> 8);
    packet[13] = (unsigned char)id_len;
    memcpy(packet + 14, client_id, id_len);
    write_all(c, packet, 2 + rem);
    return c;
}

/* Waits until every connection has finished its handshake. */
static void await_ready(void)
{
    double deadline = now_ms() + HANDSHAKE_TIMEOUT_MS;
    for (;;) {
        struct pollfd fds[MAX_CONNS];
        int waiting = 0;
        for (int i = 0; i < conn_count; i++) {
            if (conns[i].ready) continue;
            fds[waiting].fd = conns[i].fd;
            fds[waiting].events = POLLIN;
            waiting++;
        }
        if (waiting == 0) return;
        double left = deadline - now_ms();
        if (left <= 0) die("handshake not finished after %d ms", HANDSHAKE_TIMEOUT_MS);
        if (poll(fds, (nfds_t)waiting, (int)left + 1) < 0 && errno != EINTR) die("poll: %s", strerror(errno));
        for (int i = 0; i < waiting; i++) {
            if (fds[i].revents == 0) continue;
            for (int j = 0; j < conn_count; j++)
                if (conns[j].fd == fds[i].fd) conn_read(&conns[j]);
        }
    }
}

/* ---------------------------------------------------------------- load (throughput, fan-out) */

/*
 * A flow: every message goes to each of its outs, and is delivered once each of its ins has it.
 * Hub or MQTT unicast: 1 out, 1 in. Hub broadcast: 1 out, R ins. Raw fan-out: R outs, R ins.
 */
struct flow {
    struct conn *outs[MAX_FLOW_ENDS];
    struct conn *ins[MAX_FLOW_ENDS];
    int out_count, in_count;
    unsigned char *batch; /* what one send() carries: one frame, or several back to back */
    size_t batch_len;
    uint64_t batch_frames;
    uint64_t window_frames;
    uint64_t sent;
};

static uint64_t delivered(const struct flow *f)
{
    uint64_t least = f->ins[0]->messages_in;
    for (int i = 1; i < f->in_count; i++)
        if (f->ins[i]->messages_in < least) least = f->ins[i]->messages_in;
    return least;
}

static void pump(struct flow *f, int sending)
{
    for (;;) {
        for (int i = 0; i < f->out_count; i++)
            if (!conn_flush(f->outs[i])) return;
        if (!sending || f->sent - delivered(f) + f->batch_frames > f->window_frames) return;
        for (int i = 0; i < f->out_count; i++) conn_start_write(f->outs[i], f->batch, f->batch_len);
        f->sent += f->batch_frames;
    }
}

struct load_options {
    int seconds_ms;
    int warmup_ms;
    size_t window_bytes;
    size_t batch_bytes;
};

static void fill_batch(struct flow *f, const unsigned char *frame, size_t frame_len, const struct load_options *o)
{
    f->batch_frames = o->batch_bytes > frame_len ? o->batch_bytes / frame_len : 1;
    f->batch_len = f->batch_frames * frame_len;
    f->batch = xmalloc(f->batch_len);
    for (uint64_t i = 0; i < f->batch_frames; i++) memcpy(f->batch + i * frame_len, frame, frame_len);
    uint64_t window = o->window_bytes / frame_len;
    f->window_frames = window > 2 * f->batch_frames ? window : 2 * f->batch_frames;
}

static uint64_t total_delivered(const struct flow *flows, int flow_count)
{
    uint64_t sum = 0;
    for (int i = 0; i < flow_count; i++) sum += delivered(&flows[i]);
    return sum;
}

static uint64_t total_sent(const struct flow *flows, int flow_count)
{
    uint64_t sum = 0;
    for (int i = 0; i < flow_count; i++) sum += flows[i].sent;
    return sum;
}

/* Runs the flows: warm-up, measurement, then a drain until everything sent has arrived. */
static void drive(struct flow *flows, int flow_count, const struct load_options *o, const char *mode, const char *target, size_t payload, size_t frame_len)
{
    double started = now_ms();
    double measure_from = started + o->warmup_ms, measure_to = measure_from + o->seconds_ms;
    double measured_at = 0, ended_at = 0, last_progress = started;
    uint64_t count_at_start = 0, count_at_end = 0, last_count = 0;
    enum { WARMUP, MEASURE, DRAIN } phase = WARMUP;

    for (int i = 0; i < flow_count; i++) pump(&flows[i], 1);
    for (;;) {
        double now = now_ms();
        uint64_t count = total_delivered(flows, flow_count);
        if (count != last_count) {
            last_count = count;
            last_progress = now;
        }
        if (phase == WARMUP && now >= measure_from) {
            phase = MEASURE;
            measured_at = now;
            count_at_start = count;
        }
        if (phase == MEASURE && now >= measure_to) {
            phase = DRAIN;
            ended_at = now;
            count_at_end = count;
        }
        if (phase == DRAIN && (count == total_sent(flows, flow_count) || now - ended_at > DRAIN_TIMEOUT_MS)) break;
        if (phase != DRAIN && now - last_progress > STALL_TIMEOUT_MS)
            die("no message arrived for %d ms with %llu in flight: the messages were lost or the relay stalled", STALL_TIMEOUT_MS,
                (unsigned long long)(total_sent(flows, flow_count) - count));

        struct pollfd fds[MAX_CONNS];
        for (int i = 0; i < conn_count; i++) {
            fds[i].fd = conns[i].fd;
            fds[i].events = (short)(POLLIN | (conns[i].pending_len > 0 ? POLLOUT : 0));
            fds[i].revents = 0;
        }
        double next = phase == WARMUP ? measure_from : phase == MEASURE ? measure_to : ended_at + DRAIN_TIMEOUT_MS;
        int timeout = next > now ? (int)(next - now) + 1 : 0;
        if (timeout > STALL_TIMEOUT_MS) timeout = STALL_TIMEOUT_MS;
        if (poll(fds, (nfds_t)conn_count, timeout) < 0 && errno != EINTR) die("poll: %s", strerror(errno));
        for (int i = 0; i < conn_count; i++)
            if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) conn_read(&conns[i]);
        for (int i = 0; i < flow_count; i++) pump(&flows[i], phase != DRAIN);
    }

    uint64_t sent = total_sent(flows, flow_count), arrived = total_delivered(flows, flow_count);
    double seconds = (ended_at - measured_at) / 1e3;
    uint64_t deliveries = 0;
    for (int i = 0; i < flow_count; i++)
        for (int j = 0; j < flows[i].in_count; j++) deliveries += flows[i].ins[j]->messages_in;
    printf("{\"mode\":\"%s\",\"target\":\"%s\",\"flows\":%d,\"receivers_per_flow\":%d,\"payload\":%zu,\"frame_bytes\":%zu,"
           "\"frames_per_write\":%llu,\"window_frames\":%llu,\"seconds\":%.4f,\"messages\":%llu,\"rate\":%.1f,"
           "\"sent_total\":%llu,\"delivered_total\":%llu,\"deliveries_total\":%llu,\"lost\":%llu}\n",
           mode, target, flow_count, flows[0].in_count, payload, frame_len, (unsigned long long)flows[0].batch_frames,
           (unsigned long long)flows[0].window_frames, seconds, (unsigned long long)(count_at_end - count_at_start),
           (double)(count_at_end - count_at_start) / seconds, (unsigned long long)sent, (unsigned long long)arrived,
           (unsigned long long)deliveries, (unsigned long long)(sent - arrived));
}

static void raw_pair(struct conn **sender, struct conn **receiver, int index)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) die("socketpair: %s", strerror(errno));
    char name[32];
    snprintf(name, sizeof name, "raw-sender-%d", index);
    *sender = new_conn(sv[0], PROTO_RELAY, name);
    snprintf(name, sizeof name, "raw-receiver-%d", index);
    *receiver = new_conn(sv[1], PROTO_RELAY, name);
    (*sender)->ready = (*receiver)->ready = 1;
}

static void run_throughput(enum target_kind target, const char *address, const char *target_name, int pairs, size_t payload, const struct load_options *o)
{
    static struct flow flows[MAX_FLOW_ENDS];
    static char topics[MAX_FLOW_ENDS][32];
    unsigned char *frame = xmalloc(MESSAGE_HEADER_BYTES + 255 + payload + 16);
    size_t frame_len = 0;
    for (int i = 0; i < pairs; i++) {
        struct flow *f = &flows[i];
        f->out_count = f->in_count = 1;
        if (target == TARGET_MQTT) {
            snprintf(topics[i], sizeof topics[i], "rs/bench/%d", i);
            f->ins[0] = mqtt_connect(address, "sub", i, topics[i]);
            f->outs[0] = mqtt_connect(address, "pub", i, NULL);
            frame_len = mqtt_publish(frame, topics[i], payload);
        } else {
            if (target == TARGET_HUB) {
                f->ins[0] = hub_connect(address, "rcv", i);
                f->outs[0] = hub_connect(address, "snd", i);
            } else {
                raw_pair(&f->outs[0], &f->ins[0], i);
            }
            /* Raw carries the very frame a module hands the hub, destination included. */
            char destination[64];
            snprintf(destination, sizeof destination, "c%d-rcv-%d", pid_tag, i);
            frame_len = relay_message(frame, KIND_UNICAST, 0, destination, payload, 0x61);
        }
        fill_batch(f, frame, frame_len, o);
    }
    await_ready();
    drive(flows, pairs, o, "throughput", target_name, payload, frame_len);
}

static void run_fanout(enum target_kind target, const char *address, const char *target_name, int receivers, size_t payload, const struct load_options *o)
{
    static struct flow flow;
    unsigned char *frame = xmalloc(MESSAGE_HEADER_BYTES + payload);
    size_t frame_len = relay_message(frame, KIND_BROADCAST, 0, "", payload, 0x61);
    if (target == TARGET_HUB) {
        for (int i = 0; i < receivers; i++) flow.ins[i] = hub_connect(address, "fan", i);
        flow.outs[0] = hub_connect(address, "fan-sender", 0);
        flow.out_count = 1;
    } else {
        /* Raw fan-out: the sender itself writes every message to each receiver's socket. */
        for (int i = 0; i < receivers; i++) raw_pair(&flow.outs[i], &flow.ins[i], i);
        flow.out_count = receivers;
    }
    flow.in_count = receivers;
    fill_batch(&flow, frame, frame_len, o);
    await_ready();
    drive(&flow, 1, o, "fanout", target_name, payload, frame_len);
}

/* ---------------------------------------------------------------- round trip */

/* Waits for a MESSAGE on c and returns it (length prefix included); bounded by timeout_ms. */
static const unsigned char *next_message(struct conn *c, size_t *consumed, int timeout_ms)
{
    for (;;) {
        /* Frames other than MESSAGE are handled and skipped here. */
        while (c->in_len >= 4 && c->in_len >= 4 + (size_t)get_u32(c->in)) {
            size_t total = 4 + (size_t)get_u32(c->in);
            if (total < 5) die("%s: frame with length 0", c->name);
            if (c->in[4] == FRAME_MESSAGE) {
                *consumed = total;
                return c->in;
            }
            /* The round-trip path writes with write_all, so a PONG is written whole here, not left pending. */
            if (c->in[4] == FRAME_PING) write_all(c, PONG_FRAME, sizeof PONG_FRAME);
            else relay_frame(c, c->in, total - 4);
            memmove(c->in, c->in + total, c->in_len - total);
            c->in_len -= total;
        }
        if (c->in_len >= 4 && 4 + (size_t)get_u32(c->in) > c->in_cap) die("%s: unexpected %u-byte frame", c->name, get_u32(c->in));
        struct pollfd p = { .fd = c->fd, .events = POLLIN };
        int ready = poll(&p, 1, timeout_ms);
        if (ready < 0 && errno != EINTR) die("poll: %s", strerror(errno));
        if (ready == 0) return NULL;
        ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
        if (n == 0) return NULL;
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
            die("%s: recv: %s", c->name, strerror(errno));
        }
        c->in_len += (size_t)n;
    }
}

static void drop_message(struct conn *c, size_t consumed)
{
    memmove(c->in, c->in + consumed, c->in_len - consumed);
    c->in_len -= consumed;
}

/* The forked responder: answers every REQUEST with a REPLY carrying its correlation ID until EOF or SIGTERM. */
static void responder(struct conn *c, const char *requester_id, size_t payload)
{
    unsigned char *reply = xmalloc(MESSAGE_HEADER_BYTES + 255 + payload);
    size_t reply_len = relay_message(reply, KIND_REPLY, 0, requester_id, payload, 0x72);
    size_t consumed;
    const unsigned char *frame;
    while ((frame = next_message(c, &consumed, RESPONDER_IDLE_TIMEOUT_MS)) != NULL) {
        if (consumed >= MESSAGE_HEADER_BYTES && frame[5] == KIND_REQUEST) {
            memcpy(reply + 7, frame + 7, 4);
            write_all(c, reply, reply_len);
        }
        drop_message(c, consumed);
    }
    _exit(0);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void run_rtt(enum target_kind target, const char *address, const char *target_name, int count, size_t payload)
{
    char requester_id[64], responder_id[64];
    snprintf(requester_id, sizeof requester_id, "c%d-rtt-client-0", pid_tag);
    snprintf(responder_id, sizeof responder_id, "c%d-rtt-server-0", pid_tag);
    int sv[2] = { -1, -1 }, ready_pipe[2];
    if (target == TARGET_RAW && socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) die("socketpair: %s", strerror(errno));
    if (pipe(ready_pipe) < 0) die("pipe: %s", strerror(errno));
    fflush(stdout);
    pid_t child = fork();
    if (child < 0) die("fork: %s", strerror(errno));
    if (child == 0) {
        close(ready_pipe[0]);
        struct conn *c;
        if (target == TARGET_RAW) {
            close(sv[0]);
            c = new_conn(sv[1], PROTO_RELAY, "raw-responder");
        } else {
            c = hub_connect(address, "rtt-server", 0);
            await_ready();
        }
        if (write(ready_pipe[1], "r", 1) != 1) die("responder: cannot signal readiness");
        close(ready_pipe[1]);
        responder(c, requester_id, payload);
    }
    close(ready_pipe[1]);
    struct conn *c;
    if (target == TARGET_RAW) {
        close(sv[1]);
        c = new_conn(sv[0], PROTO_RELAY, "raw-requester");
    } else {
        c = hub_connect(address, "rtt-client", 0);
        await_ready();
    }
    struct pollfd p = { .fd = ready_pipe[0], .events = POLLIN };
    char ready_byte;
    if (poll(&p, 1, HANDSHAKE_TIMEOUT_MS) != 1 || read(ready_pipe[0], &ready_byte, 1) != 1) die("the responder process did not get ready");
    close(ready_pipe[0]);

    unsigned char *request = xmalloc(MESSAGE_HEADER_BYTES + 255 + payload);
    size_t request_len = relay_message(request, KIND_REQUEST, 0, responder_id, payload, 0x71);
    int warmup = count / 10;
    double *latencies = xmalloc(sizeof(double) * (size_t)count);
    for (int i = 0; i < warmup + count; i++) {
        uint32_t correlation_id = (uint32_t)i + 1;
        put_u32(request + 7, correlation_id);
        double sent_at = now_ms();
        write_all(c, request, request_len);
        for (;;) {
            size_t consumed;
            const unsigned char *reply = next_message(c, &consumed, RTT_REPLY_TIMEOUT_MS);
            if (reply == NULL) die("no reply to round trip %d within %d ms", i + 1, RTT_REPLY_TIMEOUT_MS);
            int matches = consumed >= MESSAGE_HEADER_BYTES && reply[5] == KIND_REPLY && get_u32(reply + 7) == correlation_id;
            drop_message(c, consumed);
            if (matches) break;
        }
        if (i >= warmup) latencies[i - warmup] = (now_ms() - sent_at) * 1e3;
    }
    close(c->fd);
    /* Through a hub the responder sees no EOF when the requester leaves, so it is told to stop. */
    kill(child, SIGTERM);
    waitpid(child, NULL, 0);
    qsort(latencies, (size_t)count, sizeof(double), compare_doubles);
    double sum = 0;
    for (int i = 0; i < count; i++) sum += latencies[i];
    printf("{\"mode\":\"rtt\",\"target\":\"%s\",\"count\":%d,\"warmup\":%d,\"payload\":%zu,\"p50_us\":%.2f,\"p99_us\":%.2f,\"mean_us\":%.2f,\"max_us\":%.2f}\n",
           target_name, count, warmup, payload, latencies[count / 2], latencies[(size_t)(0.99 * count)], sum / count, latencies[count - 1]);
}

/* ---------------------------------------------------------------- command line */

static long parse_number(const char *flag, const char *value, long min, long max)
{
    char *end;
    errno = 0;
    long v = value == NULL ? 0 : strtol(value, &end, 10);
    if (value == NULL || errno != 0 || *end != '\0' || v < min || v > max) die("%s needs a number from %ld to %ld", flag, min, max);
    return v;
}

static int parse_milliseconds(const char *flag, const char *seconds)
{
    char *end;
    double v = seconds == NULL ? 0 : strtod(seconds, &end);
    if (seconds == NULL || *end != '\0' || !(v >= 0.1 && v <= 3600)) die("%s needs a number of seconds from 0.1 to 3600", flag);
    return (int)(v * 1000);
}

static void usage(void)
{
    fputs("usage: loadgen throughput|fanout|rtt raw|hub:ADDRESS|mqtt:ADDRESS [--pairs P] [--receivers R] [--payload BYTES]\n"
          "               [--seconds S] [--warmup-ms MS] [--window-bytes B] [--batch-bytes B] [--count N]\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    if (argc < 3) usage();
    signal(SIGPIPE, SIG_IGN);
    pid_tag = (int)getpid();
    const char *mode = argv[1], *target_arg = argv[2];
    enum target_kind target;
    const char *address = NULL, *target_name;
    if (strcmp(target_arg, "raw") == 0) {
        target = TARGET_RAW;
        target_name = "raw";
    } else if (strncmp(target_arg, "hub:", 4) == 0) {
        target = TARGET_HUB;
        address = target_arg + 4;
        target_name = "hub";
    } else if (strncmp(target_arg, "mqtt:", 5) == 0) {
        target = TARGET_MQTT;
        address = target_arg + 5;
        target_name = "mqtt";
    } else {
        usage();
    }

    int pairs = 1, receivers = 8, count = 5000;
    size_t payload = 64;
    struct load_options o = { .seconds_ms = 3000, .warmup_ms = 500, .window_bytes = 1024 * 1024, .batch_bytes = 0 };
    for (int i = 3; i < argc; i += 2) {
        const char *flag = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(flag, "--pairs") == 0) pairs = (int)parse_number(flag, value, 1, MAX_FLOW_ENDS);
        else if (strcmp(flag, "--receivers") == 0) receivers = (int)parse_number(flag, value, 1, MAX_FLOW_ENDS);
        else if (strcmp(flag, "--payload") == 0) payload = (size_t)parse_number(flag, value, 0, 1024 * 1024);
        else if (strcmp(flag, "--seconds") == 0) o.seconds_ms = parse_milliseconds(flag, value);
        else if (strcmp(flag, "--warmup-ms") == 0) o.warmup_ms = (int)parse_number(flag, value, 0, 60000);
        else if (strcmp(flag, "--window-bytes") == 0) o.window_bytes = (size_t)parse_number(flag, value, 1, 8 * 1024 * 1024);
        else if (strcmp(flag, "--batch-bytes") == 0) o.batch_bytes = (size_t)parse_number(flag, value, 0, 1024 * 1024);
        else if (strcmp(flag, "--count") == 0) count = (int)parse_number(flag, value, 1, 10000000);
        else usage();
    }

    if (strcmp(mode, "throughput") == 0) {
        run_throughput(target, address, target_name, pairs, payload, &o);
    } else if (strcmp(mode, "fanout") == 0) {
        if (target == TARGET_MQTT) die("fanout is not implemented for MQTT");
        run_fanout(target, address, target_name, receivers, payload, &o);
    } else if (strcmp(mode, "rtt") == 0) {
        if (target == TARGET_MQTT) die("rtt is not implemented for MQTT");
        run_rtt(target, address, target_name, count, payload);
    } else {
        usage();
    }
    return 0;
}
