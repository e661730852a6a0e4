// Partition and VP lifetimes and memory bookkeeping over the fake backend: what reaches the
// driver, what the VMM refuses itself, and the driver's errors passed on with errno and hv
// status.
#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <cerrno>
#include <string>

#include "tests/fakes/fake_backend.hpp"
#include "vmm/partition.hpp"

using namespace rootstock::vmm;

namespace {

constexpr uint32_t kRw = RS_ACCESS_READ | RS_ACCESS_WRITE;

size_t index_of(const std::vector<std::string>& calls, const std::string& line) {
  return static_cast<size_t>(std::find(calls.begin(), calls.end(), line) - calls.begin());
}

}  // namespace

TEST_CASE("partition: maps reach the driver with the memory's range and flags") {
  FakeBackend fake;
  auto p = Partition::create(fake);
  REQUIRE(p);
  auto low = GuestMemory::allocate(0, 0x10000);
  auto high = GuestMemory::allocate(0x100000, 0x2000);
  REQUIRE(low);
  REQUIRE(high);
  REQUIRE(p->map(*low, kRw | RS_ACCESS_EXECUTE));
  REQUIRE(p->map(*high, kRw));
  const FakePartition& fp = fake.partition(0);
  REQUIRE(fp.mappings.size() == 2);
  CHECK(fp.mappings[0].gpa == 0);
  CHECK(fp.mappings[0].size == 0x10000);
  CHECK(fp.mappings[0].flags == (kRw | RS_ACCESS_EXECUTE));
  CHECK(fp.mappings[0].host == low->host().data());
  CHECK(fp.mappings[1].gpa == 0x100000);
  CHECK(p->ranges().size() == 2);

  REQUIRE(p->unmap(*high));
  CHECK(fake.partition(0).mappings.size() == 1);
  CHECK(p->ranges().size() == 1);
  auto again = p->unmap(*high);
  REQUIRE_FALSE(again);
  CHECK(again.error().what.find("not mapped") != std::string::npos);
}

TEST_CASE("partition: overlaps and flags without read are refused before the driver") {
  FakeBackend fake;
  auto p = Partition::create(fake);
  REQUIRE(p);
  auto a = GuestMemory::allocate(0x10000, 0x4000);
  auto b = GuestMemory::allocate(0x13000, 0x1000);  // the last page of a
  auto c = GuestMemory::allocate(0x14000, 0x1000);  // right after a
  REQUIRE(p->map(*a, kRw));
  const size_t calls = fake.state().calls.size();
  auto overlap = p->map(*b, kRw);
  REQUIRE_FALSE(overlap);
  CHECK(overlap.error().what.find("overlaps") != std::string::npos);
  auto no_read = p->map(*c, RS_ACCESS_WRITE);
  REQUIRE_FALSE(no_read);
  auto unknown_flag = p->map(*c, RS_ACCESS_READ | 0x8);
  REQUIRE_FALSE(unknown_flag);
  CHECK(fake.state().calls.size() == calls);  // the driver was not asked
  CHECK(p->map(*c, kRw));                     // adjacent is fine
}

TEST_CASE("partition: driver errors carry errno and the hv status") {
  FakeBackend fake;
  auto p = Partition::create(fake);
  REQUIRE(p);
  auto m = GuestMemory::allocate(0, 0x1000);
  fake.fail_next("map", EINVAL, RS_STATUS_GPA_OUT_OF_RANGE);
  auto r = p->map(*m, kRw);
  REQUIRE_FALSE(r);
  CHECK(r.error().errno_value == EINVAL);
  CHECK(r.error().hv_status == RS_STATUS_GPA_OUT_OF_RANGE);
  CHECK(describe(r.error()).find("hv status GPA_OUT_OF_RANGE") != std::string::npos);
  CHECK(p->ranges().empty());  // a refused map is not recorded

  fake.fail_next("create_partition", ENOSPC, RS_STATUS_LIMIT_REACHED);
  auto none = Partition::create(fake);
  REQUIRE_FALSE(none);
  CHECK(none.error().hv_status == RS_STATUS_LIMIT_REACHED);
  CHECK(status_name(0x1234) == "0x1234");
  CHECK(status_name(RS_STATUS_INVALID_CALL_CODE) == "INVALID_CALL_CODE");
}

TEST_CASE("partition: VPs are created once and closed before their partition") {
  FakeBackend fake;
  {
    auto p = Partition::create(fake);
    REQUIRE(p);
    auto vp = p->create_vp(0);
    REQUIRE(vp);
    CHECK(vp->index() == 0);
    CHECK(vp->run_page().version == RS_RUN_PAGE_VERSION);
    auto twice = p->create_vp(0);
    REQUIRE_FALSE(twice);
    CHECK(twice.error().hv_status == RS_STATUS_EXISTS);
    auto info = p->query();
    REQUIRE(info);
    CHECK(info->vps == 1);
    CHECK(info->partition_id == 1);
  }
  const auto& calls = fake.state().calls;
  const size_t vp_closed = index_of(calls, "close_vp 0");
  const size_t partition_closed = index_of(calls, "close_partition 1");
  REQUIRE(vp_closed < calls.size());
  REQUIRE(partition_closed < calls.size());
  CHECK(vp_closed < partition_closed);  // members go in reverse: the Vp first here
  CHECK_FALSE(fake.partition(0).open);
  CHECK_FALSE(fake.vp(0, 0).open);
}

TEST_CASE("partition: register lists longer than one call are split at 128") {
  FakeBackend fake;
  auto p = Partition::create(fake);
  auto vp = p->create_vp(0);
  REQUIRE(vp);
  RegisterList regs;
  for (uint32_t i = 0; i < 130; ++i) regs.push_back(scalar_register(RS_REG_RAX + i % 16, i));
  REQUIRE(vp->set_registers(regs));
  const auto& calls = fake.state().calls;
  CHECK(index_of(calls, "set_registers 128") < calls.size());
  CHECK(index_of(calls, "set_registers 2") < calls.size());
  CHECK(fake.vp(0, 0).set_order.size() == 130);
  auto rax = vp->get_register(RS_REG_RAX);
  REQUIRE(rax);
  CHECK(rax->scalar.value == 128);  // the last assignment to RAX
  REQUIRE(vp->inject(0x30));
  CHECK(fake.vp(0, 0).injected == std::vector<uint64_t>{0x30});
}

TEST_CASE("partition: doorbells reach the driver as HVROOT_DOORBELL's flags") {
  FakeBackend fake;
  auto p = Partition::create(fake);
  REQUIRE(p);
  REQUIRE(p->add_doorbell({0xc0003000, 2, std::nullopt, 7}));
  REQUIRE(p->add_doorbell({0xd0000050, 4, uint64_t{1}, 8}));
  REQUIRE(p->remove_doorbell({0xc0003000, 2, std::nullopt, 7}));
  const auto& calls = fake.partition(0).doorbells;
  REQUIRE(calls.size() == 3);
  CHECK(calls[0].gpa == 0xc0003000);
  CHECK(calls[0].flags == 2);
  CHECK(calls[0].fd == 7);
  CHECK(calls[0].value == 0);
  CHECK(calls[1].flags == (4 | HVROOT_DOORBELL_MATCH_VALUE));
  CHECK(calls[1].value == 1);
  CHECK(calls[2].flags == (2 | HVROOT_DOORBELL_REMOVE));
  fake.fail_next("doorbell", EEXIST, RS_STATUS_EXISTS);
  auto refused = p->add_doorbell({0xc0003000, 2, std::nullopt, 7});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().hv_status == RS_STATUS_EXISTS);
}
