// A VM's own log (its spec's `logger`, Firecracker's PUT /logger): text lines for the VM's
// starts and ends and the API's requests for it, in Firecracker's shape —
//   2026-12-07T21:10:13.123Z [web:api:INFO:appliance/api_router.cpp:280] PUT /vms/web/actions 204
// where the level appears with show_level and the source with show_log_origin. Each line is
// appended on its own (open, write, close), so a log rotated or removed under it simply starts
// again; a named pipe without a reader, or any failure, loses that line and nothing else.
#pragma once

#include <optional>
#include <source_location>
#include <string_view>

#include "appliance/vm_spec.hpp"

namespace rootstock::appliance {

/// The line for `message` (without its newline), or nullopt when `logger` does not take
/// `level` (no logger, no log_path, or a level it filters out).
[[nodiscard]] std::optional<std::string> vm_log_line(
    const std::optional<LoggerSpec>& logger, std::string_view id, std::string_view thread,
    LogLevel level, std::string_view message,
    std::source_location where = std::source_location::current());

/// Appends vm_log_line()'s line to the logger's file.
void append_vm_log(const std::optional<LoggerSpec>& logger, std::string_view id,
                   std::string_view thread, LogLevel level, std::string_view message,
                   std::source_location where = std::source_location::current());

}  // namespace rootstock::appliance
