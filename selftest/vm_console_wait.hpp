// Waiting for a line on the console of a VM the appliance's manager runs (appliance-cycles,
// vsock-echo): the VM's console ring read from its start until the text shows, the VM ends or
// the deadline passes.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "appliance/vm_manager.hpp"

namespace rootstock::selftest {

/// Whether VM `id`'s console shows `text` before `deadline` (false when the VM ended first).
[[nodiscard]] bool wait_console(appliance::VmManager& manager, const std::string& id,
                                std::string_view text,
                                std::chrono::steady_clock::time_point deadline);

}  // namespace rootstock::selftest
