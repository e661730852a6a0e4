#include "appliance/console_input.hpp"

#include <algorithm>

namespace rootstock::appliance {

std::vector<ConsoleInput::Action> ConsoleInput::pass_locked(size_t to) {
  current_ = to;
  return {Action{Action::Kind::kPassed, to < members_.size() ? members_[to] : std::string(), {}}};
}

std::vector<ConsoleInput::Action> ConsoleInput::add(const std::string& id) {
  std::lock_guard lock(mutex_);
  if (std::find(members_.begin(), members_.end(), id) != members_.end()) return {};
  members_.push_back(id);
  if (members_.size() == 1) return pass_locked(0);
  return {};
}

std::vector<ConsoleInput::Action> ConsoleInput::remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  const auto it = std::find(members_.begin(), members_.end(), id);
  if (it == members_.end()) return {};
  const auto at = static_cast<size_t>(it - members_.begin());
  members_.erase(it);
  if (at < current_) {
    --current_;  // the same VM keeps input; its index moved
    return {};
  }
  if (at > current_) return {};
  // It had input: the one after it (now at its index) gets it, wrapping to the first.
  if (members_.empty()) return pass_locked(0);
  return pass_locked(at < members_.size() ? at : 0);
}

std::vector<ConsoleInput::Action> ConsoleInput::feed(std::string_view bytes) {
  std::lock_guard lock(mutex_);
  std::vector<Action> out;
  while (!bytes.empty()) {
    const size_t key = bytes.find(kSwitchKey);
    const std::string_view run = bytes.substr(0, key);
    if (!run.empty() && current_ < members_.size()) {
      out.push_back(Action{Action::Kind::kSend, members_[current_], std::string(run)});
    }
    if (key == std::string_view::npos) break;
    if (!members_.empty()) {
      for (Action& a : pass_locked((current_ + 1) % members_.size())) out.push_back(std::move(a));
    }
    bytes.remove_prefix(key + 1);
  }
  return out;
}

std::optional<std::string> ConsoleInput::target() const {
  std::lock_guard lock(mutex_);
  if (current_ >= members_.size()) return std::nullopt;
  return members_[current_];
}

}  // namespace rootstock::appliance
