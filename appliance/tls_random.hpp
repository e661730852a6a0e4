// The random bytes mbedTLS asks for (keys, serial numbers, handshakes), from the kernel's CSPRNG
// (getrandom(2)): safe to call from every connection's thread at once, which a shared mbedTLS
// CTR-DRBG without MBEDTLS_THREADING_C is not.
#pragma once

#include <cstddef>

namespace rootstock::appliance {

/// mbedTLS's f_rng: fills `out` with `size` bytes; 0, or an mbedTLS error when the kernel fails.
int tls_random(void* unused, unsigned char* out, size_t size);

}  // namespace rootstock::appliance
