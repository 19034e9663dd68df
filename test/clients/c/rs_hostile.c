/*
 * rs_hostile - the C client against the hostile hub of test/client/hostileHub.ts, driven by
 * test/clients/cHostile.test.ts. Usage: rs_hostile SCENARIO ADDRESS [ARG]. The hub misbehaves
 * according to the ID a client registers with, so each scenario connects with the ID of the
 * misbehaviour it is about. Each scenario prints its figures on stdout, then "SCENARIO ok", and
 * exits 0; or names the failed check on stderr and exits 1.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "relayscope.h"

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

#define CHECK_RC(expr, expected) check_rc((expr), (expected), #expr, __LINE__)

static void check_rc(int rc, int expected, const char *expr, int line) {
    if (rc == expected) return;
    fprintf(stderr, "%s:%d: %s returned %d (%s), expected %d (%s)\n", __FILE__, line, expr, rc, rs_strerror(rc), expected, rs_strerror(expected));
    exit(1);
}

static long elapsed_ms_since(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - start->tv_sec) * 1000L + (now.tv_nsec - start->tv_nsec) / 1000000L;
}

/* The peak resident set of this process so far (VmHWM), in kB; the test compares it with the queue bound. */
static long peak_rss_kb(void) {
    char line[256];
    long kb = -1;
    FILE *status = fopen("/proc/self/status", "r");
    if (status == NULL) return -1;
    while (fgets(line, sizeof line, status) != NULL) {
        if (strncmp(line, "VmHWM:", 6) == 0) kb = strtol(line + 6, NULL, 10);
    }
    fclose(status);
    return kb;
}

/*
 * With RS_HOSTILE_ADDRESS_SPACE_MB set (the native runs; valgrind needs far more address space), a
 * client that queued without bound fails with RS_ENOMEM instead of taking the machine's memory.
 */
static void limit_address_space(void) {
    const char *mb = getenv("RS_HOSTILE_ADDRESS_SPACE_MB");
    struct rlimit limit;
    if (mb == NULL) return;
    limit.rlim_cur = (rlim_t)strtol(mb, NULL, 10) * 1024 * 1024;
    limit.rlim_max = limit.rlim_cur;
    CHECK(setrlimit(RLIMIT_AS, &limit) == 0);
}

static rs_client *connect_as(const char *address, const char *id, const rs_connect_options *options) {
    rs_client *c = rs_client_new();
    CHECK(c != NULL);
    CHECK_RC(rs_connect(c, address, id, options), RS_OK);
    return c;
}

/* A request nobody answers, while the hub streams (ID flood, flood-small, trickle or ping-flood): it must end at its deadline. */
static void scenario_request(const char *address, const char *id, int timeout_ms) {
    rs_client *c = connect_as(address, id, NULL);
    rs_message reply;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    CHECK_RC(rs_request(c, "nobody", "anyone?", 7, timeout_ms, &reply), RS_ETIMEOUT);
    printf("%s: request timed out after %ld ms, peak rss %ld kB, dropped %llu\n", id, elapsed_ms_since(&start), peak_rss_kb(),
           (unsigned long long)rs_dropped(c));
    rs_close(c);
}

/* rs_receive while the hub floods PINGs and reads nothing: the PONGs it owes must not block it. */
static void scenario_receive(const char *address, const char *id, int timeout_ms) {
    rs_client *c = connect_as(address, id, NULL);
    rs_message msg;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    CHECK_RC(rs_receive(c, &msg, timeout_ms), RS_ETIMEOUT);
    printf("%s: receive timed out after %ld ms, peak rss %ld kB\n", id, elapsed_ms_since(&start), peak_rss_kb());
    rs_close(c);
}

/* A hub that stopped reading: a write larger than the socket buffers ends at the send timeout and closes the connection. */
static void scenario_send_stalled(const char *address, int timeout_ms) {
    const size_t size = 4 * 1024 * 1024;
    rs_connect_options options;
    rs_client *c;
    unsigned char *payload = calloc(size, 1);
    struct timespec start;
    CHECK(payload != NULL);
    memset(&options, 0, sizeof options);
    options.send_timeout_ms = timeout_ms;
    c = connect_as(address, "stalled", &options);
    clock_gettime(CLOCK_MONOTONIC, &start);
    CHECK_RC(rs_send(c, "nobody", payload, size), RS_ETIMEOUT);
    printf("stalled: send timed out after %ld ms\n", elapsed_ms_since(&start));
    CHECK(!rs_is_connected(c));
    CHECK_RC(rs_send(c, "nobody", "x", 1), RS_ECLOSED);
    free(payload);
    rs_close(c);
}

static void scenario_version_2(const char *address) {
    rs_client *c = rs_client_new();
    CHECK(c != NULL);
    CHECK_RC(rs_connect(c, address, "version-2", NULL), RS_EVERSION);
    CHECK(!rs_is_connected(c));
    printf("version-2: %s\n", rs_strerror(RS_EVERSION));
    rs_close(c);
}

/* A BYE whose reason is empty: the end of the connection, with the code and an empty message. */
static void scenario_bye_empty(const char *address) {
    rs_client *c = connect_as(address, "bye-empty", NULL);
    rs_message msg;
    const rs_hub_error *hub;
    CHECK_RC(rs_receive(c, &msg, 5000), RS_ECLOSED);
    hub = rs_last_hub_error(c);
    CHECK(hub != NULL);
    CHECK(hub->code == RS_HUB_SHUTDOWN && hub->message[0] == '\0' && hub->ref[0] == '\0');
    printf("bye-empty: %s with \"%s\"\n", rs_hub_error_name(hub->code), hub->message);
    rs_close(c);
}

/* A length prefix of 0 is refused as soon as its four bytes are in, not when more bytes come. */
static void scenario_zero_length(const char *address) {
    rs_client *c = connect_as(address, "zero-length", NULL);
    rs_message msg;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    CHECK_RC(rs_receive(c, &msg, 5000), RS_EPROTO);
    printf("zero-length: refused after %ld ms\n", elapsed_ms_since(&start));
    CHECK(!rs_is_connected(c));
    rs_close(c);
}

/* Connecting to a hub run by another user: RS_EOWNER naming its uid, or, with the uid trusted, success. */
static void scenario_owner(const char *address, const char *expected) {
    rs_client *c = rs_client_new();
    int rc;
    CHECK(c != NULL);
    rc = rs_connect(c, address, "owner", NULL);
    printf("owner: %s (hub uid %ld)\n", rs_strerror(rc), rs_hub_uid(c));
    CHECK_RC(rc, strcmp(expected, "refused") == 0 ? RS_EOWNER : RS_OK);
    rs_close(c);
}

int main(int argc, char **argv) {
    const char *scenario, *address;
    int timeout_ms = argc >= 4 ? atoi(argv[3]) : 0;
    if (argc < 3) {
        fprintf(stderr, "usage: rs_hostile SCENARIO ADDRESS [ARG]\n");
        return 2;
    }
    scenario = argv[1];
    address = argv[2];
    limit_address_space();
    if (strcmp(scenario, "request_flood") == 0 && argc == 4) scenario_request(address, "flood", timeout_ms);
    else if (strcmp(scenario, "request_flood_small") == 0 && argc == 4) scenario_request(address, "flood-small", timeout_ms);
    else if (strcmp(scenario, "request_trickle") == 0 && argc == 4) scenario_request(address, "trickle", timeout_ms);
    else if (strcmp(scenario, "request_ping_flood") == 0 && argc == 4) scenario_request(address, "ping-flood", timeout_ms);
    else if (strcmp(scenario, "receive_ping_flood") == 0 && argc == 4) scenario_receive(address, "ping-flood", timeout_ms);
    else if (strcmp(scenario, "send_stalled") == 0 && argc == 4) scenario_send_stalled(address, timeout_ms);
    else if (strcmp(scenario, "version_2") == 0) scenario_version_2(address);
    else if (strcmp(scenario, "bye_empty") == 0) scenario_bye_empty(address);
    else if (strcmp(scenario, "zero_length") == 0) scenario_zero_length(address);
    else if (strcmp(scenario, "owner") == 0 && argc == 4) scenario_owner(address, argv[3]);
    else if (strcmp(scenario, "all") == 0 && argc == 4) {
        /* One process through every hostile scenario, for the valgrind and UBSan runs. */
        scenario_request(address, "flood", timeout_ms);
        scenario_request(address, "flood-small", timeout_ms);
        scenario_request(address, "trickle", timeout_ms);
        scenario_request(address, "ping-flood", timeout_ms);
        scenario_receive(address, "ping-flood", timeout_ms);
        scenario_send_stalled(address, timeout_ms);
        scenario_version_2(address);
        scenario_bye_empty(address);
        scenario_zero_length(address);
    } else {
        fprintf(stderr, "rs_hostile: unknown scenario or missing argument: %s\n", scenario);
        return 2;
    }
    printf("%s ok\n", scenario);
    return 0;
}
