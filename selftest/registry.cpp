#include "selftest/registry.hpp"

#include <algorithm>

#include "selftest/selftests.hpp"

namespace rootstock::selftest {
namespace {

// Sorted by name (a unit test holds it so).
constexpr SelftestEntry kSelftests[] = {
    {"appliance-cycles", selftest_appliance_cycles, false},
    {"hostile-child", selftest_hostile_child, false},
    {"hostile-root", selftest_hostile_root, true},
    {"hypercall-abuse", selftest_hypercall_abuse, true},
    {"init", selftest_init, false},
    {"interrupt-delivery", selftest_interrupt_delivery, false},
    {"linux-children", selftest_linux_children, false},
    {"partitions", selftest_partitions, false},
    {"protection", selftest_protection, false},
    {"virtio-exits", selftest_virtio_exits, false},
    {"vm-isolation", selftest_vm_isolation, false},
    {"vsock-echo", selftest_vsock_echo, false},
};

const SelftestEntry* find(const std::string& name) {
  for (const SelftestEntry& e : kSelftests) {
    if (name == e.name) return &e;
  }
  return nullptr;
}

}  // namespace

std::span<const SelftestEntry> selftests() {
  return kSelftests;
}

std::vector<std::string> selftest_names() {
  std::vector<std::string> names;
  for (const SelftestEntry& e : kSelftests) names.emplace_back(e.name);
  return names;
}

bool run_selftest(const std::string& name, SelftestContext& context) {
  const SelftestEntry* entry = find(name);
  if (entry == nullptr) return false;
  SelftestResult result(name, context);
  entry->run(context, result);
  result.finish();
  return true;
}

void run_selftests(const std::vector<std::string>& names, SelftestContext& context) {
  for (const std::string& name : names) {
    if (run_selftest(name, context)) continue;
    std::string known;
    for (const std::string& n : selftest_names()) known += (known.empty() ? "" : ", ") + n;
    context.say("selftest: there is no self-test named '" + name + "' (there are: " + known + ")");
    SelftestResult missing(name, context);
    missing.check(false, "no such self-test");
    missing.finish();
  }
}

bool need_raw_hypercalls(const std::vector<std::string>& names) {
  return std::any_of(names.begin(), names.end(), [](const std::string& name) {
    const SelftestEntry* entry = find(name);
    return entry != nullptr && entry->raw_hypercalls;
  });
}

}  // namespace rootstock::selftest
