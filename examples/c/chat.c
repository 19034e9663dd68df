/*
 * chat - a chat room on the hub. Every line typed on standard input is broadcast to all other
 * members; what they say is printed as "NAME: text", and members coming and going as
 * "* NAME joined" / "* NAME left" (from the hub's presence notices). End of input leaves the room.
 *
 *     examples/c/chat alice
 *
 * The hub address follows the usual rules ($RELAYSCOPE_SOCKET, ...).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "example_errors.h"
#include "relayscope.h"

#define LINE_MAX_BYTES 4096

static int fail(rs_client *c, const char *what, int rc) {
    print_failure("chat", c, what, rc);
    rs_close(c);
    return 1;
}

/* Prints everything the client has buffered or the socket has ready, without blocking. */
static int print_incoming(rs_client *c) {
    rs_message msg;
    int rc;
    while ((rc = rs_receive(c, &msg, 0)) == RS_OK) {
        if (msg.kind == RS_KIND_JOIN) printf("* %s joined\n", msg.source);
        else if (msg.kind == RS_KIND_LEAVE) printf("* %s left\n", msg.source);
        else printf("%s: %.*s\n", msg.source, (int)msg.payload_len, (const char *)msg.payload);
    }
    fflush(stdout);
    return rc == RS_ETIMEOUT ? RS_OK : rc;
}

int main(int argc, char **argv) {
    char line[LINE_MAX_BYTES];
    size_t line_len = 0;
    rs_client *c;
    int rc;

    if (argc != 2) {
        fprintf(stderr, "usage: chat NAME\n");
        return 2;
    }
    c = rs_client_new();
    if (c == NULL) {
        fprintf(stderr, "chat: out of memory\n");
        return 1;
    }
    rc = rs_connect(c, NULL, argv[1], NULL);
    if (rc != RS_OK) return fail(c, "connect", rc);
    rc = rs_subscribe_presence(c, 1, 5000);
    if (rc != RS_OK) return fail(c, "subscribe to presence", rc);
    printf("* you are %s\n", rs_id(c));
    fflush(stdout);

    for (;;) {
        struct pollfd fds[2];
        ssize_t n;
        char *newline;

        /* Drain first: the client may hold messages it read while sending. */
        rc = print_incoming(c);
        if (rc != RS_OK) return fail(c, "receive", rc);
        fds[0].fd = STDIN_FILENO;
        fds[0].events = POLLIN;
        fds[1].fd = rs_fd(c);
        fds[1].events = POLLIN;
        fds[0].revents = fds[1].revents = 0;
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            perror("chat: poll");
            rs_close(c);
            return 1;
        }
        if (!(fds[0].revents & (POLLIN | POLLHUP))) continue;

        n = read(STDIN_FILENO, line + line_len, sizeof line - line_len);
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("chat: read");
            rs_close(c);
            return 1;
        }
        if (n == 0) break;
        line_len += (size_t)n;
        /* Broadcast each complete line; a line longer than the buffer goes out in pieces. */
        while ((newline = memchr(line, '\n', line_len)) != NULL || line_len == sizeof line) {
            size_t text_len = newline != NULL ? (size_t)(newline - line) : line_len;
            size_t consumed = newline != NULL ? text_len + 1 : line_len;
            rc = rs_broadcast(c, line, text_len);
            if (rc != RS_OK) return fail(c, "broadcast", rc);
            memmove(line, line + consumed, line_len - consumed);
            line_len -= consumed;
        }
    }
    if (line_len > 0) {
        rc = rs_broadcast(c, line, line_len);
        if (rc != RS_OK) return fail(c, "broadcast", rc);
    }
    rs_close(c);
    return 0;
}
