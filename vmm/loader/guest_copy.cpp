#include "vmm/loader/guest_copy.hpp"

#include <string>

namespace rootstock::vmm::loader {

Result<void> copy_in(GuestMemory& ram, uint64_t gpa, std::span<const uint8_t> data,
                     std::string_view loader, std::string_view what) {
  if (auto w = ram.write(gpa, data); !w) {
    return fail(std::string(loader) + ": " + std::string(what) + ": " + describe(w.error()));
  }
  return {};
}

Result<void> copy_cmdline(GuestMemory& ram, uint64_t gpa, std::string_view cmdline,
                          std::string_view loader) {
  std::string bytes(cmdline);
  bytes.push_back('\0');
  return copy_in(ram, gpa, {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, loader,
                 "command line");
}

}  // namespace rootstock::vmm::loader
