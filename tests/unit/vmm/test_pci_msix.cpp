// MSI-X (vmm/pci/msix.hpp, PCI 3.0, 6.8.2): Message Control, the vector table and the Pending
// Bit Array as the child programs them, and signal() as a device sends: a masked vector's
// message waits in the PBA and goes when unmasked, the Function Mask holds back every vector,
// a disabled function sends nothing, and messages the sink refuses (or that no x86 interrupt
// has: a non-zero upper address) are counted and dropped.
#include <catch2/catch_test_macros.hpp>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "vmm/pci/msix.hpp"

using namespace rootstock::vmm;
using namespace rootstock::vmm::pci;

namespace {

constexpr uint32_t kApicAddress = 0xfee00000;

struct Message {
  uint32_t address;
  uint32_t data;
  bool operator==(const Message&) const = default;
};

struct RecordingSink final : InterruptSink {
  std::mutex mutex;
  std::vector<Message> messages;
  bool refuse = false;
  Result<void> edge(uint32_t) override { return {}; }
  Result<void> level(uint32_t, bool) override { return {}; }
  Result<void> msi(uint32_t address, uint32_t data) override {
    std::lock_guard lock(mutex);
    if (refuse) return fail("refused");
    messages.push_back({address, data});
    return {};
  }
  std::vector<Message> take() {
    std::lock_guard lock(mutex);
    return std::exchange(messages, {});
  }
};

uint64_t entry(uint16_t vector, uint64_t field) {
  return vector * msix::kEntrySize + field;
}

// Programs vector `v` as Linux's msix_prepare_msi_desc()/pci_write_msi_msg() do: address, upper
// address, data, then the mask.
void program(MsixVectors& m, uint16_t v, uint32_t address, uint32_t data, bool masked) {
  m.write_table(entry(v, msix::kMessageAddress), 4, address);
  m.write_table(entry(v, msix::kMessageUpperAddress), 4, 0);
  m.write_table(entry(v, msix::kMessageData), 4, data);
  m.write_table(entry(v, msix::kVectorControl), 4, masked ? msix::kVectorMasked : 0);
}

}  // namespace

TEST_CASE("msi-x: after reset every vector is masked, the function disabled", "[pci]") {
  RecordingSink sink;
  MsixVectors m(3, sink);
  CHECK(m.count() == 3);
  CHECK(m.table_bytes() == 48);
  CHECK(m.pba_bytes() == 8);
  CHECK(m.message_control() == 2);  // table size N - 1, disabled, not function-masked
  CHECK_FALSE(m.enabled());
  for (uint16_t v = 0; v < 3; ++v) {
    CHECK(m.read_table(entry(v, msix::kVectorControl), 4) == msix::kVectorMasked);
    CHECK(m.read_table(entry(v, msix::kMessageAddress), 4) == 0);
    CHECK(m.read_table(entry(v, msix::kMessageData), 4) == 0);
  }
  CHECK(m.read_pba(0, 8) == 0);
  // Disabled: a signal goes nowhere and leaves nothing pending.
  CHECK_FALSE(m.signal(0));
  CHECK(m.read_pba(0, 8) == 0);
  CHECK(sink.take().empty());
}

TEST_CASE("msi-x: table and PBA sizes follow the vector count", "[pci]") {
  RecordingSink sink;
  CHECK(MsixVectors(1, sink).pba_bytes() == 8);
  CHECK(MsixVectors(64, sink).pba_bytes() == 8);
  CHECK(MsixVectors(65, sink).pba_bytes() == 16);
  CHECK(MsixVectors(65, sink).message_control() == 64);
  // Out of range counts are clamped to 1..2048.
  CHECK(MsixVectors(0, sink).count() == 1);
  CHECK(MsixVectors(0, sink).message_control() == 0);
  MsixVectors most(4000, sink);
  CHECK(most.count() == 2048);
  CHECK(most.message_control() == 0x7ff);
  CHECK(most.table_bytes() == 2048 * 16);
  CHECK(most.pba_bytes() == 256);
}

TEST_CASE("msi-x: the table reads back what was written, at DWORD and QWORD width", "[pci]") {
  RecordingSink sink;
  MsixVectors m(2, sink);
  program(m, 1, 0xfee01003, 0x4041, false);
  CHECK(m.read_table(entry(1, msix::kMessageAddress), 4) == 0xfee01000);  // bits 1:0 are 0
  CHECK(m.read_table(entry(1, msix::kMessageUpperAddress), 4) == 0);
  CHECK(m.read_table(entry(1, msix::kMessageData), 4) == 0x4041);
  CHECK(m.read_table(entry(1, msix::kVectorControl), 4) == 0);
  CHECK(m.read_table(entry(1, 0), 8) == 0xfee01000);
  CHECK(m.read_table(entry(1, 8), 8) == 0x4041);
  // QWORD writes: address and upper address, data and vector control.
  m.write_table(entry(0, 0), 8, 0x00000001'fee02000);
  m.write_table(entry(0, 8), 8, 0xfffffffe'00000031);  // reserved control bits dropped
  CHECK(m.read_table(entry(0, msix::kMessageAddress), 4) == 0xfee02000);
  CHECK(m.read_table(entry(0, msix::kMessageUpperAddress), 4) == 1);
  CHECK(m.read_table(entry(0, msix::kMessageData), 4) == 0x31);
  CHECK(m.read_table(entry(0, msix::kVectorControl), 4) == 0);
  CHECK(m.read_table(entry(0, 8), 8) == 0x31);
}

TEST_CASE("msi-x: malformed table and PBA accesses read 0 and change nothing", "[pci]") {
  RecordingSink sink;
  MsixVectors m(2, sink);
  program(m, 0, kApicAddress, 0x21, true);
  const auto unchanged = [&] {
    return m.read_table(entry(0, msix::kMessageAddress), 4) == kApicAddress &&
           m.read_table(entry(0, msix::kMessageData), 4) == 0x21 &&
           m.read_table(entry(0, msix::kVectorControl), 4) == msix::kVectorMasked;
  };
  // Byte and word accesses, misaligned DWORDs and QWORDs.
  for (const auto& [offset, size] : std::vector<std::pair<uint64_t, uint8_t>>{
           {0, 1}, {0, 2}, {8, 2}, {12, 1}, {1, 4}, {2, 4}, {4, 8}, {12, 8}, {0, 3}, {0, 16}}) {
    CAPTURE(offset, size);
    CHECK(m.read_table(offset, size) == 0);
    m.write_table(offset, size, 0);
    CHECK(unchanged());
    CHECK(m.read_pba(offset, size) == 0);
  }
  // Past the table and the PBA; a huge offset does not wrap.
  CHECK(m.read_table(m.table_bytes(), 4) == 0);
  m.write_table(m.table_bytes(), 4, 0);
  m.write_table(~uint64_t{7}, 8, 0);
  CHECK(m.read_table(~uint64_t{7}, 8) == 0);
  CHECK(m.read_pba(8, 8) == 0);
  CHECK(m.read_pba(~uint64_t{7}, 8) == 0);
  CHECK(unchanged());
}

TEST_CASE("msi-x: a masked vector's message is pending until the vector is unmasked", "[pci]") {
  RecordingSink sink;
  MsixVectors m(3, sink);
  m.write_message_control(msix::kEnable);
  CHECK(m.enabled());
  CHECK(m.message_control() == (msix::kEnable | 2));
  program(m, 1, kApicAddress, 0x31, true);
  program(m, 2, kApicAddress | 0x2000, 0x32, false);

  CHECK(m.signal(1));
  CHECK(sink.take().empty());
  CHECK(m.read_pba(0, 8) == 0b010);
  CHECK(m.read_pba(0, 4) == 0b010);
  CHECK(m.read_pba(4, 4) == 0);
  // Signalled again while masked: still one message.
  CHECK(m.signal(1));
  // An unmasked vector sends at once, with its entry's address and data.
  CHECK(m.signal(2));
  CHECK(sink.take() == std::vector<Message>{{kApicAddress | 0x2000, 0x32}});

  // Unmasking sends the pending message and clears its bit.
  m.write_table(entry(1, msix::kVectorControl), 4, 0);
  CHECK(sink.take() == std::vector<Message>{{kApicAddress, 0x31}});
  CHECK(m.read_pba(0, 8) == 0);
  CHECK(m.failed() == 0);

  // Out of range vectors are refused.
  CHECK_FALSE(m.signal(3));
  CHECK_FALSE(m.signal(0xffff));
  CHECK(sink.take().empty());
}

TEST_CASE("msi-x: the Function Mask holds back every vector until it is cleared", "[pci]") {
  RecordingSink sink;
  MsixVectors m(3, sink);
  // Linux's msix_capability_init(): enable with everything masked, program, then unmask.
  m.write_message_control(msix::kEnable | msix::kFunctionMask);
  CHECK(m.message_control() == (msix::kEnable | msix::kFunctionMask | 2));
  program(m, 0, kApicAddress, 0x40, false);
  program(m, 2, kApicAddress, 0x42, false);
  CHECK(m.signal(0));
  CHECK(m.signal(2));
  CHECK(sink.take().empty());
  CHECK(m.read_pba(0, 8) == 0b101);
  m.write_message_control(msix::kEnable);
  CHECK(sink.take() == std::vector<Message>{{kApicAddress, 0x40}, {kApicAddress, 0x42}});
  CHECK(m.read_pba(0, 8) == 0);
  // The table size bits of a write are read-only.
  m.write_message_control(msix::kEnable | 0x7ff);
  CHECK(m.message_control() == (msix::kEnable | 2));
}

TEST_CASE("msi-x: disabling the function sends nothing, pending or not", "[pci]") {
  RecordingSink sink;
  MsixVectors m(2, sink);
  m.write_message_control(msix::kEnable);
  program(m, 0, kApicAddress, 0x50, true);
  CHECK(m.signal(0));
  m.write_message_control(0);
  CHECK_FALSE(m.enabled());
  // Unmasking while disabled sends nothing; a new signal is refused.
  m.write_table(entry(0, msix::kVectorControl), 4, 0);
  CHECK_FALSE(m.signal(0));
  CHECK(sink.take().empty());
  // Enabled again, what was pending goes.
  m.write_message_control(msix::kEnable);
  CHECK(sink.take() == std::vector<Message>{{kApicAddress, 0x50}});
}

TEST_CASE("msi-x: messages with an upper address or refused by the sink are counted", "[pci]") {
  RecordingSink sink;
  MsixVectors m(2, sink);
  m.write_message_control(msix::kEnable);
  program(m, 0, kApicAddress, 0x60, false);
  m.write_table(entry(0, msix::kMessageUpperAddress), 4, 1);
  CHECK(m.signal(0));
  CHECK(sink.take().empty());
  CHECK(m.failed() == 1);

  program(m, 1, 0x1000, 0x61, false);  // the sink judges the address, not MSI-X
  sink.refuse = true;
  CHECK(m.signal(1));
  CHECK(m.failed() == 2);
  sink.refuse = false;
  CHECK(m.signal(1));
  CHECK(sink.take() == std::vector<Message>{{0x1000, 0x61}});
  CHECK(m.failed() == 2);

  // A pending message with an upper address fails when it is flushed, and is not pending.
  program(m, 0, kApicAddress, 0x60, true);
  m.write_table(entry(0, msix::kMessageUpperAddress), 4, 2);
  CHECK(m.signal(0));
  m.write_table(entry(0, msix::kVectorControl), 4, 0);
  CHECK(m.failed() == 3);
  CHECK(m.read_pba(0, 8) == 0);
}

TEST_CASE("msi-x: reset masks every vector, forgets pending ones and disables", "[pci]") {
  RecordingSink sink;
  MsixVectors m(2, sink);
  m.write_message_control(msix::kEnable | msix::kFunctionMask);
  program(m, 0, kApicAddress, 0x70, false);
  CHECK(m.signal(0));
  m.reset();
  CHECK(m.message_control() == 1);
  CHECK(m.read_pba(0, 8) == 0);
  CHECK(m.read_table(entry(0, msix::kVectorControl), 4) == msix::kVectorMasked);
  CHECK(m.read_table(entry(0, msix::kMessageAddress), 4) == 0);
  m.write_message_control(msix::kEnable);
  CHECK(sink.take().empty());
}

TEST_CASE("msi-x: device threads signal while the driver masks and unmasks", "[pci]") {
  RecordingSink sink;
  MsixVectors m(2, sink);
  m.write_message_control(msix::kEnable);
  program(m, 0, kApicAddress, 0x80, false);
  std::atomic<bool> stop{false};
  std::thread device([&] {
    while (!stop.load()) (void)m.signal(0);
  });
  for (int i = 0; i < 2000; ++i) {
    m.write_table(entry(0, msix::kVectorControl), 4, i % 2 == 0 ? msix::kVectorMasked : 0);
  }
  stop = true;
  device.join();
  (void)m.signal(0);  // unmasked at the end: sent, nothing left pending
  CHECK(m.read_pba(0, 8) == 0);
  CHECK(m.failed() == 0);
  for (const Message& msg : sink.take()) REQUIRE(msg == Message{kApicAddress, 0x80});
}
