/*
 * example_errors.h - the error lines the C examples print: what failed, the hub address, the
 * client's reason (rs_strerror, the system's words for rs_last_errno, or the hub's own message),
 * and for a failed connect what to do about it.
 */
#ifndef EXAMPLE_ERRORS_H
#define EXAMPLE_ERRORS_H

#include <stdio.h>
#include <string.h>

#include "relayscope.h"

/* Writes the reason for `rc` into `buf`: the hub's message, or rs_strerror and the system's words for rs_last_errno. */
static void describe_reason(rs_client *c, int rc, char *buf, size_t size) {
    const rs_hub_error *hub = rs_last_hub_error(c);
    int sys = rs_last_errno(c);
    if ((rc == RS_EHUB || rc == RS_EREFUSED || rc == RS_ECLOSED) && hub != NULL)
        snprintf(buf, size, "%s (%s)", hub->message, rs_hub_error_name(hub->code));
    else if ((rc == RS_ECONNECT || rc == RS_EIO) && sys != 0)
        snprintf(buf, size, "%s: %s", rs_strerror(rc), strerror(sys));
    else
        snprintf(buf, size, "%s", rs_strerror(rc));
}

/* Prints "PROGRAM: WHAT (ADDRESS): REASON" to stderr, and what to do when no hub could be reached. */
static void print_failure(const char *program, rs_client *c, const char *what, int rc) {
    char reason[512];
    describe_reason(c, rc, reason, sizeof reason);
    fprintf(stderr, "%s: %s (%s): %s\n", program, what, rs_address(c), reason);
    if (rc == RS_ECONNECT)
        fprintf(stderr, "%s: start a hub there (relayscope hub --socket %s), or set RELAYSCOPE_SOCKET to the running hub's address\n", program, rs_address(c));
}

#endif
