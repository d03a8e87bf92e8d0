#ifndef CSHA256_H
#define CSHA256_H

#include <stddef.h>
#include <stdint.h>

/// SHA-256 (FIPS 180-4) block compression for ContainerImage's streaming `SHA256`.
///
/// `state` holds the eight working words h0…h7; `blocks` points at `blockCount` whole
/// 64-byte message blocks (no alignment needed). Padding and finalisation stay with the caller.
/// Uses the x86-64 SHA extensions when the CPU has them (checked once), portable C otherwise.
void csha256_compress(uint32_t state[8], const uint8_t *blocks, size_t blockCount);

/// The portable C compression, whatever the CPU: lets tests compare it with the dispatched one.
void csha256_compress_portable(uint32_t state[8], const uint8_t *blocks, size_t blockCount);

/// 1 if `csha256_compress` runs on the x86-64 SHA extensions on this CPU, 0 if it runs portable C.
int csha256_uses_sha_extensions(void);

#endif
