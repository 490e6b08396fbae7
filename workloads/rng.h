/*
 * rng.h — the workloads' PRNG: xoshiro256** (Blackman & Vigna, "Scrambled
 * linear pseudorandom number generators", 2018), its 256-bit state seeded
 * from one 64-bit seed by splitmix64, as its authors recommend.
 * Freestanding.
 *
 * Every value is computed in fixed-width uint64_t/uint32_t arithmetic:
 * nothing depends on sizeof(void *), size_t or UINTPTR_MAX, there is no
 * __int128 and no floating point, so the i386 kernel and the x86-64 host
 * draw exactly the same numbers from the same seed.
 *
 * Bounded integers (hl_wl_rng_below): for bounds up to 2^32, Lemire's
 * multiply-shift with rejection ("Fast random integer generation in an
 * interval", 2019) on the high 32 bits of one draw — one 32x32->64
 * multiply, a 32-bit modulo only on the rare slow path; for larger bounds,
 * masked rejection on whole 64-bit draws (no division at all).  Both are
 * exactly uniform.
 */
#ifndef HEAPLAB_WORKLOADS_RNG_H
#define HEAPLAB_WORKLOADS_RNG_H

#include <stdint.h>

static inline uint64_t hl_wl_rotl64(uint64_t x, unsigned k)
{
    return (x << k) | (x >> (64u - k));
}

/* splitmix64: advance *x and return the next output.  Used only to expand
 * a seed into xoshiro state (any seed, 0 included, gives a good state). */
static inline uint64_t hl_wl_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* s[0..3] := the xoshiro256** state for seed. */
static inline void hl_wl_rng_seed(uint64_t s[4], uint64_t seed)
{
    uint64_t x = seed;
    for (unsigned i = 0; i < 4; i++)
        s[i] = hl_wl_splitmix64(&x);
}

/* The next 64 random bits. */
static inline uint64_t hl_wl_rng_next(uint64_t s[4])
{
    uint64_t out = hl_wl_rotl64(s[1] * 5u, 7) * 9u;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = hl_wl_rotl64(s[3], 45);
    return out;
}

/* 32 random bits (the high half of a draw: xoshiro's best bits). */
static inline uint32_t hl_wl_rng_u32(uint64_t s[4])
{
    return (uint32_t)(hl_wl_rng_next(s) >> 32);
}

/* Uniform in [0, n).  pre: n >= 1 (n == 0 returns 0). */
static inline uint64_t hl_wl_rng_below(uint64_t s[4], uint64_t n)
{
    if (n <= 1)
        return 0;
    if (n <= 0xFFFFFFFFull) {
        uint32_t n32 = (uint32_t)n;
        uint64_t m = (uint64_t)hl_wl_rng_u32(s) * n32;
        if ((uint32_t)m < n32) {
            /* 2^32 mod n: the low products below it are biased. */
            uint32_t reject_below = (uint32_t)(0u - n32) % n32;
            while ((uint32_t)m < reject_below)
                m = (uint64_t)hl_wl_rng_u32(s) * n32;
        }
        return m >> 32;
    }
    /* n > 2^32: draws masked to the bit width of n - 1; < 2 tries on
     * average. */
    uint64_t mask = ~0ull >> __builtin_clzll(n - 1);
    for (;;) {
        uint64_t x = hl_wl_rng_next(s) & mask;
        if (x < n)
            return x;
    }
}

/* Uniform in [lo, hi].  pre: lo <= hi. */
static inline uint64_t hl_wl_rng_range(uint64_t s[4], uint64_t lo, uint64_t hi)
{
    if (hi - lo == ~0ull)
        return hl_wl_rng_next(s);
    return lo + hl_wl_rng_below(s, hi - lo + 1);
}

#endif /* HEAPLAB_WORKLOADS_RNG_H */
