#include "selftest/selftest_result.hpp"

namespace rootstock::selftest {

void SelftestResult::check(bool ok, const std::string& what) {
  if (ok) {
    ++passed_;
  } else {
    ++failed_;
    context_.say("selftest " + name_ + ": FAILED: " + what);
  }
}

void SelftestResult::finish() const {
  context_.announce(milestone::Writer("selftest")
                        .field("name", Text{name_.data(), name_.size()})
                        .field("passed", uint64_t{passed_})
                        .field("failed", uint64_t{failed_}));
}

}  // namespace rootstock::selftest
