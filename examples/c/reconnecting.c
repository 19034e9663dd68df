/*
 * reconnecting - a module that outlives hub restarts. It registers as ID, prints every message
 * it receives as "ID received "PAYLOAD" from SOURCE", and when the hub goes away it prints
 * "connection lost: ...", reconnects with backoff (registering again with TAKEOVER) and prints
 * "connected as ID" again. Each failed attempt is reported on stderr with the address and the
 * reason. With COUNT it exits after that many messages; otherwise it runs until it is killed.
 *
 *     examples/c/reconnecting sensor [COUNT]
 *
 * The hub address follows the usual rules ($RELAYSCOPE_SOCKET, ...; `relayscope socket` prints it).
 * The hub need not be running yet when it starts.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "example_errors.h"
#include "relayscope.h"

#define INITIAL_DELAY_MS 100
#define MAX_DELAY_MS 2000

static void describe_loss(rs_client *c, int rc) {
    const rs_hub_error *hub = rs_last_hub_error(c);
    if (hub != NULL)
        printf("connection lost: %s (%s)\n", hub->message, rs_hub_error_name(hub->code));
    else
        printf("connection lost: %s\n", rs_strerror(rc));
    fflush(stdout);
}

static void sleep_ms(int ms) {
    struct timespec pause;
    pause.tv_sec = ms / 1000;
    pause.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&pause, &pause) != 0) {
    }
}

/* Whether trying again cannot help: a bad ID or token, a hub of another user or protocol version. */
static int is_final(rs_client *c, int rc) {
    const rs_hub_error *hub = rs_last_hub_error(c);
    if (rc == RS_EINVAL || rc == RS_ENOMEM || rc == RS_EADDR || rc == RS_EOWNER || rc == RS_EVERSION) return 1;
    if (rc != RS_EREFUSED || hub == NULL) return 0;
    return hub->code != RS_HUB_ID_IN_USE && hub->code != RS_HUB_TOO_MANY_CONNECTIONS && hub->code != RS_HUB_SHUTDOWN && hub->code != RS_HUB_HELLO_REQUIRED;
}

/*
 * Connects again one attempt at a time (rs_reconnect with max_attempts 1), so that each failure is
 * reported: "reconnecting: attempt N (ADDRESS): REASON; next attempt in D ms". Returns RS_OK or the
 * error that makes further attempts pointless.
 */
static int reconnect_reporting(rs_client *c) {
    rs_reconnect_options once = {0, 0, 1, 0};
    int delay = INITIAL_DELAY_MS, attempt, rc;
    char reason[512];
    for (attempt = 1;; attempt++) {
        rc = rs_reconnect(c, &once);
        if (rc == RS_OK || is_final(c, rc)) return rc;
        describe_reason(c, rc, reason, sizeof reason);
        fprintf(stderr, "reconnecting: attempt %d (%s): %s; next attempt in %d ms\n", attempt, rs_address(c), reason, delay);
        sleep_ms(delay);
        delay = delay > MAX_DELAY_MS / 2 ? MAX_DELAY_MS : delay * 2;
    }
}

int main(int argc, char **argv) {
    rs_client *c;
    rs_message msg;
    long count = 0, received = 0;
    int rc;

    if (argc < 2 || argc > 3 || (argc == 3 && (count = strtol(argv[2], NULL, 10)) <= 0)) {
        fprintf(stderr, "usage: reconnecting ID [COUNT]\n");
        return 2;
    }
    c = rs_client_new();
    if (c == NULL) {
        fprintf(stderr, "reconnecting: out of memory\n");
        return 1;
    }
    rc = rs_connect(c, NULL, argv[1], NULL);
    /* A hub that is not up yet is waited for like a restarting one; a refusal is final. */
    if (rc != RS_OK && rc != RS_EREFUSED && rc != RS_EINVAL) {
        print_failure("reconnecting", c, "connect", rc);
        rc = reconnect_reporting(c);
    }
    if (rc != RS_OK) {
        print_failure("reconnecting", c, "connect", rc);
        rs_close(c);
        return 1;
    }
    printf("connected as %s\n", rs_id(c));
    fflush(stdout);

    while (count == 0 || received < count) {
        rc = rs_receive(c, &msg, -1);
        if (rc == RS_OK) {
            if (msg.kind <= RS_KIND_REPLY) {
                printf("%s received \"%.*s\" from %s\n", rs_id(c), (int)msg.payload_len, (const char *)msg.payload, msg.source);
                fflush(stdout);
                received++;
            }
            continue;
        }
        if (rc == RS_EHUB) continue;
        describe_loss(c, rc);
        rc = reconnect_reporting(c);
        if (rc != RS_OK) {
            print_failure("reconnecting", c, "gave up", rc);
            rs_close(c);
            return 1;
        }
        printf("connected as %s\n", rs_id(c));
        fflush(stdout);
    }
    rs_close(c);
    return 0;
}
