#include "appliance/tls_random.hpp"

#include <errno.h>
#include <sys/random.h>

#include <mbedtls/entropy.h>

namespace rootstock::appliance {

int tls_random(void*, unsigned char* out, size_t size) {
  while (size > 0) {
    const ssize_t n = ::getrandom(out, size, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
    }
    out += n;
    size -= static_cast<size_t>(n);
  }
  return 0;
}

}  // namespace rootstock::appliance
