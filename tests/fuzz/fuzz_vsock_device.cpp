// Fuzzes virtio-vsock (vmm/virtio/vsock_*.*; virtio 1.2 5.10.6) with its host side on real Unix
// sockets: the child's packets from the input — any header (CIDs, ports, type, op, flags, len,
// credit) and payload, split into buffers as the input says, sometimes with a device-writable
// buffer — go through VsockDevice::notify() (VsockServing::kInline: deterministic, no thread)
// to a host side with a server listening at <uds_path>_1234 and, if the input says so, a host
// that connected and sent CONNECT 52. Receive buffers of the input's count and size take what
// the device owes the child, between rounds in which the host writes bytes and closes.
//
// Input:
//   byte 0       bit 0 INDIRECT_DESC, bit 1 EVENT_IDX, bit 2 a host connection with
//                "CONNECT 52\n", bit 3 the host's streams write "data" before the last round,
//                bit 4 they close before it
//   byte 1       low nibble: receive buffers (0-15); high nibble: their size, 44 + 64 * n bytes
//                (15: 43 bytes, too short for a header)
//   then packets, at most 12: u8 split (0xff: one buffer and a device-writable one after it;
//                else the offset of a cut into two buffers), u16 length, that many bytes
//
// Checked: guest RAM refuses nothing; nothing is written but the used rings and the receive
// buffers; every packet in a receive buffer is the host's (src_cid 2) to the child's CID, a
// stream packet with an operation the protocol has, and carries a payload only for RW, within
// the buffer; every transmit chain comes back; the device never asks for a reset.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_input.hpp"
#include "tests/fuzz/ram_link.hpp"
#include "tests/unit/vmm/fake_guest_ram.hpp"
#include "vmm/unique_fd.hpp"
#include "vmm/virtio/feature_bits.hpp"
#include "vmm/virtio/split_ring.hpp"
#include "vmm/virtio/split_virtqueue.hpp"
#include "vmm/virtio/vsock_device.hpp"

using namespace rootstock::vmm::virtio;
using rootstock::fuzz::check;
using rootstock::fuzz::RamLink;
using rootstock::fuzz::take;
using rootstock::test::FakeGuestRam;
using rootstock::vmm::UniqueFd;
namespace rl = ring_layout;

namespace {

constexpr uint64_t kGuestCid = 3;
constexpr uint64_t kRamBase = 0x10000000;
constexpr uint32_t kQueueSize = 32;
constexpr uint64_t kRxQueue = kRamBase;
constexpr uint64_t kTxQueue = kRamBase + 0x1000;
constexpr uint64_t kRxData = kRamBase + 0x2000;  // receive buffers, 16 x 1 KiB at most
constexpr uint64_t kTxData = kRamBase + 0x8000;  // the packets
constexpr size_t kRamBytes = 0x28000;
constexpr size_t kMaxPackets = 12;

QueueLayout layout_at(uint64_t base) {
  return {kQueueSize, base, base + 0x200, base + 0x400};
}

/// The folder the sockets live in, made once per process and removed at its end.
struct SocketDir {
  std::string path;
  SocketDir() {
    char pattern[] = "/tmp/fuzz-vsock-XXXXXX";
    check(::mkdtemp(pattern) != nullptr);
    path = pattern;
  }
  ~SocketDir() {
    ::unlink((path + "/v.sock").c_str());
    ::unlink((path + "/v.sock_1234").c_str());
    ::rmdir(path.c_str());
  }
};

const std::string& socket_dir() {
  static const SocketDir dir;
  return dir.path;
}

UniqueFd unix_socket(const std::string& path, bool listen) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  memcpy(a.sun_path, path.c_str(), path.size() + 1);
  const auto* addr = reinterpret_cast<const sockaddr*>(&a);
  if (listen) {
    ::unlink(path.c_str());
    if (::bind(fd.get(), addr, sizeof(a)) != 0 || ::listen(fd.get(), 8) != 0) return {};
  } else if (::connect(fd.get(), addr, sizeof(a)) != 0) {
    return {};
  }
  return fd;
}

/// The driver: the rings in RAM, written as a guest's virtio_ring.c would.
struct Driver {
  FakeGuestRam& ram;
  uint64_t queue;
  uint16_t next_desc = 0;
  uint16_t avail = 0;

  void add(const std::vector<std::array<uint64_t, 3>>& buffers) {  // gpa, len, writable
    const uint16_t head = next_desc;
    for (size_t i = 0; i < buffers.size(); ++i) {
      const uint16_t index = next_desc++;
      const bool last = i + 1 == buffers.size();
      uint16_t flags = buffers[i][2] != 0 ? static_cast<uint16_t>(DescFlag::kWrite) : 0;
      if (!last) flags |= static_cast<uint16_t>(DescFlag::kNext);
      ram.poke(queue + rl::desc_offset(index % kQueueSize),
               VirtqDesc{buffers[i][0], static_cast<uint32_t>(buffers[i][1]), flags,
                         static_cast<uint16_t>(next_desc % kQueueSize)});
    }
    ram.poke<uint16_t>(layout_at(queue).avail + rl::avail_entry_offset(avail % kQueueSize), head);
    ++avail;
    ram.store_u16_release(layout_at(queue).avail + rl::avail_idx_offset(), avail);
  }
  [[nodiscard]] uint16_t used_idx() const {
    return ram.load_u16_acquire(layout_at(queue).used + rl::used_idx_offset());
  }
};

/// Checks the packets the device put into receive buffers [from, to) of the used ring.
void check_received(FakeGuestRam& ram, uint16_t from, uint16_t to, uint32_t buffer_size,
                    const std::vector<uint64_t>& buffer_at) {
  for (uint16_t i = from; i != to; ++i) {
    const auto used =
        ram.peek<VirtqUsedElem>(layout_at(kRxQueue).used + rl::used_entry_offset(i % kQueueSize));
    check(used.len <= buffer_size);
    if (used.len == 0) continue;
    check(used.len >= sizeof(VsockHeader));
    check(used.id < buffer_at.size());
    const auto h = ram.peek<VsockHeader>(buffer_at[used.id]);
    check(h.src_cid == kVsockHostCid && h.dst_cid == kGuestCid);
    check(h.type == static_cast<uint16_t>(VsockType::kStream));
    check(h.op >= static_cast<uint16_t>(VsockOp::kRequest) &&
          h.op <= static_cast<uint16_t>(VsockOp::kCreditRequest));
    const bool rw = h.op == static_cast<uint16_t>(VsockOp::kRw);
    check(used.len == sizeof(VsockHeader) + h.len);
    check(rw ? h.len > 0 : h.len == 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static FakeGuestRam ram(kRamBase, kRamBytes);
  ram.clear();
  const uint8_t* at = data;
  const uint8_t* end = data + size;
  const auto flags = take<uint8_t>(at, end);
  const auto rx_shape = take<uint8_t>(at, end);
  uint64_t features = 0;
  if ((flags & 1) != 0) features |= feature_mask(FeatureBit::kIndirectDesc);
  if ((flags & 2) != 0) features |= feature_mask(FeatureBit::kEventIdx);

  const std::string uds = socket_dir() + "/v.sock";
  UniqueFd server = unix_socket(uds + "_1234", true);
  auto made = VsockDevice::open(kGuestCid, uds, VsockServing::kInline);
  check(made.has_value());
  VsockDevice& device = **made;
  features |= device.features() & kFeatureVersion1;

  auto rx =
      SplitVirtqueue::create(ram, layout_at(kRxQueue), QueueFeatures::from_negotiated(features));
  auto tx =
      SplitVirtqueue::create(ram, layout_at(kTxQueue), QueueFeatures::from_negotiated(features));
  check(rx && tx);
  std::array<SplitVirtqueue*, 3> queues = {&*rx, &*tx, nullptr};
  RamLink link(ram);
  check(device.activate(features, queues, link));

  Driver rx_driver{ram, kRxQueue};
  Driver tx_driver{ram, kTxQueue};
  // Receive buffers, one descriptor each (ids 0..n-1 are their descriptors).
  const uint32_t rx_count = rx_shape & 0xf;
  const uint32_t size_class = rx_shape >> 4;
  const uint32_t rx_size = size_class == 15 ? 43 : static_cast<uint32_t>(44 + 64 * size_class);
  std::vector<uint64_t> buffer_at;
  for (uint32_t i = 0; i < rx_count; ++i) {
    buffer_at.push_back(kRxData + i * 1024);
    rx_driver.add({{buffer_at.back(), rx_size, 1}});
  }

  // The host connects first, if asked: its CONNECT line is read in the first round.
  UniqueFd host;
  if ((flags & 4) != 0) {
    host = unix_socket(uds, false);
    if (host) (void)!::send(host.get(), "CONNECT 52\n", 11, MSG_NOSIGNAL);
  }

  uint64_t tx_at = kTxData;
  uint32_t chains = 0;
  while (at < end && chains < kMaxPackets) {
    const auto split = take<uint8_t>(at, end);
    const auto length = std::min<size_t>(take<uint16_t>(at, end), static_cast<size_t>(end - at));
    if (length > kRamBase + kRamBytes - tx_at) break;
    const uint64_t gpa = tx_at;
    memcpy(ram.bytes().data() + (gpa - kRamBase), at, length);
    at += length;
    tx_at += (length + 15) & ~size_t{15};
    if (split == 0xff) {
      tx_driver.add({{gpa, length, 0}, {kRxData + 0x4000, 16, 1}});
    } else if (split != 0 && split < length) {
      tx_driver.add({{gpa, split, 0}, {gpa + split, length - split, 0}});
    } else {
      tx_driver.add({{gpa, length, 0}});
    }
    ++chains;
  }
  ram.record_writes(true);
  device.notify(VsockDevice::kTxQueue);
  device.notify(VsockDevice::kRxQueue);
  // The host side acts: the child-initiated connection's server accepts and both write.
  UniqueFd accepted(::accept4(server.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
  if ((flags & 8) != 0) {
    for (const UniqueFd* s : {&host, &accepted}) {
      if (*s) (void)!::send(s->get(), "data", 4, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
  }
  if ((flags & 16) != 0) {
    host.reset();
    accepted.reset();
  }
  device.notify(VsockDevice::kRxQueue);
  device.notify(VsockDevice::kTxQueue);

  check(ram.refused() == 0);
  const uint64_t rx_used = layout_at(kRxQueue).used;
  const uint64_t tx_used = layout_at(kTxQueue).used;
  for (const auto& w : ram.writes()) {
    const bool in_used = (w.gpa >= rx_used && w.gpa + w.length <= rx_used + 0x200) ||
                         (w.gpa >= tx_used && w.gpa + w.length <= tx_used + 0x200);
    const bool in_buffer = std::any_of(buffer_at.begin(), buffer_at.end(), [&](uint64_t b) {
      return w.gpa >= b && w.gpa + w.length <= b + rx_size;
    });
    check(in_used || in_buffer);
  }
  check(link.resets == 0);
  check(tx_driver.used_idx() == chains);
  check(rx_driver.used_idx() <= rx_count);
  check_received(ram, 0, rx_driver.used_idx(), rx_size, buffer_at);
  device.reset();
  return 0;
}
