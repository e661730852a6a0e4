#include "options.hpp"

#include "appliance/appliance_config.hpp"

#include <cctype>

namespace rootstock::init {
namespace {

// Splits like the kernel's next_arg(): white space separates words, double quotes group.
std::vector<std::string> split_words(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool quoted = false, any = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
      any = true;
      continue;
    }
    if (!quoted && std::isspace(static_cast<unsigned char>(c))) {
      if (any) words.push_back(std::move(word));
      word.clear();
      any = false;
      continue;
    }
    word += c;
    any = true;
  }
  if (any) words.push_back(std::move(word));
  return words;
}

bool valid_selftest_name(std::string_view n) {
  if (n.empty()) return false;
  for (char c : n) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_')) {
      return false;
    }
  }
  return true;
}

// A decimal number of at most 9 digits (no sign, no spaces).
bool parse_decimal(std::string_view text, uint64_t& out) {
  if (text.empty() || text.size() > 9) return false;
  out = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    out = out * 10 + static_cast<uint64_t>(c - '0');
  }
  return true;
}

}  // namespace

Options parse_options(std::string_view cmdline) {
  Options o;
  for (const std::string& word : split_words(cmdline)) {
    if (!word.starts_with("rootstock.")) continue;
    const size_t eq = word.find('=');
    const std::string name = word.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : word.substr(eq + 1);
    if (name == "rootstock.selftest" || name == "rootstock.selftest_steps") {
      std::vector<std::string> names;
      size_t start = 0;
      bool ok = eq != std::string::npos;
      while (ok && start <= value.size()) {
        const size_t comma = std::min(value.find(',', start), value.size());
        const std::string n = value.substr(start, comma - start);
        ok = valid_selftest_name(n);
        names.push_back(n);
        start = comma + 1;
      }
      auto& list = name == "rootstock.selftest" ? o.selftests : o.selftest_steps;
      if (ok) {
        list.insert(list.end(), names.begin(), names.end());
      } else {
        o.problems.push_back(word + ": needs a comma-separated list of names");
      }
    } else if (name == "rootstock.on_fatal") {
      if (value == "stay") {
        o.on_fatal = FatalAction::kStay;
      } else if (value == "poweroff") {
        o.on_fatal = FatalAction::kPowerOff;
      } else if (value == "reboot") {
        o.on_fatal = FatalAction::kReboot;
      } else {
        o.problems.push_back(word + ": is not stay, poweroff or reboot");
      }
    } else if (name == "rootstock.vm") {
      if (value == "on" || value == "off") {
        o.vm.start = value == "on";
      } else {
        o.problems.push_back(word + ": is not on or off");
      }
    } else if (name == "rootstock.vm_vcpus") {
      uint64_t n = 0;
      if (parse_decimal(value, n) && n >= 1 && n <= 64) {
        o.vm.vcpus = static_cast<uint32_t>(n);
      } else {
        o.problems.push_back(word + ": needs a vCPU count from 1 to 64");
      }
    } else if (name == "rootstock.vm_mem_mib") {
      uint64_t n = 0;
      if (parse_decimal(value, n) && n >= 16 && n <= 1024) {
        o.vm.mem_mib = n;
      } else {
        o.problems.push_back(word + ": needs a size from 16 to 1024 MiB");
      }
    } else if (name == "rootstock.vm_cmdline") {
      o.vm.cmdline = value;
    } else if (name == "rootstock.vm_specs") {
      if (value.starts_with('/')) {
        o.vm_specs = value;
      } else {
        o.problems.push_back(word + ": needs an absolute folder");
      }
    } else if (name == "rootstock.stop_timeout") {
      uint64_t n = 0;
      if (parse_decimal(value, n) && n <= 3600) {
        o.stop_timeout_s = static_cast<uint32_t>(n);
      } else {
        o.problems.push_back(word + ": needs seconds from 0 to 3600");
      }
    } else if (name == "rootstock.hostname") {
      if (appliance::is_valid_hostname(value)) {
        o.hostname = value;
      } else {
        o.problems.push_back(word + ": needs 1 to 63 letters, digits and '-', not at either end");
      }
    } else if (name == "rootstock.esp") {
      if (const auto guid = gpt::parse_guid(value)) {
        o.esp = *guid;
      } else {
        o.problems.push_back(word +
                             ": needs a partition GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
      }
    } else if (name == "rootstock.data_wait") {
      uint64_t n = 0;
      if (parse_decimal(value, n) && n <= 600) {
        o.data_wait_s = static_cast<uint32_t>(n);
      } else {
        o.problems.push_back(word + ": needs seconds from 0 to 600");
      }
    } else if (name == "rootstock.abuse_calls") {
      uint64_t n = 0;
      if (parse_decimal(value, n) && n >= 1 && n <= 100000000) {
        o.abuse_calls = n;
      } else {
        o.problems.push_back(word + ": needs a count from 1 to 100000000");
      }
    } else {
      o.problems.push_back(word + ": unknown rootstock option");
    }
  }
  return o;
}

}  // namespace rootstock::init
