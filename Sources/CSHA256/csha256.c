// SHA-256 block compression: x86-64 SHA extensions (SHA-NI) when the CPU has them, portable C
// otherwise. The SHA-NI function carries its own target attribute, so the package needs no
// -msha flag, and is written so that it stays fast in -O0 debug builds too.
#include "csha256.h"

#include <stdatomic.h>

/// FIPS 180-4 §4.2.2 round constants; 16-byte aligned for the SHA-NI vector loads.
static const uint32_t roundConstants[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

// MARK: - Portable C (FIPS 180-4 §6.2.2)

static inline uint32_t rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

void csha256_compress_portable(uint32_t state[8], const uint8_t *blocks, size_t blockCount) {
    uint32_t w[64];
    for (; blockCount > 0; blockCount--, blocks += 64) {
        for (int i = 0; i < 16; i++) {
            const uint8_t *p = blocks + 4 * i;
            w[i] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
        }
        for (int i = 16; i < 64; i++) {
            uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
            uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
        for (int i = 0; i < 64; i++) {
            uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + (g ^ (e & (f ^ g))) + roundConstants[i] + w[i];
            uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) | (c & (a | b)));
            h = g; g = f; f = e; e = d + t1;
            d = c; c = b; b = a; a = t1 + t2;
        }
        state[0] += a; state[1] += b; state[2] += c; state[3] += d;
        state[4] += e; state[5] += f; state[6] += g; state[7] += h;
    }
}

// MARK: - x86-64 SHA extensions

#if defined(__x86_64__)
// Written with clang vector extensions and the __builtin_ia32_sha256* builtins rather than the
// <immintrin.h> _mm_* wrappers: in a -O0 debug build every wrapper call spills and reloads its
// arguments, which puts extra store-to-load hops on the sha256rnds2 dependency chain; the
// builtins compile straight to the instruction. Measured on a Xeon with SHA-NI: ~250 → ~430 MB/s
// at -O0, the same as the wrappers (~1.1 GB/s) at -O2. Macros, not inline functions, for the same
// reason. Words4 may alias uint32_t, like __m128i, for the round constant loads.
typedef uint32_t Words4 __attribute__((vector_size(16), may_alias));
typedef int32_t SignedWords4 __attribute__((vector_size(16)));
typedef uint8_t Bytes16 __attribute__((vector_size(16)));

/// Two rounds: sha256rnds2 takes the state as CDGH and ABEF and the next two w[t] + k[t] in lanes 0–1.
#define TWO_ROUNDS(cdgh, abef, words) \
    (Words4) __builtin_ia32_sha256rnds2((SignedWords4)(cdgh), (SignedWords4)(abef), (SignedWords4)(words))
/// w[t+16..t+19] from w[t..t+3], w[t+4..t+7], w[t+8..t+11], w[t+12..t+15] (FIPS 180-4 §6.2.2 step 1).
#define NEXT_SCHEDULE_WORDS(w0, w1, w2, w3) \
    (Words4) __builtin_ia32_sha256msg2( \
        (SignedWords4)((Words4)__builtin_ia32_sha256msg1((SignedWords4)(w0), (SignedWords4)(w1)) \
                       + __builtin_shufflevector(w2, w3, 1, 2, 3, 4)), \
        (SignedWords4)(w3))

/// The Intel SHA extensions sequence: sixteen steps of four rounds; the message schedule lives
/// in a ring of four vectors and each step replaces the oldest with the next four words.
__attribute__((target("sha,sse4.1,ssse3")))
static void compress_sha_extensions(uint32_t state[8], const uint8_t *blocks, size_t blockCount) {
    const Words4 *roundConstants4 = (const Words4 *)roundConstants;
    Words4 abcd, efgh;
    __builtin_memcpy(&abcd, &state[0], 16);
    __builtin_memcpy(&efgh, &state[4], 16);
    // sha256rnds2 wants lanes 3..0 as A B E F and C D G H.
    Words4 abef = __builtin_shufflevector(abcd, efgh, 5, 4, 1, 0);
    Words4 cdgh = __builtin_shufflevector(abcd, efgh, 7, 6, 3, 2);

    for (; blockCount > 0; blockCount--, blocks += 64) {
        const Words4 abefBefore = abef, cdghBefore = cdgh;
        Words4 schedule[4];
        for (int i = 0; i < 4; i++) {
            Bytes16 bigEndian;
            __builtin_memcpy(&bigEndian, blocks + 16 * i, 16);
            schedule[i] = (Words4)__builtin_shufflevector(bigEndian, bigEndian, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
        }
        // Unrolled in optimised builds so the schedule ring stays in registers (-O0 ignores it).
#pragma clang loop unroll(full)
        for (int step = 0; step < 16; step++) {
            Words4 words = schedule[step & 3] + roundConstants4[step];
            cdgh = TWO_ROUNDS(cdgh, abef, words);
            abef = TWO_ROUNDS(abef, cdgh, __builtin_shufflevector(words, words, 2, 3, 0, 0));
            if (step < 12) {
                schedule[step & 3] = NEXT_SCHEDULE_WORDS(
                    schedule[step & 3], schedule[(step + 1) & 3], schedule[(step + 2) & 3], schedule[(step + 3) & 3]);
            }
        }
        abef += abefBefore;
        cdgh += cdghBefore;
    }

    abcd = __builtin_shufflevector(abef, cdgh, 3, 2, 7, 6);
    efgh = __builtin_shufflevector(abef, cdgh, 1, 0, 5, 4);
    __builtin_memcpy(&state[0], &abcd, 16);
    __builtin_memcpy(&state[4], &efgh, 16);
}
#endif

// MARK: - Dispatch

typedef void (*CompressFunction)(uint32_t state[8], const uint8_t *blocks, size_t blockCount);

static CompressFunction selectCompressFunction(void) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("sha") && __builtin_cpu_supports("sse4.1") && __builtin_cpu_supports("ssse3")) {
        return compress_sha_extensions;
    }
#endif
    return csha256_compress_portable;
}

/// Chosen on first use; every thread that races to choose picks the same function.
static _Atomic(CompressFunction) selectedCompressFunction;

static CompressFunction compressFunction(void) {
    CompressFunction function = atomic_load_explicit(&selectedCompressFunction, memory_order_relaxed);
    if (function == NULL) {
        function = selectCompressFunction();
        atomic_store_explicit(&selectedCompressFunction, function, memory_order_relaxed);
    }
    return function;
}

void csha256_compress(uint32_t state[8], const uint8_t *blocks, size_t blockCount) {
    compressFunction()(state, blocks, blockCount);
}

int csha256_uses_sha_extensions(void) {
    return compressFunction() != csha256_compress_portable;
}
