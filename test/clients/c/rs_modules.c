/*
 * rs_modules - prints what rs_list_modules returns, for test/clients/peerModules.test.ts.
 * Usage: rs_modules ADDRESS monitor|module. Connects with RS_FLAG_MONITOR (or as module "c-lister"),
 * lists once and prints, per module, "module ID TRANSPORT FRAMING PID UID GID" (FRAMING "-" when
 * empty), then "exe PATH" when known and "arg ARG" for each argument, those two with a backslash
 * written \\ and a newline \n so that each stays one line; or "error CODE HUB_CODE" when the call
 * fails. Exits 0 either way, 1 when it cannot connect.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "relayscope.h"

static void print_line(const char *word, const char *text) {
    printf("%s ", word);
    for (; *text != '\0'; text++) {
        if (*text == '\\') fputs("\\\\", stdout);
        else if (*text == '\n') fputs("\\n", stdout);
        else putchar(*text);
    }
    putchar('\n');
}

int main(int argc, char **argv) {
    rs_connect_options options;
    rs_client *c = rs_client_new();
    rs_module *modules = NULL;
    size_t count = 0, i, k;
    int monitor, rc;
    if (argc != 3 || c == NULL) {
        fprintf(stderr, "usage: rs_modules ADDRESS monitor|module\n");
        return 2;
    }
    monitor = strcmp(argv[2], "monitor") == 0;
    memset(&options, 0, sizeof options);
    options.flags = monitor ? RS_FLAG_MONITOR : 0;
    rc = rs_connect(c, argv[1], monitor ? "" : "c-lister", &options);
    if (rc != RS_OK) {
        fprintf(stderr, "rs_connect: %s\n", rs_strerror(rc));
        rs_close(c);
        return 1;
    }
    rc = rs_list_modules(c, &modules, &count, 5000);
    if (rc != RS_OK) {
        const rs_hub_error *hub = rs_last_hub_error(c);
        printf("error %d %d\n", rc, hub != NULL ? hub->code : 0);
        rs_close(c);
        return 0;
    }
    for (i = 0; i < count; i++) {
        const rs_module *m = &modules[i];
        printf("module %s %s %s %lld %lld %lld\n", m->id, m->transport, m->framing[0] != '\0' ? m->framing : "-", (long long)m->pid,
               (long long)m->uid, (long long)m->gid);
        if (m->exe != NULL) print_line("exe", m->exe);
        for (k = 0; k < m->cmdline_len; k++) print_line("arg", m->cmdline[k]);
    }
    rs_free_modules(modules, count);
    rs_close(c);
    return 0;
}
