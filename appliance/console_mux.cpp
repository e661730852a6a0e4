#include "appliance/console_mux.hpp"

namespace rootstock::appliance {

ConsoleMux::WriteFn ConsoleMux::writer(std::string prefix) {
  uint64_t source;
  {
    std::lock_guard lock(mutex_);
    source = ++next_source_;
  }
  return [this, source, prefix = std::move(prefix)](const std::string& text) {
    write(source, prefix, text);
  };
}

void ConsoleMux::write(uint64_t source, const std::string& prefix, const std::string& text) {
  if (text.empty()) return;
  std::lock_guard lock(mutex_);
  std::string out;
  if (open_ != 0 && open_ != source) {
    out += '\n';
    broken_.insert(open_);
    open_ = 0;
  }
  size_t from = 0;
  if (broken_.erase(source) != 0) {
    // The VM goes on with the line the mux ended: its own line end is one already written, and
    // anything more needs its prefix again.
    if (text[0] == '\n') from = 1;
    if (from < text.size()) out += prefix;
  }
  out.append(text, from);
  if (from < text.size()) open_ = text.back() == '\n' ? 0 : source;
  if (!out.empty()) out_(out);
}

}  // namespace rootstock::appliance
