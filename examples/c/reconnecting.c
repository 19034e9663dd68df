/*
 * reconnecting - a module that outlives hub restarts. It registers as ID, prints every message
 * it receives as "ID received "PAYLOAD" from SOURCE", and when the hub goes away it prints
 * "connection lost: ...", reconnects with backoff (registering again with TAKEOVER) and prints
 * "connected as ID" again. With COUNT it exits after that many messages; otherwise it runs until
 * it is killed.
 *
 *     examples/c/reconnecting sensor [COUNT]
 *
 * The hub address follows the usual rules ($RELAYSCOPE_SOCKET, ...). The hub need not be running
 * yet when it starts.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>

#include "relayscope.h"

static void describe_loss(rs_client *c, int rc) {
    const rs_hub_error *hub = rs_last_hub_error(c);
    if (hub != NULL)
        printf("connection lost: %s (%s)\n", hub->message, rs_hub_error_name(hub->code));
    else
        printf("connection lost: %s\n", rs_strerror(rc));
    fflush(stdout);
}

int main(int argc, char **argv) {
    rs_reconnect_options backoff = {100, 2000, 0, 0};
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
    if (rc != RS_OK && rc != RS_EREFUSED && rc != RS_EINVAL) rc = rs_reconnect(c, &backoff);
    if (rc != RS_OK) {
        const rs_hub_error *hub = rs_last_hub_error(c);
        fprintf(stderr, "reconnecting: connect: %s\n", hub != NULL ? hub->message : rs_strerror(rc));
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
        rc = rs_reconnect(c, &backoff);
        if (rc != RS_OK) {
            fprintf(stderr, "reconnecting: gave up: %s\n", rs_strerror(rc));
            rs_close(c);
            return 1;
        }
        printf("connected as %s\n", rs_id(c));
        fflush(stdout);
    }
    rs_close(c);
    return 0;
}
