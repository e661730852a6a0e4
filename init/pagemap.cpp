#include "pagemap.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace rootstock::init {

std::optional<uint64_t> physical_address(const void* address) {
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t va = reinterpret_cast<uintptr_t>(address);
  const int fd = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  uint64_t entry = 0;
  const ssize_t n = ::pread(fd, &entry, sizeof(entry), static_cast<off_t>(va / page * 8));
  ::close(fd);
  constexpr uint64_t kPresent = uint64_t{1} << 63;
  constexpr uint64_t kPfnMask = (uint64_t{1} << 55) - 1;
  if (n != static_cast<ssize_t>(sizeof(entry)) || (entry & kPresent) == 0) return std::nullopt;
  const uint64_t pfn = entry & kPfnMask;
  if (pfn == 0) return std::nullopt;  // hidden without CAP_SYS_ADMIN
  return pfn * page;
}

}  // namespace rootstock::init
