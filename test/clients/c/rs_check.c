/*
 * rs_check - scenarios exercising the Relayscope C client against a real hub, driven by
 * test/clients/c.test.ts. Usage: rs_check SCENARIO ADDRESS [ARG]; ADDRESS "-" means the default
 * address rules. Each scenario prints "SCENARIO ok" and exits 0, or names the failed check on
 * stderr and exits 1. Module IDs carry the scenario's name, so scenarios can share one hub.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "relayscope.h"

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

#define CHECK_RC(c, expr, expected) check_rc((c), (expr), (expected), #expr, __LINE__)

static void check_rc(rs_client *c, int rc, int expected, const char *expr, int line) {
    const rs_hub_error *hub;
    if (rc == expected) return;
    hub = rs_last_hub_error(c);
    fprintf(stderr, "%s:%d: %s returned %d (%s), expected %d (%s)", __FILE__, line, expr, rc, rs_strerror(rc), expected, rs_strerror(expected));
    if (hub != NULL) fprintf(stderr, "; last hub error %s: %s", rs_hub_error_name(hub->code), hub->message);
    fprintf(stderr, "\n");
    exit(1);
}

/* "-" selects the default address rules. */
static const char *address_arg(const char *arg) {
    return strcmp(arg, "-") == 0 ? NULL : arg;
}

/* IDs are "<scenario>-<name>" so that scenarios never collide on a shared hub. */
static void make_id(char *out, size_t size, const char *scenario, const char *name) {
    snprintf(out, size, "%s-%s", scenario, name);
}

static rs_client *connect_as(const char *address, const char *id) {
    rs_client *c = rs_client_new();
    CHECK(c != NULL);
    CHECK_RC(c, rs_connect(c, address, id, NULL), RS_OK);
    CHECK(strcmp(rs_id(c), id) == 0);
    CHECK(rs_is_connected(c));
    return c;
}

static void expect_message(rs_client *c, int kind, const char *source, const char *payload) {
    rs_message msg;
    CHECK_RC(c, rs_receive(c, &msg, 5000), RS_OK);
    CHECK(msg.kind == kind);
    CHECK(strcmp(msg.source, source) == 0);
    CHECK(msg.payload_len == strlen(payload));
    CHECK(memcmp(msg.payload, payload, msg.payload_len) == 0);
    CHECK(msg.payload[msg.payload_len] == '\0');
}

static void expect_silence(rs_client *c) {
    rs_message msg;
    CHECK_RC(c, rs_receive(c, &msg, 200), RS_ETIMEOUT);
}

static long elapsed_ms_since(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - start->tv_sec) * 1000L + (now.tv_nsec - start->tv_nsec) / 1000000L;
}

/* A sends to B, B answers A; both see the other's ID as the source; LIST shows both in order. */
static void scenario_unicast(const char *address) {
    char a_id[64], b_id[64], **ids;
    size_t count;
    rs_client *a, *b;
    make_id(a_id, sizeof a_id, "unicast", "A");
    make_id(b_id, sizeof b_id, "unicast", "B");
    a = connect_as(address, a_id);
    b = connect_as(address, b_id);
    CHECK_RC(a, rs_send(a, b_id, "ping", 4), RS_OK);
    expect_message(b, RS_KIND_UNICAST, a_id, "ping");
    CHECK_RC(b, rs_send(b, a_id, "pong", 4), RS_OK);
    expect_message(a, RS_KIND_UNICAST, b_id, "pong");
    CHECK_RC(a, rs_send(a, b_id, NULL, 0), RS_OK);
    expect_message(b, RS_KIND_UNICAST, a_id, "");
    CHECK_RC(a, rs_list(a, &ids, &count, 5000), RS_OK);
    CHECK(count == 2);
    CHECK(strcmp(ids[0], a_id) == 0 && strcmp(ids[1], b_id) == 0);
    rs_free_list(ids, count);
    rs_close(a);
    rs_close(b);
}

/* A broadcast reaches every other module, not the sender. */
static void scenario_broadcast(const char *address) {
    char a_id[64], b_id[64], c_id[64];
    rs_client *a, *b, *c;
    make_id(a_id, sizeof a_id, "broadcast", "A");
    make_id(b_id, sizeof b_id, "broadcast", "B");
    make_id(c_id, sizeof c_id, "broadcast", "C");
    a = connect_as(address, a_id);
    b = connect_as(address, b_id);
    c = connect_as(address, c_id);
    CHECK_RC(a, rs_broadcast(a, "tick", 4), RS_OK);
    expect_message(b, RS_KIND_BROADCAST, a_id, "tick");
    expect_message(c, RS_KIND_BROADCAST, a_id, "tick");
    expect_silence(a);
    rs_close(a);
    rs_close(b);
    rs_close(c);
}

/* Presence notices come through rs_receive as JOIN and LEAVE. */
static void scenario_presence(const char *address) {
    char a_id[64], d_id[64];
    rs_client *a, *d;
    make_id(a_id, sizeof a_id, "presence", "A");
    make_id(d_id, sizeof d_id, "presence", "D");
    a = connect_as(address, a_id);
    CHECK_RC(a, rs_subscribe_presence(a, 1, 5000), RS_OK);
    d = connect_as(address, d_id);
    expect_message(a, RS_KIND_JOIN, d_id, "");
    rs_close(d);
    expect_message(a, RS_KIND_LEAVE, d_id, "");
    rs_close(a);
}

/* The responder runs in a child process, since rs_request blocks its caller. */
static void respond_once(const char *address, const char *id, const char *requester_id, int ready_fd) {
    rs_client *b = connect_as(address, id);
    rs_message msg;
    char answer[128];
    CHECK(write(ready_fd, "r", 1) == 1);
    close(ready_fd);
    CHECK_RC(b, rs_receive(b, &msg, 5000), RS_OK);
    CHECK(msg.kind == RS_KIND_REQUEST);
    CHECK(strcmp(msg.source, requester_id) == 0);
    CHECK(msg.correlation_id != 0);
    /* Sent before the reply: the requester must queue it, not lose it. */
    CHECK_RC(b, rs_send(b, requester_id, "early", 5), RS_OK);
    snprintf(answer, sizeof answer, "re:%.*s", (int)msg.payload_len, (const char *)msg.payload);
    CHECK_RC(b, rs_reply(b, &msg, answer, strlen(answer)), RS_OK);
    rs_close(b);
}

static void scenario_request(const char *address) {
    char a_id[64], b_id[64], ready;
    int ready_pipe[2], status;
    pid_t child;
    rs_client *a;
    rs_message reply;
    make_id(a_id, sizeof a_id, "request", "A");
    make_id(b_id, sizeof b_id, "request", "B");
    CHECK(pipe(ready_pipe) == 0);
    child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        close(ready_pipe[0]);
        respond_once(address, b_id, a_id, ready_pipe[1]);
        exit(0);
    }
    close(ready_pipe[1]);
    a = connect_as(address, a_id);
    CHECK(read(ready_pipe[0], &ready, 1) == 1);
    close(ready_pipe[0]);
    CHECK_RC(a, rs_request(a, b_id, "question", 8, 5000, &reply), RS_OK);
    CHECK(reply.kind == RS_KIND_REPLY);
    CHECK(strcmp(reply.source, b_id) == 0);
    CHECK(reply.payload_len == 11 && memcmp(reply.payload, "re:question", 11) == 0);
    expect_message(a, RS_KIND_UNICAST, b_id, "early");
    CHECK(waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    rs_close(a);
}

/* An unknown destination: an rs_send learns it from rs_receive, an rs_request at once. */
static void scenario_no_such_module(const char *address) {
    char a_id[64];
    rs_client *a;
    rs_message msg;
    const rs_hub_error *hub;
    make_id(a_id, sizeof a_id, "nosuch", "A");
    a = connect_as(address, a_id);
    CHECK_RC(a, rs_send(a, "nobody", "x", 1), RS_OK);
    CHECK_RC(a, rs_receive(a, &msg, 5000), RS_EHUB);
    hub = rs_last_hub_error(a);
    CHECK(hub != NULL);
    CHECK(hub->code == RS_HUB_NO_SUCH_MODULE);
    CHECK(strcmp(hub->ref, "nobody") == 0);
    printf("send: %s: %s\n", rs_hub_error_name(hub->code), hub->message);
    CHECK_RC(a, rs_request(a, "nobody", "x", 1, 5000, &msg), RS_EHUB);
    hub = rs_last_hub_error(a);
    CHECK(hub->code == RS_HUB_NO_SUCH_MODULE && hub->correlation_id != 0);
    printf("request: %s: %s\n", rs_hub_error_name(hub->code), hub->message);
    CHECK(rs_is_connected(a));
    rs_close(a);
}

/* A second module asking for a held ID is refused; the holder is unaffected. */
static void scenario_id_in_use(const char *address) {
    char a_id[64];
    rs_client *holder, *second;
    const rs_hub_error *hub;
    make_id(a_id, sizeof a_id, "inuse", "A");
    holder = connect_as(address, a_id);
    second = rs_client_new();
    CHECK(second != NULL);
    CHECK_RC(second, rs_connect(second, address, a_id, NULL), RS_EREFUSED);
    CHECK(!rs_is_connected(second));
    hub = rs_last_hub_error(second);
    CHECK(hub != NULL && hub->code == RS_HUB_ID_IN_USE && strcmp(hub->ref, a_id) == 0);
    printf("connect: %s: %s\n", rs_hub_error_name(hub->code), hub->message);
    CHECK_RC(second, rs_send(second, a_id, "x", 1), RS_ECLOSED);
    rs_close(second);
    CHECK_RC(holder, rs_send(holder, a_id, "self", 4), RS_OK);
    expect_message(holder, RS_KIND_UNICAST, a_id, "self");
    rs_close(holder);
}

static void scenario_receive_timeout(const char *address, int timeout_ms) {
    char a_id[64];
    rs_client *a;
    rs_message msg;
    struct timespec start;
    make_id(a_id, sizeof a_id, "rtimeout", "A");
    a = connect_as(address, a_id);
    clock_gettime(CLOCK_MONOTONIC, &start);
    CHECK_RC(a, rs_receive(a, &msg, timeout_ms), RS_ETIMEOUT);
    printf("receive timed out after %ld ms\n", elapsed_ms_since(&start));
    rs_close(a);
}

/* A request nobody answers in time; the late reply then arrives through rs_receive. */
static void scenario_request_timeout(const char *address) {
    char a_id[64], b_id[64];
    rs_client *a, *b;
    rs_message reply, request;
    struct timespec start;
    make_id(a_id, sizeof a_id, "qtimeout", "A");
    make_id(b_id, sizeof b_id, "qtimeout", "B");
    a = connect_as(address, a_id);
    b = connect_as(address, b_id);
    clock_gettime(CLOCK_MONOTONIC, &start);
    CHECK_RC(a, rs_request(a, b_id, "slow?", 5, 300, &reply), RS_ETIMEOUT);
    printf("request timed out after %ld ms\n", elapsed_ms_since(&start));
    CHECK_RC(b, rs_receive(b, &request, 5000), RS_OK);
    CHECK(request.kind == RS_KIND_REQUEST);
    CHECK_RC(b, rs_reply(b, &request, "late", 4), RS_OK);
    expect_message(a, RS_KIND_REPLY, b_id, "late");
    rs_close(a);
    rs_close(b);
}

static unsigned char pattern_byte(size_t i) {
    return (unsigned char)((i * 31 + 7) & 0xff);
}

/* 1 MiB each way: the writes and reads are necessarily partial; a payload over maxPayload is refused locally. */
static void scenario_large(const char *address) {
    const size_t size = 1024 * 1024;
    char a_id[64], b_id[64];
    unsigned char *big, *too_big;
    size_t i, over;
    rs_client *a, *b;
    rs_message msg;
    make_id(a_id, sizeof a_id, "large", "A");
    make_id(b_id, sizeof b_id, "large", "B");
    a = connect_as(address, a_id);
    b = connect_as(address, b_id);
    big = malloc(size);
    CHECK(big != NULL);
    for (i = 0; i < size; i++) big[i] = pattern_byte(i);
    CHECK_RC(a, rs_send(a, b_id, big, size), RS_OK);
    CHECK_RC(b, rs_receive(b, &msg, 10000), RS_OK);
    CHECK(msg.payload_len == size && memcmp(msg.payload, big, size) == 0);
    CHECK_RC(b, rs_send(b, a_id, msg.payload, msg.payload_len), RS_OK);
    CHECK_RC(a, rs_receive(a, &msg, 10000), RS_OK);
    CHECK(strcmp(msg.source, b_id) == 0);
    CHECK(msg.payload_len == size && memcmp(msg.payload, big, size) == 0);
    free(big);

    over = (size_t)rs_max_payload(a) + 1;
    too_big = calloc(over, 1);
    CHECK(too_big != NULL);
    CHECK_RC(a, rs_send(a, b_id, too_big, over), RS_ETOOBIG);
    free(too_big);
    CHECK(rs_is_connected(a));
    rs_close(a);
    rs_close(b);
}

/* Against a hub with a short idle timeout: the client answers its PINGs while it waits. */
static void scenario_keepalive(const char *address, int wait_ms) {
    char a_id[64];
    rs_client *a;
    rs_message msg;
    make_id(a_id, sizeof a_id, "keepalive", "A");
    a = connect_as(address, a_id);
    CHECK_RC(a, rs_receive(a, &msg, wait_ms), RS_ETIMEOUT);
    CHECK(rs_is_connected(a));
    CHECK_RC(a, rs_send(a, a_id, "alive", 5), RS_OK);
    expect_message(a, RS_KIND_UNICAST, a_id, "alive");
    rs_close(a);
}

/* Driven step by step by the test, which restarts the hub after "ready". */
static void scenario_reconnect(const char *address) {
    rs_reconnect_options backoff = {50, 500, 0, 15000};
    rs_client *r = connect_as(address, "reconnect-R");
    rs_message msg;
    const rs_hub_error *hub;
    int rc;
    CHECK_RC(r, rs_subscribe_presence(r, 1, 5000), RS_OK);
    printf("ready\n");
    fflush(stdout);
    rc = rs_receive(r, &msg, 15000);
    CHECK_RC(r, rc, RS_ECLOSED);
    CHECK(!rs_is_connected(r));
    hub = rs_last_hub_error(r);
    printf("lost: %s\n", hub != NULL ? rs_hub_error_name(hub->code) : "no hub error");
    fflush(stdout);
    CHECK_RC(r, rs_reconnect(r, &backoff), RS_OK);
    CHECK(rs_is_connected(r));
    printf("reconnected as %s\n", rs_id(r));
    fflush(stdout);
    for (;;) {
        CHECK_RC(r, rs_receive(r, &msg, 10000), RS_OK);
        if (msg.kind == RS_KIND_JOIN) {
            printf("join %s\n", msg.source);
            fflush(stdout);
            continue;
        }
        printf("received \"%.*s\" from %s\n", (int)msg.payload_len, (const char *)msg.payload, msg.source);
        break;
    }
    rs_close(r);
}

int main(int argc, char **argv) {
    const char *scenario, *address;
    if (argc < 3) {
        fprintf(stderr, "usage: rs_check SCENARIO ADDRESS [ARG]\n");
        return 2;
    }
    scenario = argv[1];
    address = address_arg(argv[2]);
    if (strcmp(scenario, "unicast") == 0) scenario_unicast(address);
    else if (strcmp(scenario, "broadcast") == 0) scenario_broadcast(address);
    else if (strcmp(scenario, "presence") == 0) scenario_presence(address);
    else if (strcmp(scenario, "request") == 0) scenario_request(address);
    else if (strcmp(scenario, "no_such_module") == 0) scenario_no_such_module(address);
    else if (strcmp(scenario, "id_in_use") == 0) scenario_id_in_use(address);
    else if (strcmp(scenario, "receive_timeout") == 0 && argc == 4) scenario_receive_timeout(address, atoi(argv[3]));
    else if (strcmp(scenario, "request_timeout") == 0) scenario_request_timeout(address);
    else if (strcmp(scenario, "large") == 0) scenario_large(address);
    else if (strcmp(scenario, "keepalive") == 0 && argc == 4) scenario_keepalive(address, atoi(argv[3]));
    else if (strcmp(scenario, "reconnect") == 0) scenario_reconnect(address);
    else if (strcmp(scenario, "all") == 0) {
        /* One process through most scenarios, for the valgrind run. */
        scenario_unicast(address);
        scenario_broadcast(address);
        scenario_presence(address);
        scenario_request(address);
        scenario_no_such_module(address);
        scenario_id_in_use(address);
        scenario_request_timeout(address);
        scenario_large(address);
    } else {
        fprintf(stderr, "rs_check: unknown scenario or missing argument: %s\n", scenario);
        return 2;
    }
    printf("%s ok\n", scenario);
    return 0;
}
