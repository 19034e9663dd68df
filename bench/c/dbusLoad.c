/*
 * D-Bus load generator of `npm run bench` (bench/dbus.ts): the 64 B one-to-one and request/reply
 * loads of bench/c/loadgen.c, pushed through a private dbus-daemon with libdbus (Debian
 * libdbus-1-dev). Each run prints one JSON line in loadgen's shape; errors go to stderr, status 1.
 *
 *   dbusLoad throughput ADDRESS [--payload BYTES] [--seconds S] [--warmup-ms MS] [--window-bytes B]
 *   dbusLoad rtt        ADDRESS [--count N] [--payload BYTES]
 *
 * throughput: two connections in this process, one poll() loop; the sender emits unicast signals
 * (destination = the receiver's unique name) carrying the payload as a byte array, and keeps at
 * most --window-bytes of marshalled messages in flight; messages are counted where they arrive.
 * rtt: method calls to a responder in a forked process, one at a time, answered with a method
 * return carrying a payload of the same size.
 *
 * Build: cc -O2 -std=c99 -Wall -Wextra -Werror -o dbusLoad dbusLoad.c $(pkg-config --cflags --libs dbus-1)
 */
#define _POSIX_C_SOURCE 200809L

#include <dbus/dbus.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OBJECT_PATH "/io/relayscope/Bench"
#define INTERFACE "io.relayscope.Bench"
#define DRAIN_TIMEOUT_MS 5000
#define STALL_TIMEOUT_MS 5000
#define RTT_REPLY_TIMEOUT_MS 5000
#define RESPONDER_IDLE_TIMEOUT_MS 30000

static void die(const char *what, const char *detail) {
    fprintf(stderr, "dbusLoad: %s%s%s\n", what, detail[0] ? ": " : "", detail);
    exit(1);
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static DBusConnection *connect_to(const char *address) {
    DBusError err;
    dbus_error_init(&err);
    DBusConnection *c = dbus_connection_open_private(address, &err);
    if (c == NULL) die("cannot connect", err.message);
    if (!dbus_bus_register(c, &err)) die("Hello to the bus failed", err.message);
    dbus_connection_set_exit_on_disconnect(c, FALSE);
    return c;
}

static int fd_of(DBusConnection *c) {
    int fd;
    if (!dbus_connection_get_unix_fd(c, &fd)) die("the connection has no file descriptor", "");
    return fd;
}

/* Appends the payload to m as one "ay" argument. */
static DBusMessage *with_payload(DBusMessage *m, const unsigned char *payload, int payload_len) {
    if (m == NULL) die("out of memory", "");
    if (!dbus_message_append_args(m, DBUS_TYPE_ARRAY, DBUS_TYPE_BYTE, &payload, payload_len, DBUS_TYPE_INVALID)) die("out of memory", "");
    return m;
}

static DBusMessage *data_signal(const char *destination, const unsigned char *payload, int payload_len) {
    DBusMessage *m = with_payload(dbus_message_new_signal(OBJECT_PATH, INTERFACE, "Data"), payload, payload_len);
    if (!dbus_message_set_destination(m, destination)) die("out of memory", "");
    return m;
}

/* ---------------------------------------------------------------- throughput */

static void run_throughput(const char *address, int payload_len, int seconds_ms, int warmup_ms, size_t window_bytes) {
    DBusConnection *receiver = connect_to(address), *sender = connect_to(address);
    const char *destination = dbus_bus_get_unique_name(receiver);
    unsigned char *payload = calloc(1, (size_t)payload_len + 1);
    if (payload == NULL) die("out of memory", "");
    memset(payload, 0x61, (size_t)payload_len);
    DBusMessage *sample = data_signal(destination, payload, payload_len);
    char *marshalled;
    int message_bytes;
    if (!dbus_message_marshal(sample, &marshalled, &message_bytes)) die("out of memory", "");
    dbus_free(marshalled);
    dbus_message_unref(sample);
    uint64_t window = window_bytes / (size_t)message_bytes;
    if (window < 2) window = 2;

    double started = now_ms(), measure_from = started + warmup_ms, measure_to = measure_from + seconds_ms;
    double measured_at = 0, ended_at = 0, last_progress = started;
    uint64_t sent = 0, received = 0, at_start = 0, at_end = 0, last_count = 0;
    int phase = 0; /* warm-up, measure, drain */
    for (;;) {
        double now = now_ms();
        if (received != last_count) {
            last_count = received;
            last_progress = now;
        }
        if (phase == 0 && now >= measure_from) {
            phase = 1;
            measured_at = now;
            at_start = received;
        }
        if (phase == 1 && now >= measure_to) {
            phase = 2;
            ended_at = now;
            at_end = received;
        }
        if (phase == 2 && (received == sent || now - ended_at > DRAIN_TIMEOUT_MS)) break;
        if (now - last_progress > STALL_TIMEOUT_MS) die("no message arrived for 5 s with messages in flight", "");
        for (; phase < 2 && sent - received < window; sent++) {
            DBusMessage *m = data_signal(destination, payload, payload_len);
            if (!dbus_connection_send(sender, m, NULL)) die("out of memory", "");
            dbus_message_unref(m);
        }
        struct pollfd fds[2] = {{.fd = fd_of(receiver), .events = POLLIN}, {.fd = fd_of(sender), .events = POLLIN}};
        if (dbus_connection_has_messages_to_send(sender)) fds[1].events |= POLLOUT;
        if (poll(fds, 2, 100) < 0 && errno != EINTR) die("poll", strerror(errno));
        /* libdbus moves at most a few KiB per iteration, so each ready side gets several. */
        for (int i = 0; i < 64 && (fds[1].revents & POLLOUT) && dbus_connection_has_messages_to_send(sender); i++)
            dbus_connection_read_write(sender, 0);
        if (fds[1].revents & POLLIN) dbus_connection_read_write(sender, 0);
        /* NameAcquired and the like: nothing the sender needs; popping keeps its queue empty. */
        for (DBusMessage *m; (m = dbus_connection_pop_message(sender)) != NULL;) dbus_message_unref(m);
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            for (int i = 0; i < 64; i++) {
                dbus_connection_read_write(receiver, 0);
                DBusMessage *m;
                int got = 0;
                while ((m = dbus_connection_pop_message(receiver)) != NULL) {
                    if (dbus_message_is_signal(m, INTERFACE, "Data")) received++;
                    dbus_message_unref(m);
                    got = 1;
                }
                if (!got) break;
            }
            if (!dbus_connection_get_is_connected(receiver)) die("the bus closed the receiver's connection", "");
        }
    }
    double seconds = (ended_at - measured_at) / 1e3;
    printf(
        "{\"mode\":\"throughput\",\"target\":\"dbus\",\"payload\":%d,\"message_bytes\":%d,\"window_frames\":%llu,\"seconds\":%.4f,\"messages\":%llu,"
        "\"rate\":%.1f,\"sent_total\":%llu,\"delivered_total\":%llu,\"lost\":%llu}\n",
        payload_len, message_bytes, (unsigned long long)window, seconds, (unsigned long long)(at_end - at_start),
        (double)(at_end - at_start) / seconds, (unsigned long long)sent, (unsigned long long)received, (unsigned long long)(sent - received));
    dbus_connection_close(sender);
    dbus_connection_close(receiver);
    dbus_connection_unref(sender);
    dbus_connection_unref(receiver);
    free(payload);
}

/* ---------------------------------------------------------------- round trip */

/* The forked responder: answers every Echo call with a payload of the same size until idle or SIGTERM. */
static void responder(DBusConnection *c, const unsigned char *payload, int payload_len) {
    double idle_since = now_ms();
    while (now_ms() - idle_since < RESPONDER_IDLE_TIMEOUT_MS) {
        if (!dbus_connection_read_write(c, 1000)) break;
        DBusMessage *m;
        while ((m = dbus_connection_pop_message(c)) != NULL) {
            if (dbus_message_is_method_call(m, INTERFACE, "Echo")) {
                DBusMessage *reply = with_payload(dbus_message_new_method_return(m), payload, payload_len);
                if (!dbus_connection_send(c, reply, NULL)) die("out of memory", "");
                dbus_message_unref(reply);
                dbus_connection_flush(c);
                idle_since = now_ms();
            }
            dbus_message_unref(m);
        }
    }
    _exit(0);
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void run_rtt(const char *address, int count, int payload_len) {
    unsigned char *payload = calloc(1, (size_t)payload_len + 1);
    double *latencies = malloc(sizeof(double) * (size_t)count);
    if (payload == NULL || latencies == NULL) die("out of memory", "");
    int name_pipe[2];
    if (pipe(name_pipe) < 0) die("pipe", strerror(errno));
    fflush(stdout);
    pid_t child = fork();
    if (child < 0) die("fork", strerror(errno));
    if (child == 0) {
        close(name_pipe[0]);
        DBusConnection *c = connect_to(address);
        memset(payload, 0x72, (size_t)payload_len);
        const char *name = dbus_bus_get_unique_name(c);
        if (write(name_pipe[1], name, strlen(name) + 1) != (ssize_t)(strlen(name) + 1)) die("responder: cannot pass its name", "");
        close(name_pipe[1]);
        responder(c, payload, payload_len);
    }
    close(name_pipe[1]);
    char responder_name[256] = {0};
    size_t got = 0;
    struct pollfd p = {.fd = name_pipe[0], .events = POLLIN};
    while (got == 0 || responder_name[got - 1] != '\0') {
        if (poll(&p, 1, 5000) != 1) die("the responder process did not get ready", "");
        ssize_t n = read(name_pipe[0], responder_name + got, sizeof responder_name - 1 - got);
        if (n <= 0) die("the responder process did not get ready", "");
        got += (size_t)n;
    }
    close(name_pipe[0]);
    DBusConnection *c = connect_to(address);
    memset(payload, 0x71, (size_t)payload_len);
    int warmup = count / 10;
    DBusError err;
    dbus_error_init(&err);
    for (int i = 0; i < warmup + count; i++) {
        DBusMessage *call = with_payload(dbus_message_new_method_call(responder_name, OBJECT_PATH, INTERFACE, "Echo"), payload, payload_len);
        double sent_at = now_ms();
        DBusMessage *reply = dbus_connection_send_with_reply_and_block(c, call, RTT_REPLY_TIMEOUT_MS, &err);
        double micros = (now_ms() - sent_at) * 1e3;
        if (reply == NULL) die("no reply to a round trip", err.message);
        dbus_message_unref(reply);
        dbus_message_unref(call);
        if (i >= warmup) latencies[i - warmup] = micros;
    }
    dbus_connection_close(c);
    dbus_connection_unref(c);
    kill(child, SIGTERM);
    waitpid(child, NULL, 0);
    qsort(latencies, (size_t)count, sizeof(double), compare_doubles);
    printf("{\"mode\":\"rtt\",\"target\":\"dbus\",\"count\":%d,\"warmup\":%d,\"payload\":%d,\"p50_us\":%.2f,\"p99_us\":%.2f}\n", count, warmup,
           payload_len, latencies[count / 2], latencies[(size_t)(0.99 * count)]);
}

/* ---------------------------------------------------------------- command line */

static long number(const char *flag, const char *value, long min, long max) {
    char *end;
    long v = value == NULL ? 0 : strtol(value, &end, 10);
    if (value == NULL || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "dbusLoad: %s needs a number from %ld to %ld\n", flag, min, max);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fputs("usage: dbusLoad throughput|rtt ADDRESS [--payload B] [--seconds S] [--warmup-ms MS] [--window-bytes B] [--count N]\n", stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int payload = 64, seconds_ms = 3000, warmup_ms = 500, count = 5000;
    size_t window_bytes = 1024 * 1024;
    for (int i = 3; i < argc; i += 2) {
        const char *flag = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(flag, "--payload") == 0) payload = (int)number(flag, value, 0, 1024 * 1024);
        else if (strcmp(flag, "--seconds") == 0) seconds_ms = (int)(strtod(value == NULL ? "0" : value, NULL) * 1000);
        else if (strcmp(flag, "--warmup-ms") == 0) warmup_ms = (int)number(flag, value, 0, 60000);
        else if (strcmp(flag, "--window-bytes") == 0) window_bytes = (size_t)number(flag, value, 1, 8 * 1024 * 1024);
        else if (strcmp(flag, "--count") == 0) count = (int)number(flag, value, 1, 10000000);
        else die("unknown flag", flag);
    }
    if (seconds_ms < 100 || seconds_ms > 3600000) die("--seconds needs a number of seconds from 0.1 to 3600", "");
    if (strcmp(argv[1], "throughput") == 0) run_throughput(argv[2], payload, seconds_ms, warmup_ms, window_bytes);
    else if (strcmp(argv[1], "rtt") == 0) run_rtt(argv[2], count, payload);
    else die("unknown mode", argv[1]);
    return 0;
}
