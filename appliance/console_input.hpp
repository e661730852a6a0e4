// Which VM gets what is typed on the appliance console: one VM at a time, among the running VMs
// whose console shows there. Ctrl-] (0x1d, the escape telnet and `virsh console` use) passes
// input to the next of them; the byte itself goes to no VM. The first VM to come gets input;
// when the VM that has it ends, input passes on.
#pragma once

#include <stddef.h>

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rootstock::appliance {

class ConsoleInput {
 public:
  static constexpr char kSwitchKey = 0x1d;  ///< Ctrl-]

  /// What feed() and the changes of membership ask the caller to do, in order.
  struct Action {
    enum class Kind : uint8_t {
      kSend,    ///< `bytes` go to VM `id`
      kPassed,  ///< input now goes to VM `id` (empty: to no VM); tell the user
    };
    Kind kind;
    std::string id;
    std::string bytes;
    bool operator==(const Action&) const = default;
  };

  /// A VM joins (at the end of the rotation); it gets input if none had it. Adding one that is
  /// there already changes nothing.
  std::vector<Action> add(const std::string& id);
  /// A VM leaves; if it had input, the next one gets it.
  std::vector<Action> remove(const std::string& id);
  /// Typed bytes: runs between switch keys go to the VM that has input then (dropped when none
  /// has), each switch key passes input on.
  std::vector<Action> feed(std::string_view bytes);
  /// The VM that has input, if any.
  [[nodiscard]] std::optional<std::string> target() const;

 private:
  std::vector<Action> pass_locked(size_t to);  // to == members_.size(): no VM

  mutable std::mutex mutex_;
  std::vector<std::string> members_;  // in the order they came
  size_t current_ = 0;                // index into members_; == size when it is empty
};

}  // namespace rootstock::appliance
