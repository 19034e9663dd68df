/*
 * NATS load generator of `npm run bench` (bench/nats.ts): the 64 B one-to-one and request/reply loads
 * of bench/c/loadgen.c, pushed through nats-server with the official C client (libnats, Debian
 * libnats-dev). Each run prints one JSON line in loadgen's shape; errors go to stderr with status 1.
 *
 *   natsLoad throughput URL [--payload BYTES] [--seconds S] [--warmup-ms MS] [--window-bytes B]
 *   natsLoad rtt        URL [--count N] [--payload BYTES]
 *
 * throughput: a publisher connection and a subscriber connection in this process; messages are
 * counted where they arrive (the subscription's callback) and the publisher keeps at most
 * --window-bytes of payload and subject in flight, as loadgen does. libnats buffers what
 * natsConnection_Publish is given and writes it from its flusher thread: that coalescing is the
 * client's own and is kept. rtt: natsConnection_Request to a responder in a forked process, one at
 * a time, both connections with SendAsap so a message is written at once.
 *
 * Build: cc -O2 -std=gnu11 -Wall -Wextra -Werror -o natsLoad natsLoad.c -lnats -pthread
 */
#define _GNU_SOURCE

#include <errno.h>
#include <nats/nats.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SUBJECT "rs.bench.0"
#define RTT_SUBJECT "rs.bench.rtt"
#define DRAIN_TIMEOUT_MS 5000
#define STALL_TIMEOUT_MS 5000
#define RTT_REPLY_TIMEOUT_MS 5000

static void die(const char *fmt, const char *detail) {
    fprintf(stderr, "natsLoad: ");
    fprintf(stderr, fmt, detail);
    fputc('\n', stderr);
    exit(1);
}

static void check(natsStatus s, const char *what) {
    if (s != NATS_OK) {
        fprintf(stderr, "natsLoad: %s: %s\n", what, natsStatus_GetText(s));
        exit(1);
    }
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static natsConnection *connect_to(const char *url, int send_asap) {
    natsOptions *opts;
    natsConnection *nc;
    check(natsOptions_Create(&opts), "natsOptions_Create");
    check(natsOptions_SetURL(opts, url), "natsOptions_SetURL");
    check(natsOptions_SetSendAsap(opts, send_asap ? true : false), "natsOptions_SetSendAsap");
    check(natsOptions_SetAllowReconnect(opts, false), "natsOptions_SetAllowReconnect");
    check(natsConnection_Connect(&nc, opts), "connect");
    natsOptions_Destroy(opts);
    return nc;
}

/* ---------------------------------------------------------------- throughput */

static uint64_t received; /* written by the subscription's thread */
static int sender_waiting;
static pthread_mutex_t window_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t window_open = PTHREAD_COND_INITIALIZER;

static void on_message(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure) {
    (void)nc;
    (void)sub;
    (void)closure;
    natsMsg_Destroy(msg);
    __atomic_add_fetch(&received, 1, __ATOMIC_RELEASE);
    if (__atomic_load_n(&sender_waiting, __ATOMIC_ACQUIRE)) {
        pthread_mutex_lock(&window_lock);
        pthread_cond_signal(&window_open);
        pthread_mutex_unlock(&window_lock);
    }
}

/* Waits up to 1 ms for the subscriber to take messages out of the window. */
static void wait_for_window(uint64_t sent, uint64_t window) {
    pthread_mutex_lock(&window_lock);
    __atomic_store_n(&sender_waiting, 1, __ATOMIC_RELEASE);
    if (sent - __atomic_load_n(&received, __ATOMIC_ACQUIRE) >= window) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 1000000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&window_open, &window_lock, &until);
    }
    __atomic_store_n(&sender_waiting, 0, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&window_lock);
}

static void run_throughput(const char *url, size_t payload, int seconds_ms, int warmup_ms, size_t window_bytes) {
    natsConnection *sub_conn = connect_to(url, 0), *pub_conn = connect_to(url, 0);
    natsSubscription *sub;
    check(natsConnection_Subscribe(&sub, sub_conn, SUBJECT, on_message, NULL), "subscribe");
    /* The window bounds what is pending; no client-side limit may drop messages behind it. */
    check(natsSubscription_SetPendingLimits(sub, -1, -1), "natsSubscription_SetPendingLimits");
    check(natsConnection_Flush(sub_conn), "flush the subscription");
    char *data = malloc(payload + 1);
    if (data == NULL) die("out of memory%s", "");
    memset(data, 0x61, payload);
    /* On the wire: "MSG <subject> <sid> <size>\r\n" + payload + "\r\n"; about 28 bytes around it. */
    uint64_t window = window_bytes / (payload + strlen(SUBJECT) + 28);
    if (window < 2) window = 2;

    double started = now_ms(), measure_from = started + warmup_ms, measure_to = measure_from + seconds_ms;
    double measured_at = 0, ended_at = 0, last_progress = started;
    uint64_t sent = 0, at_start = 0, at_end = 0, last_count = 0;
    int phase = 0; /* warm-up, measure, drain */
    for (;;) {
        double now = now_ms();
        uint64_t count = __atomic_load_n(&received, __ATOMIC_ACQUIRE);
        if (count != last_count) {
            last_count = count;
            last_progress = now;
        }
        if (phase == 0 && now >= measure_from) {
            phase = 1;
            measured_at = now;
            at_start = count;
        }
        if (phase == 1 && now >= measure_to) {
            phase = 2;
            ended_at = now;
            at_end = count;
            check(natsConnection_Flush(pub_conn), "flush the publisher");
        }
        if (phase == 2 && (count == sent || now - ended_at > DRAIN_TIMEOUT_MS)) break;
        if (now - last_progress > STALL_TIMEOUT_MS) die("no message arrived for 5 s with messages in flight%s", "");
        if (phase == 2) {
            wait_for_window(sent, 1);
            continue;
        }
        if (sent - count >= window) {
            wait_for_window(sent, window);
            continue;
        }
        for (uint64_t room = window - (sent - count); room > 0; room--, sent++)
            check(natsConnection_Publish(pub_conn, SUBJECT, data, (int)payload), "publish");
    }
    uint64_t arrived = __atomic_load_n(&received, __ATOMIC_ACQUIRE);
    double seconds = (ended_at - measured_at) / 1e3;
    printf("{\"mode\":\"throughput\",\"target\":\"nats\",\"payload\":%zu,\"window_frames\":%llu,\"seconds\":%.4f,\"messages\":%llu,\"rate\":%.1f,"
           "\"sent_total\":%llu,\"delivered_total\":%llu,\"lost\":%llu}\n",
           payload, (unsigned long long)window, seconds, (unsigned long long)(at_end - at_start), (double)(at_end - at_start) / seconds,
           (unsigned long long)sent, (unsigned long long)arrived, (unsigned long long)(sent - arrived));
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(pub_conn);
    natsConnection_Destroy(sub_conn);
    free(data);
}

/* ---------------------------------------------------------------- round trip */

static char *reply_data;
static size_t reply_len;

static void on_request(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure) {
    (void)sub;
    (void)closure;
    const char *reply_to = natsMsg_GetReply(msg);
    if (reply_to != NULL) natsConnection_Publish(nc, reply_to, reply_data, (int)reply_len);
    natsMsg_Destroy(msg);
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void run_rtt(const char *url, int count, size_t payload) {
    reply_data = malloc(payload + 1);
    char *request = malloc(payload + 1);
    double *latencies = malloc(sizeof(double) * (size_t)count);
    if (reply_data == NULL || request == NULL || latencies == NULL) die("out of memory%s", "");
    reply_len = payload;
    memset(reply_data, 0x72, payload);
    memset(request, 0x71, payload);
    int ready_pipe[2];
    if (pipe(ready_pipe) < 0) die("pipe: %s", strerror(errno));
    fflush(stdout);
    pid_t child = fork();
    if (child < 0) die("fork: %s", strerror(errno));
    if (child == 0) {
        close(ready_pipe[0]);
        natsConnection *nc = connect_to(url, 1);
        natsSubscription *sub;
        check(natsConnection_Subscribe(&sub, nc, RTT_SUBJECT, on_request, NULL), "subscribe");
        check(natsConnection_Flush(nc), "flush the subscription");
        if (write(ready_pipe[1], "r", 1) != 1) die("responder: cannot signal readiness%s", "");
        /* Serves until the parent's SIGTERM; the sleep bounds it if the parent dies without one. */
        sleep(60);
        _exit(0);
    }
    close(ready_pipe[1]);
    natsConnection *nc = connect_to(url, 1);
    char ready_byte;
    if (read(ready_pipe[0], &ready_byte, 1) != 1) die("the responder process did not get ready%s", "");
    close(ready_pipe[0]);
    int warmup = count / 10;
    for (int i = 0; i < warmup + count; i++) {
        natsMsg *reply = NULL;
        double sent_at = now_ms();
        check(natsConnection_Request(&reply, nc, RTT_SUBJECT, request, (int)payload, RTT_REPLY_TIMEOUT_MS), "request");
        double micros = (now_ms() - sent_at) * 1e3;
        natsMsg_Destroy(reply);
        if (i >= warmup) latencies[i - warmup] = micros;
    }
    natsConnection_Destroy(nc);
    kill(child, SIGTERM);
    waitpid(child, NULL, 0);
    qsort(latencies, (size_t)count, sizeof(double), compare_doubles);
    printf("{\"mode\":\"rtt\",\"target\":\"nats\",\"count\":%d,\"warmup\":%d,\"payload\":%zu,\"p50_us\":%.2f,\"p99_us\":%.2f}\n", count, warmup,
           payload, latencies[count / 2], latencies[(size_t)(0.99 * count)]);
}

/* ---------------------------------------------------------------- command line */

static long number(const char *flag, const char *value, long min, long max) {
    char *end;
    long v = value == NULL ? 0 : strtol(value, &end, 10);
    if (value == NULL || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "natsLoad: %s needs a number from %ld to %ld\n", flag, min, max);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fputs("usage: natsLoad throughput|rtt URL [--payload B] [--seconds S] [--warmup-ms MS] [--window-bytes B] [--count N]\n", stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    size_t payload = 64, window_bytes = 1024 * 1024;
    int seconds_ms = 3000, warmup_ms = 500, count = 5000;
    for (int i = 3; i < argc; i += 2) {
        const char *flag = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(flag, "--payload") == 0) payload = (size_t)number(flag, value, 0, 1024 * 1024);
        else if (strcmp(flag, "--seconds") == 0) seconds_ms = (int)(strtod(value == NULL ? "0" : value, NULL) * 1000);
        else if (strcmp(flag, "--warmup-ms") == 0) warmup_ms = (int)number(flag, value, 0, 60000);
        else if (strcmp(flag, "--window-bytes") == 0) window_bytes = (size_t)number(flag, value, 1, 8 * 1024 * 1024);
        else if (strcmp(flag, "--count") == 0) count = (int)number(flag, value, 1, 10000000);
        else die("unknown flag %s", flag);
    }
    if (seconds_ms < 100 || seconds_ms > 3600000) die("--seconds needs a number of seconds from 0.1 to 3600%s", "");
    if (strcmp(argv[1], "throughput") == 0) run_throughput(argv[2], payload, seconds_ms, warmup_ms, window_bytes);
    else if (strcmp(argv[1], "rtt") == 0) run_rtt(argv[2], count, payload);
    else die("unknown mode %s", argv[1]);
    nats_Close();
    return 0;
}
