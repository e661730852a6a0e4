#include "selftest/pagemap.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace rootstock::selftest {
namespace {

constexpr uint64_t kPresent = uint64_t{1} << 63;
constexpr uint64_t kPfnMask = (uint64_t{1} << 55) - 1;

}  // namespace

std::optional<uint64_t> physical_address(const void* address) {
  const std::vector<uint64_t> one = physical_addresses(address, 1);
  if (one.empty() || one[0] == 0) return std::nullopt;
  return one[0];
}

std::vector<uint64_t> physical_addresses(const void* address, size_t pages) {
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t va = reinterpret_cast<uintptr_t>(address);
  std::vector<uint64_t> entries(pages, 0);
  const int fd = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  const auto bytes = static_cast<ssize_t>(pages * sizeof(uint64_t));
  const ssize_t n = ::pread(fd, entries.data(), static_cast<size_t>(bytes),
                            static_cast<off_t>(va / page * sizeof(uint64_t)));
  ::close(fd);
  if (n != bytes) return {};
  for (uint64_t& e : entries) {
    // A frame number of 0: hidden without CAP_SYS_ADMIN.
    e = (e & kPresent) != 0 ? (e & kPfnMask) * page : 0;
  }
  return entries;
}

}  // namespace rootstock::selftest
