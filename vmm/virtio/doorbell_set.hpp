// The doorbells one transport has registered (docs/virtio.md "Threads and kicks"): the
// transport says which it wants now, after every change that can alter them (DRIVER_OK, a
// reset, a BAR or Memory Space change), and the set adds and removes the difference. A doorbell
// the sink refuses is left out: its address stays an ordinary exit, which still works.
#pragma once

#include <vector>

#include "vmm/doorbell_sink.hpp"

namespace rootstock::vmm::virtio {

class DoorbellSet {
 public:
  /// Doorbells go to `sink`; none if it is null.
  explicit DoorbellSet(DoorbellSink* sink) : sink_(sink) {}
  DoorbellSet(const DoorbellSet&) = delete;
  DoorbellSet& operator=(const DoorbellSet&) = delete;

  [[nodiscard]] bool enabled() const { return sink_ != nullptr; }
  /// Makes the registered doorbells `wanted` (those the sink takes).
  void sync(const std::vector<DoorbellSpec>& wanted);
  /// The doorbells registered now.
  [[nodiscard]] const std::vector<DoorbellSpec>& live() const { return live_; }

 private:
  DoorbellSink* sink_;
  std::vector<DoorbellSpec> live_;
};

}  // namespace rootstock::vmm::virtio
