#include "vmm/virtio/entropy_source.hpp"

#include <errno.h>
#include <sys/random.h>
#include <sys/types.h>

namespace rootstock::vmm::virtio {

EntropySource system_entropy() {
  return [](std::span<uint8_t> out) {
    size_t got = 0;
    while (got < out.size()) {
      // Requests above 256 bytes may return short (getrandom(2), "Interruption by a signal
      // handler"): the rest is asked for again.
      const ssize_t n = ::getrandom(out.data() + got, out.size() - got, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      got += static_cast<size_t>(n);
    }
    return true;
  };
}

}  // namespace rootstock::vmm::virtio
