// Fuzzes virtio-net (vmm/virtio/net_device.*, net_tx.*, net_rx.*; virtio 1.2 5.1.6) over
// hostile chains: transmit chains through NetDevice::notify() to a port that only records, and
// receive chains through the RxPlacer the device's receive thread uses, with a packet of the
// input's length. The descriptors are the input's, unchecked (flags, next, addresses inside,
// at the edge of and outside RAM, lengths), and so are the headers in the buffers.
//
// Input:
//   byte 0       bit 7: receive (else transmit); bit 0 MRG_RXBUF, bit 1 INDIRECT_DESC,
//                bit 2 EVENT_IDX, bit 3 the offloads (CSUM, GUEST_CSUM, TSO both ways)
//   byte 1       chains offered (low nibble + 1, at most 16), heads in the next bytes
//   bytes 2-3    the received packet's length (receive only; at most kMaxPacketBytes)
//   16 x 8 bytes descriptors: u16 offset into the data area (0xffff: outside RAM), u16 length
//                (0xffff: 0x10000 + the offset's low bits), u8 flags, u8 next, u16 unused
//   then 16 bytes of heads, then the data area's contents up to the input's end
//
// Checked: guest RAM refuses nothing (the device never asks outside it); nothing is written but
// the used ring and, receiving, the data area or a writable buffer an indirect table names; every
// transmitted packet sent to the port is within the length bounds with a header 5.1.6.2.1 allows
// and only NEEDS_CSUM set; a delivered packet's used lengths add up to its length.
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <array>
#include <memory>
#include <vector>

#include "tests/fuzz/fuzz_input.hpp"
#include "tests/fuzz/ram_link.hpp"
#include "tests/unit/vmm/fake_guest_ram.hpp"
#include "vmm/virtio/feature_bits.hpp"
#include "vmm/virtio/net_device.hpp"
#include "vmm/virtio/net_header.hpp"
#include "vmm/virtio/net_rx.hpp"
#include "vmm/virtio/split_ring.hpp"
#include "vmm/virtio/split_virtqueue.hpp"

using namespace rootstock::vmm::virtio;
using rootstock::fuzz::check;
using rootstock::fuzz::RamLink;
using rootstock::fuzz::take;
using rootstock::test::FakeGuestRam;
namespace rl = ring_layout;

namespace {

constexpr uint64_t kRamBase = 0x10000000;
constexpr uint32_t kQueueSize = 16;
constexpr uint64_t kQueue = kRamBase;              // the fuzzed queue
constexpr uint64_t kIdleQueue = kRamBase + 0x800;  // the other one, empty
constexpr uint64_t kData = kRamBase + 0x1000;
constexpr size_t kDataBytes = 0x20000;
constexpr size_t kRamBytes = 0x1000 + kDataBytes;

QueueLayout layout_at(uint64_t base) {
  return {kQueueSize, base, base + 0x100, base + 0x200};
}

/// A port that keeps nothing and checks what it is sent; its fd never polls readable.
class CheckingPort final : public PacketPort {
 public:
  explicit CheckingPort(bool offloads) : offloads_(offloads) {}
  [[nodiscard]] bool carries_offloads() const override { return offloads_; }
  [[nodiscard]] rootstock::vmm::Result<void> set_offloads(const NetOffloads&) override {
    return {};
  }
  [[nodiscard]] rootstock::vmm::Result<bool> send(std::span<const uint8_t> packet) override {
    check(packet.size() >= sizeof(NetHeader) + kEthernetHeaderBytes);
    check(packet.size() <= kMaxPacketBytes);
    NetHeader header;
    memcpy(&header, packet.data(), sizeof(header));
    check((header.flags & ~static_cast<uint8_t>(NetHeaderFlag::kNeedsCsum)) == 0);
    NetHeader again = header;
    check(check_tx_header(again, negotiated).has_value());
    ++sent;
    return true;
  }
  [[nodiscard]] rootstock::vmm::Result<size_t> receive(std::span<uint8_t>) override { return 0; }
  [[nodiscard]] int poll_fd() const override { return idle_fd(); }

  uint64_t negotiated = 0;
  uint32_t sent = 0;

 private:
  static int idle_fd() {
    static const int fd = ::eventfd(0, EFD_CLOEXEC);
    return fd;
  }
  bool offloads_;
};

/// A range the driver made device-writable.
struct Range {
  uint64_t first = 0;
  uint64_t length = 0;
  [[nodiscard]] bool holds(uint64_t gpa, uint64_t n) const {
    return gpa >= first && gpa - first <= length && n <= length - (gpa - first);
  }
};

/// The writable buffers of the indirect tables the fuzzed queue's descriptors name (2.7.5.3):
/// their addresses come from the data area's raw bytes, so they may point anywhere in RAM, and
/// the device may write there as the driver asked. Read before the device runs.
std::vector<Range> indirect_writable(const FakeGuestRam& ram) {
  std::vector<Range> ranges;
  const uint64_t ram_end = kRamBase + kRamBytes;
  for (uint32_t i = 0; i < kQueueSize; ++i) {
    const auto d = ram.peek<VirtqDesc>(kQueue + rl::desc_offset(i));
    if ((d.flags & static_cast<uint16_t>(DescFlag::kIndirect)) == 0) continue;
    if (d.addr < kRamBase || d.addr > ram_end || d.len > ram_end - d.addr) continue;
    for (uint64_t at = d.addr; at + sizeof(VirtqDesc) <= d.addr + d.len; at += sizeof(VirtqDesc)) {
      const auto entry = ram.peek<VirtqDesc>(at);
      if ((entry.flags & static_cast<uint16_t>(DescFlag::kWrite)) != 0) {
        ranges.push_back({entry.addr, entry.len});
      }
    }
  }
  return ranges;
}

void check_writes(const FakeGuestRam& ram, bool data_too, const std::vector<Range>& also = {}) {
  const uint64_t used = layout_at(kQueue).used;
  for (const auto& w : ram.writes()) {
    const bool in_used = w.gpa >= used && w.gpa + w.length <= used + rl::used_ring_size(kQueueSize);
    const bool in_data = w.gpa >= kData && w.gpa + w.length <= kData + kDataBytes;
    const bool in_indirect = std::any_of(also.begin(), also.end(),
                                         [&](const Range& r) { return r.holds(w.gpa, w.length); });
    check(in_used || (data_too && (in_data || in_indirect)));
  }
}

void transmit(FakeGuestRam& ram, uint64_t features, bool offloads, uint32_t chains) {
  auto owned = std::make_unique<CheckingPort>(offloads);
  CheckingPort& port = *owned;
  NetDevice device(std::move(owned), {2, 0, 0, 0, 0, 1}, NetTransmit::kInline);
  features &= device.features();
  port.negotiated = features;
  auto rx =
      SplitVirtqueue::create(ram, layout_at(kIdleQueue), QueueFeatures::from_negotiated(features));
  auto tx =
      SplitVirtqueue::create(ram, layout_at(kQueue), QueueFeatures::from_negotiated(features));
  check(rx && tx);
  std::array<SplitVirtqueue*, 2> queues = {&*rx, &*tx};
  RamLink link(ram);
  check(device.activate(features, queues, link));
  ram.record_writes(true);
  device.notify(NetDevice::kTransmitQueue);
  device.reset();
  check(ram.refused() == 0);
  check_writes(ram, false);
  const NetCounters c = device.counters();
  check(c.tx_packets == port.sent);
  if (link.resets == 0) check(c.tx_packets + c.tx_dropped + c.tx_errors == chains);
}

void receive(FakeGuestRam& ram, uint64_t features, size_t length, const uint8_t* bytes) {
  auto queue =
      SplitVirtqueue::create(ram, layout_at(kQueue), QueueFeatures::from_negotiated(features));
  check(queue.has_value());
  static std::vector<uint8_t> packet(kMaxPacketBytes);
  const auto p = std::span(packet).first(length);
  std::fill(p.begin(), p.end(), uint8_t{0x5a});
  memcpy(p.data(), bytes, std::min(p.size(), sizeof(NetHeader)));
  RxPlacer placer;
  placer.start((features & net_feature_mask(NetFeatureBit::kMrgRxbuf)) != 0);
  const std::vector<Range> indirect = (features & feature_mask(FeatureBit::kIndirectDesc)) != 0
                                          ? indirect_writable(ram)
                                          : std::vector<Range>{};
  ram.record_writes(true);
  auto placed = placer.place(*queue, ram, p);
  check(ram.refused() == 0);
  check_writes(ram, true, indirect);
  if (!placed || placed->outcome != RxOutcome::kDelivered) return;
  check(placed->buffers >= 1 && placed->buffers <= kQueueSize);
  uint64_t total = 0;
  const uint16_t used_idx = queue->next_used();
  for (uint16_t i = static_cast<uint16_t>(used_idx - placed->buffers); i != used_idx; ++i) {
    total +=
        ram.peek<VirtqUsedElem>(layout_at(kQueue).used + rl::used_entry_offset(i % kQueueSize)).len;
  }
  check(total == length);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static FakeGuestRam ram(kRamBase, kRamBytes);
  ram.clear();
  const uint8_t* at = data;
  const uint8_t* end = data + size;

  const auto mode = take<uint8_t>(at, end);
  const bool receiving = (mode & 0x80) != 0;
  const bool offloads = (mode & 8) != 0;
  uint64_t features = kFeatureVersion1 | net_feature_mask(NetFeatureBit::kMac);
  if (mode & 1) features |= net_feature_mask(NetFeatureBit::kMrgRxbuf);
  if (mode & 2) features |= feature_mask(FeatureBit::kIndirectDesc);
  if (mode & 4) features |= feature_mask(FeatureBit::kEventIdx);
  if (offloads) features |= kNetOffloadFeatures;
  const uint32_t chains = (take<uint8_t>(at, end) & 0xfu) + 1;
  const size_t length =
      std::min<size_t>(take<uint16_t>(at, end) + sizeof(NetHeader), kMaxPacketBytes);

  for (uint32_t i = 0; i < kQueueSize; ++i) {
    const auto offset = take<uint16_t>(at, end);
    const auto len = take<uint16_t>(at, end);
    const auto flags = take<uint8_t>(at, end);
    const auto next = take<uint8_t>(at, end);
    (void)take<uint16_t>(at, end);
    const uint64_t addr = offset == 0xffff ? kRamBase + kRamBytes - 8 : kData + offset;
    const uint32_t bytes = len == 0xffff ? 0x10000u + (offset & 0xffu) : len;
    ram.poke(kQueue + rl::desc_offset(i),
             VirtqDesc{addr, bytes, static_cast<uint16_t>(flags & 7), next});
  }
  for (uint32_t i = 0; i < kQueueSize; ++i) {
    const auto head = take<uint8_t>(at, end);
    if (i < chains) ram.poke<uint16_t>(kQueue + 0x100 + rl::avail_entry_offset(i), head);
  }
  ram.store_u16_release(kQueue + 0x100 + rl::avail_idx_offset(), static_cast<uint16_t>(chains));
  const uint8_t* header = at;
  const size_t contents = std::min<size_t>(kDataBytes, static_cast<size_t>(end - at));
  memcpy(ram.bytes().data() + (kData - kRamBase), at, contents);

  if (receiving) {
    std::array<uint8_t, sizeof(NetHeader)> h{};
    memcpy(h.data(), header, std::min(h.size(), contents));
    receive(ram, features, length, h.data());
  } else {
    transmit(ram, features, offloads, chains);
  }
  return 0;
}
