#include "selftest.hpp"

#include <map>

#include "console.hpp"

namespace rootstock::init {

void SelftestResult::check(bool ok, const std::string& what) {
  if (ok) {
    ++passed_;
  } else {
    ++failed_;
    say("selftest " + name_ + ": FAILED: " + what);
  }
}

void SelftestResult::finish() const {
  announce(milestone::Writer("selftest")
               .field("name", Text{name_.data(), name_.size()})
               .field("passed", uint64_t{passed_})
               .field("failed", uint64_t{failed_}));
}

bool run_selftest(const std::string& name, PidOne& init) {
  static const std::map<std::string, void (*)(PidOne&, SelftestResult&)> kTests = {
      {"hostile-child", selftest_hostile_child},
      {"hostile-root", selftest_hostile_root},
      {"hypercall-abuse", selftest_hypercall_abuse},
      {"init", selftest_init},
      {"interrupt-delivery", selftest_interrupt_delivery},
      {"linux-children", selftest_linux_children},
      {"partitions", selftest_partitions},
      {"protection", selftest_protection},
      {"vm-isolation", selftest_vm_isolation},
  };
  const auto it = kTests.find(name);
  if (it == kTests.end()) return false;
  SelftestResult result(name);
  it->second(init, result);
  result.finish();
  return true;
}

}  // namespace rootstock::init
