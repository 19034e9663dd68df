/*
 * ab_demo - the classic relay demo: two modules each send one message to the other and print
 * what they received and from whom. Run it as two processes against one hub:
 *
 *     examples/c/ab_demo A B 1 &
 *     examples/c/ab_demo B A 2
 *
 * prints "B received "1" from A" and "A received "2" from B". Either side may start first: each
 * waits (up to 10 s) for its peer to be connected before sending. The hub address follows the
 * usual rules ($RELAYSCOPE_SOCKET, else $XDG_RUNTIME_DIR/relayscope.sock, else
 * /tmp/relayscope-$UID/relayscope.sock; `relayscope socket` prints it).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>

#include "example_errors.h"
#include "relayscope.h"

#define PEER_WAIT_MS 10000

static int fail(rs_client *c, const char *what, int rc) {
    print_failure("ab_demo", c, what, rc);
    rs_close(c);
    return 1;
}

/* Whether `peer` is connected right now. */
static int peer_listed(rs_client *c, const char *peer, int *rc) {
    char **ids;
    size_t count, i;
    int found = 0;
    *rc = rs_list(c, &ids, &count, 5000);
    if (*rc != RS_OK) return 0;
    for (i = 0; i < count; i++) found |= strcmp(ids[i], peer) == 0;
    rs_free_list(ids, count);
    return found;
}

int main(int argc, char **argv) {
    const char *self, *peer, *payload;
    rs_client *c;
    rs_message msg;
    int rc, peer_ready, sent = 0, received = 0;

    if (argc != 4) {
        fprintf(stderr, "usage: ab_demo SELF PEER PAYLOAD\n");
        return 2;
    }
    self = argv[1];
    peer = argv[2];
    payload = argv[3];

    c = rs_client_new();
    if (c == NULL) {
        fprintf(stderr, "ab_demo: out of memory\n");
        return 1;
    }
    rc = rs_connect(c, NULL, self, NULL);
    if (rc != RS_OK) return fail(c, "connect", rc);
    /* Subscribe before listing, so a peer joining in between is still announced. */
    rc = rs_subscribe_presence(c, 1, 5000);
    if (rc != RS_OK) return fail(c, "subscribe to presence", rc);
    peer_ready = peer_listed(c, peer, &rc);
    if (rc != RS_OK) return fail(c, "list", rc);

    while (!sent || !received) {
        if (peer_ready && !sent) {
            rc = rs_send(c, peer, payload, strlen(payload));
            if (rc != RS_OK) return fail(c, "send", rc);
            sent = 1;
        }
        rc = rs_receive(c, &msg, PEER_WAIT_MS);
        if (rc == RS_ETIMEOUT) return fail(c, peer_ready ? "waiting for a message" : "waiting for the peer", rc);
        if (rc != RS_OK) return fail(c, "receive", rc);
        if (msg.kind == RS_KIND_JOIN && strcmp(msg.source, peer) == 0) {
            peer_ready = 1;
        } else if (msg.kind == RS_KIND_UNICAST && strcmp(msg.source, peer) == 0) {
            printf("%s received \"%.*s\" from %s\n", self, (int)msg.payload_len, (const char *)msg.payload, msg.source);
            fflush(stdout);
            received = 1;
        }
    }
    rs_close(c);
    return 0;
}
