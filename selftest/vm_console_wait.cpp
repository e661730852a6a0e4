#include "selftest/vm_console_wait.hpp"

#include <thread>

namespace rootstock::selftest {

bool wait_console(appliance::VmManager& manager, const std::string& id, std::string_view text,
                  std::chrono::steady_clock::time_point deadline) {
  auto ring = manager.console(id);
  if (!ring) return false;
  while (std::chrono::steady_clock::now() < deadline) {
    if ((*ring)->read_since(0).bytes.find(text) != std::string::npos) return true;
    auto info = manager.get(id);
    if (!info || info->state != appliance::VmState::kRunning) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace rootstock::selftest
