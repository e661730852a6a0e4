#include "appliance/vm_log.hpp"

#include <chrono>
#include <string>

#include "appliance/event_log.hpp"
#include "appliance/whole_file.hpp"

namespace rootstock::appliance {
namespace {

// Firecracker's level words in its log lines.
const char* level_word(LogLevel level) {
  switch (level) {
    case LogLevel::kOff:
      return "OFF";
    case LogLevel::kError:
      return "ERROR";
    case LogLevel::kWarning:
      return "WARN";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kTrace:
      return "TRACE";
  }
  return "INFO";
}

// The source path from the project's top ("appliance/api_router.cpp"), not the build host's.
std::string_view project_path(std::string_view file) {
  for (std::string_view top : {"/appliance/", "/init/", "/vmm/"}) {
    if (const size_t at = file.rfind(top); at != std::string_view::npos) {
      return file.substr(at + 1);
    }
  }
  return file;
}

}  // namespace

std::optional<std::string> vm_log_line(const std::optional<LoggerSpec>& logger, std::string_view id,
                                       std::string_view thread, LogLevel level,
                                       std::string_view message, std::source_location where) {
  if (!logger || !logger->log_path || level == LogLevel::kOff) return std::nullopt;
  if (static_cast<uint8_t>(level) > static_cast<uint8_t>(logger->level)) return std::nullopt;
  std::string line = utc_timestamp(std::chrono::system_clock::now()) + " [";
  line += id;
  line += ':';
  line += thread;
  if (logger->show_level) line += std::string(":") + level_word(level);
  if (logger->show_log_origin) {
    line += ':';
    line += project_path(where.file_name());
    line += ':' + std::to_string(where.line());
  }
  line += "] ";
  // One line per message: a line break inside would forge a line of its own.
  for (const char c : message) line += (c == '\n' || c == '\r') ? ' ' : c;
  return line;
}

void append_vm_log(const std::optional<LoggerSpec>& logger, std::string_view id,
                   std::string_view thread, LogLevel level, std::string_view message,
                   std::source_location where) {
  auto line = vm_log_line(logger, id, thread, level, message, where);
  if (!line) return;
  *line += '\n';
  (void)append_to_file(*logger->log_path, *line, 0640);  // a line that cannot go is lost alone
}

}  // namespace rootstock::appliance
