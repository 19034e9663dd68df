/*
 * cross_driver - the C module of test/clients/crossLanguage.test.ts, speaking the same line
 * protocol as cross_driver.py. Usage: cross_driver ID ADDRESS.
 *
 * Commands on stdin, one per line:   send TO PAYLOAD | broadcast PAYLOAD | request TO PAYLOAD | quit
 * Lines on stdout:                   ready ID
 *                                    got unicast|broadcast from SOURCE: PAYLOAD
 *                                    answered request from SOURCE: PAYLOAD   (replied "ID handled PAYLOAD")
 *                                    reply from SOURCE: PAYLOAD
 *                                    error COMMAND: DESCRIPTION
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "relayscope.h"

#define LINE_BYTES 4096

static void report_error(rs_client *c, const char *command, int rc) {
    const rs_hub_error *hub = rs_last_hub_error(c);
    if ((rc == RS_EHUB || rc == RS_EREFUSED) && hub != NULL) printf("error %s: %s\n", command, rs_hub_error_name(hub->code));
    else printf("error %s: %s\n", command, rs_strerror(rc));
    fflush(stdout);
}

/* Prints (and answers) everything already received, without blocking. */
static int handle_incoming(rs_client *c) {
    rs_message msg;
    int rc;
    while ((rc = rs_receive(c, &msg, 0)) == RS_OK || rc == RS_EHUB) {
        if (rc == RS_EHUB) {
            report_error(c, "receive", rc);
        } else if (msg.kind == RS_KIND_REQUEST) {
            char answer[LINE_BYTES + 300];
            int n = snprintf(answer, sizeof answer, "%s handled %.*s", rs_id(c), (int)msg.payload_len, (const char *)msg.payload);
            printf("answered request from %s: %.*s\n", msg.source, (int)msg.payload_len, (const char *)msg.payload);
            rc = rs_reply(c, &msg, answer, (size_t)n);
            if (rc != RS_OK) report_error(c, "reply", rc);
        } else if (msg.kind == RS_KIND_UNICAST || msg.kind == RS_KIND_BROADCAST) {
            printf("got %s from %s: %.*s\n", msg.kind == RS_KIND_UNICAST ? "unicast" : "broadcast", msg.source, (int)msg.payload_len,
                   (const char *)msg.payload);
        }
    }
    fflush(stdout);
    return rc == RS_ETIMEOUT ? RS_OK : rc;
}

/* Runs one command line; returns 0 on "quit". */
static int run_command(rs_client *c, char *line) {
    char *command = strtok(line, " ");
    char *first = strtok(NULL, " ");
    char *rest = strtok(NULL, "");
    rs_message reply;
    int rc;
    if (command == NULL) return 1;
    if (strcmp(command, "quit") == 0) return 0;
    if (strcmp(command, "broadcast") == 0 && first != NULL) {
        /* The payload is everything after the command. */
        if (rest != NULL) first[strlen(first)] = ' ';
        rc = rs_broadcast(c, first, strlen(first));
    } else if (strcmp(command, "send") == 0 && first != NULL && rest != NULL) {
        rc = rs_send(c, first, rest, strlen(rest));
    } else if (strcmp(command, "request") == 0 && first != NULL && rest != NULL) {
        rc = rs_request(c, first, rest, strlen(rest), 5000, &reply);
        if (rc == RS_OK) printf("reply from %s: %.*s\n", reply.source, (int)reply.payload_len, (const char *)reply.payload);
    } else {
        printf("error %s: unknown command\n", command);
        rc = RS_OK;
    }
    if (rc != RS_OK) report_error(c, command, rc);
    fflush(stdout);
    return 1;
}

int main(int argc, char **argv) {
    char line[LINE_BYTES];
    size_t line_len = 0;
    rs_client *c;
    int rc, running = 1;
    if (argc != 3) {
        fprintf(stderr, "usage: cross_driver ID ADDRESS\n");
        return 2;
    }
    c = rs_client_new();
    if (c == NULL) return 1;
    rc = rs_connect(c, argv[2], argv[1], NULL);
    if (rc != RS_OK) {
        report_error(c, "connect", rc);
        rs_close(c);
        return 1;
    }
    printf("ready %s\n", rs_id(c));
    fflush(stdout);
    while (running) {
        struct pollfd fds[2];
        char *newline;
        ssize_t n;
        rc = handle_incoming(c);
        if (rc != RS_OK) {
            report_error(c, "receive", rc);
            break;
        }
        fds[0].fd = STDIN_FILENO;
        fds[0].events = POLLIN;
        fds[1].fd = rs_fd(c);
        fds[1].events = POLLIN;
        fds[0].revents = fds[1].revents = 0;
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (!(fds[0].revents & (POLLIN | POLLHUP))) continue;
        n = read(STDIN_FILENO, line + line_len, sizeof line - 1 - line_len);
        if (n <= 0) break;
        line_len += (size_t)n;
        while (running && (newline = memchr(line, '\n', line_len)) != NULL) {
            size_t consumed = (size_t)(newline - line) + 1;
            *newline = '\0';
            running = run_command(c, line);
            memmove(line, line + consumed, line_len - consumed);
            line_len -= consumed;
        }
        if (line_len == sizeof line - 1) break;
    }
    rs_close(c);
    return 0;
}
