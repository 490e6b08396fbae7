/*
 * fuzz.h — what every libFuzzer target of heaplab shares: a reader that
 * turns the fuzzer's bytes into numbers (running out of bytes reads
 * zeros, so every input is a valid program), a failure that names what
 * broke and aborts (libFuzzer saves the input as a crash), and the
 * capture of allocator reports (hl_report) so a target can demand exactly
 * one report from an invalid free and none from anything else.
 *
 * The targets are built by tests/fuzz/CMakeLists.txt with clang,
 * -fsanitize=fuzzer,address,undefined and HL_CHECK_LEVEL=2; docs/fuzzing.md
 * says how to run them and how to add one.
 */
#ifndef HEAPLAB_FUZZ_H
#define HEAPLAB_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fz {
    const uint8_t *p;
    size_t n; /* bytes left */
};

static inline uint8_t fz_u8(struct fz *f)
{
    if (f->n == 0)
        return 0;
    f->n--;
    return *f->p++;
}

static inline uint16_t fz_u16(struct fz *f)
{
    uint16_t lo = fz_u8(f);
    return (uint16_t)(lo | (uint16_t)fz_u8(f) << 8);
}

static inline uint32_t fz_u32(struct fz *f)
{
    uint32_t lo = fz_u16(f);
    return lo | (uint32_t)fz_u16(f) << 16;
}

static inline uint64_t fz_u64(struct fz *f)
{
    uint64_t lo = fz_u32(f);
    return lo | (uint64_t)fz_u32(f) << 32;
}

/* Print "fuzz: <where>: <message>" and abort: the fuzzer's finding. */
_Noreturn void fz_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define FZ_FAIL(...) fz_fail(__FILE__, __LINE__, __VA_ARGS__)
#define FZ_REQUIRE(cond, ...)                                                 \
    do {                                                                      \
        if (!(cond))                                                          \
            FZ_FAIL(__VA_ARGS__);                                             \
    } while (0)

/* Allocator reports: counted from here on; the last one's text kept. */
void fz_reports_reset(void);
unsigned fz_report_count(void);
const char *fz_last_report(void);

/* Offset of the first byte of p[0..n) that is not `byte`, or n: a
 * word-at-a-time scan (memcmp against a constant page), so a poison check
 * of a large block costs what a memcmp costs, not a byte loop. */
size_t fz_find_not(const void *p, uint8_t byte, size_t n);

#endif /* HEAPLAB_FUZZ_H */
