/*
 * wl_checksums_main.c — print "name checksum" (hex) for every registered
 * workload at its defaults and seed 1.  Built twice by tests/workloads.cmake:
 * natively (x86-64) and with -m32 (hosted i386, ILP32), to prove that the
 * two word sizes produce the same op streams bit for bit.
 *
 * usage: wl_checksums                      print the table
 *        wl_checksums --compare EXE GOLDEN run EXE (the other build), and
 *            compare its table, this one and the GOLDEN("name", 0x...ull)
 *            lines of GOLDEN (tests/test_workloads.c, the one place the
 *            goldens are written); exit 1 on any difference.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/workload.h"

#define MAX_W 64

struct row {
    char name[64];
    uint64_t sum;
};

static uint64_t checksum_defaults(const struct hl_workload *w)
{
    struct hl_wl_params p;
    hl_wl_defaults(w, &p);
    size_t bytes = w->scratch_bytes(&p);
    void *scratch = malloc(bytes ? bytes : 8);
    if (!scratch) {
        fprintf(stderr, "wl_checksums: out of memory\n");
        exit(2);
    }
    uint64_t h = hl_wl_checksum(w, &p, 1, scratch, bytes);
    free(scratch);
    return h;
}

static size_t own_rows(struct row *rows)
{
    size_t n = 0;
    for (size_t i = 0; hl_workloads[i] && n < MAX_W; i++, n++) {
        snprintf(rows[n].name, sizeof rows[n].name, "%s", hl_workloads[i]->name);
        rows[n].sum = checksum_defaults(hl_workloads[i]);
    }
    return n;
}

/* Rows "name 0x..." read from f. */
static size_t read_rows(FILE *f, struct row *rows)
{
    size_t n = 0;
    char line[256];
    while (n < MAX_W && fgets(line, sizeof line, f))
        if (sscanf(line, "%63s %" SCNx64, rows[n].name, &rows[n].sum) == 2)
            n++;
    return n;
}

/* Rows from the GOLDEN("name", 0x...ull) lines of a C source. */
static size_t read_goldens(FILE *f, struct row *rows)
{
    size_t n = 0;
    char line[256];
    while (n < MAX_W && fgets(line, sizeof line, f)) {
        const char *g = strstr(line, "GOLDEN(\"");
        if (g && sscanf(g, "GOLDEN(\"%63[^\"]\", %" SCNx64, rows[n].name,
                        &rows[n].sum) == 2)
            n++;
    }
    return n;
}

static int compare(const char *what, const struct row *a, size_t na,
                   const struct row *b, size_t nb)
{
    int bad = 0;
    if (na != nb) {
        fprintf(stderr, "FAIL: %s: %zu workloads here, %zu there\n", what, na, nb);
        bad = 1;
    }
    for (size_t i = 0; i < na; i++) {
        size_t j = 0;
        while (j < nb && strcmp(a[i].name, b[j].name) != 0)
            j++;
        if (j == nb) {
            fprintf(stderr, "FAIL: %s: %s missing\n", what, a[i].name);
            bad = 1;
        } else if (a[i].sum != b[j].sum) {
            fprintf(stderr, "FAIL: %s: %s: 0x%016" PRIx64 " here, 0x%016" PRIx64
                    " there\n", what, a[i].name, a[i].sum, b[j].sum);
            bad = 1;
        }
    }
    return bad;
}

/* Run cmd through the shell, reading its rows into rows[] (*n of them);
 * returns its exit status (126: the shell could not execute it), or -1. */
static int run_rows(const char *cmd, struct row *rows, size_t *n)
{
    FILE *p = popen(cmd, "r");
    if (!p) {
        perror(cmd);
        return -1;
    }
    *n = read_rows(p, rows);
    int status = pclose(p);
    if (status == -1 || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
    static struct row own[MAX_W], other[MAX_W], golden[MAX_W];
    size_t n = own_rows(own);

    if (argc == 1) {
        for (size_t i = 0; i < n; i++)
            printf("%s 0x%016" PRIx64 "\n", own[i].name, own[i].sum);
        return 0;
    }
    if (argc != 4 || strcmp(argv[1], "--compare") != 0) {
        fprintf(stderr, "usage: wl_checksums [--compare EXE GOLDEN_SOURCE]\n");
        return 2;
    }
    size_t no = 0;
    int status = run_rows(argv[2], other, &no);
    const char *user = getenv("HEAPLAB_QEMU_I386_USER");
    if (status == 126 && no == 0 && user && *user) {
        /* sh: "Exec format error": this kernel runs no 32-bit programs (no
         * IA-32 emulation); qemu-user's i386 emulator runs the same binary. */
        static char cmd[4096];
        if (snprintf(cmd, sizeof cmd, "'%s' '%s'", user, argv[2]) >= (int)sizeof cmd) {
            fprintf(stderr, "wl_checksums: command too long\n");
            return 2;
        }
        fprintf(stderr, "note: %s runs under %s (this kernel runs no 32-bit programs)\n",
                argv[2], user);
        status = run_rows(cmd, other, &no);
    }
    if (status == 126 && no == 0) {
        /* No emulator either.  Skipped, and said so: the i386 streams are
         * still proven equal by the kernel's own cells in QEMU
         * (tests/kernel/suite_checksums.sh). */
        fprintf(stderr, "SKIP: %s cannot be executed here (a kernel without "
                "IA-32 emulation, and no qemu-i386)\n", argv[2]);
        return 77;
    }
    if (status != 0) {
        fprintf(stderr, "FAIL: %s did not run cleanly\n", argv[2]);
        return 1;
    }
    FILE *g = fopen(argv[3], "r");
    if (!g) {
        perror(argv[3]);
        return 2;
    }
    size_t ng = read_goldens(g, golden);
    fclose(g);

    int bad = compare("this build vs the other build", own, n, other, no);
    bad |= compare("this build vs the goldens", own, n, golden, ng);
    printf("%s: %zu workloads; %s (%d-bit) vs %s; goldens from %s\n",
           bad ? "FAIL" : "ok", n, argv[0], (int)(sizeof(void *) * 8), argv[2],
           argv[3]);
    for (size_t i = 0; i < n; i++)
        printf("  %-16s 0x%016" PRIx64 "\n", own[i].name, own[i].sum);
    return bad;
}
