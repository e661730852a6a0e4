#include "appliance/vm_spec.hpp"

namespace rootstock::appliance {

std::string SpecError::text() const {
  return path.empty() ? message : path + ": " + message;
}

const char* describe(CacheType type) {
  return type == CacheType::kWriteback ? "Writeback" : "Unsafe";
}

const char* describe(IoEngine engine) {
  return engine == IoEngine::kAsync ? "Async" : "Sync";
}

const char* describe(VirtioTransport transport) {
  return transport == VirtioTransport::kMmio ? "mmio" : "pci";
}

const char* describe(OnReset on_reset) {
  return on_reset == OnReset::kRestart ? "restart" : "stop";
}

const char* describe(LogLevel level) {
  switch (level) {
    case LogLevel::kOff:
      return "Off";
    case LogLevel::kError:
      return "Error";
    case LogLevel::kWarning:
      return "Warning";
    case LogLevel::kInfo:
      return "Info";
    case LogLevel::kDebug:
      return "Debug";
    case LogLevel::kTrace:
      return "Trace";
  }
  return "Info";
}

bool is_valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace rootstock::appliance
