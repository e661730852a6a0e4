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
  std::string& line = lines_[source];
  size_t from = 0;
  if (broken_.erase(source) != 0) {
    // The VM goes on with the line the mux ended: its own line end is one already written, and
    // anything more goes after the line so far, written again (or the prefix alone).
    if (text[0] == '\n') from = 1;
    if (from < text.size()) out += line.empty() ? prefix : line;
  }
  out.append(text, from);
  if (from < text.size()) open_ = text.back() == '\n' ? 0 : source;
  // The line so far, for a later break: what follows the last line end.
  const size_t end = text.rfind('\n');
  if (end != std::string::npos) {
    line.assign(text, end + 1);
  } else if (from == 0 || !line.empty()) {
    line.append(text, from);
  }
  if (line.size() > kMaxReprint) line.clear();
  if (!out.empty()) out_(out);
}

}  // namespace rootstock::appliance
