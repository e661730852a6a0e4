#include "vmm/virtio/doorbell_set.hpp"

#include <algorithm>

namespace rootstock::vmm::virtio {

void DoorbellSet::sync(const std::vector<DoorbellSpec>& wanted) {
  if (sink_ == nullptr) return;
  const auto has = [](const std::vector<DoorbellSpec>& set, const DoorbellSpec& d) {
    return std::find(set.begin(), set.end(), d) != set.end();
  };
  std::erase_if(live_, [&](const DoorbellSpec& d) {
    if (has(wanted, d)) return false;
    (void)sink_->remove(d);  // refused: hv no longer has it either way
    return true;
  });
  for (const DoorbellSpec& d : wanted) {
    if (!has(live_, d) && sink_->add(d)) live_.push_back(d);
  }
}

}  // namespace rootstock::vmm::virtio
