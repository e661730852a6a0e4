// virtio-hostile BDF: a hostile virtio-blk driver in a child (rootstock.child_cmd=virtio-hostile,
// image/child/init.sh). It takes PCI function BDF from Linux (virtio_user_pci.hpp) and, for each
// case below, starts the device as a driver does (virtio 1.2, 3.1.1: reset, ACKNOWLEDGE, DRIVER,
// features, FEATURES_OK, queue 0, DRIVER_OK), hands it one malformed virtqueue, or a well-formed
// request with its BAR moved away and back or a hostile MSI-X message for its interrupt, waits
// (bounded) for the used ring or DEVICE_NEEDS_RESET, and prints
//   rootstock-child: hostile CASE status=0xSS used=N len=L blk=0xBB result=RESULT
// with the device status, used->idx, the used element's len, the request's status byte (0xff:
// the device never wrote it) and RESULT: needs-reset (DEVICE_NEEDS_RESET, 2.1.2), failed (the
// chain came back without data or with an error status), ok, no-answer, or what went wrong in
// the case's own steps (setup-failed, served-while-moved). Then it resets the device and goes
// on. Last a well-formed read of sector 0, which must succeed on the same device, and
//   rootstock-child: hostile done cases=N contained=M recovered=yes|no
// where M counts the cases that ended as the VMM's rules say (docs/virtio.md "Threat model"): a
// broken ring or queue configuration in DEVICE_NEEDS_RESET, a malformed chain returned with
// nothing done, a request served whatever its interrupt's message. Exit status 0 when every case
// did. The device is left reset, MSI-X disabled, and unbound.
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
// The legacy part of the header (vring_init) is C only, and legacy layouts are not used here.
#define VIRTIO_RING_NO_LEGACY
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "virtio_user_pci.hpp"

namespace rootstock::child {
namespace {

/// The queue every case starts from: small, so that a chain longer than it is easy to write.
constexpr uint16_t kQueueSize = 8;
/// A queue size no split virtqueue may have (2.7: a power of two).
constexpr uint16_t kQueueSizeNotPowerOfTwo = 3;
/// Far outside the child's RAM (1 TiB), and an address whose range wraps past 2^64.
constexpr uint64_t kOutsideRam = uint64_t{1} << 40;
constexpr uint64_t kWrapping = ~uint64_t{0} - 0xfff;
/// A descriptor index past any table here.
constexpr uint16_t kBadIndex = 200;
/// How long a case waits for the device's answer; a correct one takes milliseconds.
constexpr uint64_t kAnswerTimeoutMs = 10000;
/// What the driver accepts: VERSION_1 (6.1) and INDIRECT_DESC for the indirect cases; no
/// EVENT_IDX, which no case needs.
constexpr uint64_t kFeatures =
    (uint64_t{1} << VIRTIO_F_VERSION_1) | (uint64_t{1} << VIRTIO_RING_F_INDIRECT_DESC);
/// MSI messages (Intel SDM vol. 3A, 11.11.1-2): the LAPIC window, the destination APIC ID in
/// address bits 19:12, the vector in data bits 7:0 and the delivery mode in bits 10:8.
constexpr uint32_t kMsiWindow = 0xfee00000;
constexpr uint32_t kMsiDestinationShift = 12;
constexpr uint32_t kMsiDeliveryShift = 8;
/// A vector the child's kernel does not use, and a vector below 16, which none may.
constexpr uint32_t kUnusedVector = 0x9e;
constexpr uint32_t kReservedVector = 0x02;
/// A delivery mode that does not exist (7), an APIC ID the child does not have.
constexpr uint32_t kBadDeliveryMode = 7;
constexpr uint32_t kNoSuchApic = 0x55;
/// Where BAR 0 goes for a while: in the PCI window, 1 MiB above where it is, where no function
/// decodes (the VMM hands out the window's 32 KiB BARs from its start).
constexpr uint32_t kBarAway = 0x100000;
/// How long a kick that should do nothing is given to do something.
constexpr unsigned kQuietUs = 200000;
/// The status byte's value before the device writes it.
constexpr uint8_t kUnwritten = 0xff;
constexpr uint32_t kSector = 512;

/// The locked pages: the rings, the request (header, data, status) and two indirect tables.
enum Page : size_t { kRings, kRequest, kTable, kTable2, kPageCount };
/// Offsets in the ring page (2.7: table 16-byte, available ring 2-byte, used ring 4-byte aligned).
constexpr uint32_t kDescAt = 0x000;
constexpr uint32_t kAvailAt = 0x400;
constexpr uint32_t kUsedAt = 0x800;
/// Offsets in the request page.
constexpr uint32_t kHeaderAt = 0x000;
constexpr uint32_t kDataAt = 0x200;
constexpr uint32_t kStatusAt = 0x800;
/// mixed-chains: the second good read's data and status in the second table's page, and the
/// status byte of a refused chain, which must stay unwritten.
constexpr uint32_t kData2At = 0x200;
constexpr uint32_t kStatus2At = 0x800;
constexpr uint32_t kRefusedStatusAt = 0x801;

static_assert(sizeof(vring_desc) == 16 && sizeof(vring_used_elem) == 8);
static_assert(sizeof(virtio_blk_outhdr) == 16);
static_assert(kDescAt + kQueueSize * sizeof(vring_desc) <= kAvailAt);
static_assert(kAvailAt + 6 + 2 * kQueueSize <= kUsedAt);

/// What the VMM must do with a case (docs/virtio.md "Threat model").
enum class Expect { kNeedsReset, kFailed, kOk };

/// The driver's side of one device: its pages and the queue as the case configures it.
struct Rig {
  VirtioUserPci* device = nullptr;
  DmaPage pages[kPageCount];
  QueueSetup queue;
  /// Set when a case's own steps went wrong; printed as its result.
  const char* fault = nullptr;

  uint64_t gpa(Page page, uint32_t offset) const { return pages[page].gpa + offset; }
  vring_desc* table(Page page) const { return reinterpret_cast<vring_desc*>(pages[page].data); }
  vring_desc* ring_desc() const { return table(kRings); }
  uint8_t request_status() const { return pages[kRequest].data[kStatusAt]; }
  uint8_t byte(Page page, uint32_t offset) const { return pages[page].data[offset]; }

  /// Everything zero, the status byte unwritten, the queue where the ring page has it.
  void clear() {
    for (const DmaPage& page : pages) memset(page.data, 0, 4096);
    pages[kRequest].data[kStatusAt] = kUnwritten;
    pages[kRequest].data[kRefusedStatusAt] = kUnwritten;
    pages[kTable2].data[kStatus2At] = kUnwritten;
    queue = {kQueueSize, gpa(kRings, kDescAt), gpa(kRings, kAvailAt), gpa(kRings, kUsedAt)};
    fault = nullptr;
  }

  /// The queue's used buffer notifications as `message`, through MSI-X vector 0.
  void use_msix(const MsixMessage& message) {
    if (!device->enable_msix(0, message)) fault = "setup-failed";
    queue.msix_vector = 0;
  }

  /// A read of sector 0 (5.2.6) in the request page's header.
  void read_header() const {
    virtio_blk_outhdr header{};
    header.type = VIRTIO_BLK_T_IN;
    memcpy(pages[kRequest].data + kHeaderAt, &header, sizeof(header));
  }

  /// A read at `first`, first+1, first+2 of `t`: the header, a sector into `data`, the status
  /// byte at `status`.
  void read_chain(vring_desc* t, uint16_t first, uint64_t data, uint64_t status) const {
    read_header();
    t[first] = {gpa(kRequest, kHeaderAt), sizeof(virtio_blk_outhdr), VRING_DESC_F_NEXT,
                static_cast<uint16_t>(first + 1)};
    t[first + 1] = {data, kSector, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
                    static_cast<uint16_t>(first + 2)};
    t[first + 2] = {status, 1, VRING_DESC_F_WRITE, 0};
  }
  /// The same into the request page's data and status: a well-formed read.
  void read_chain(vring_desc* t, uint16_t first) const {
    read_chain(t, first, gpa(kRequest, kDataAt), gpa(kRequest, kStatusAt));
  }

  /// Puts `head` in the available ring's first entry and stores `idx` (2.7.13.2-3).
  void publish(uint16_t head, uint16_t idx = 1) const { publish_all(&head, 1, idx); }
  /// Puts `count` heads in the available ring's first entries and stores `idx`.
  void publish_all(const uint16_t* heads, uint16_t count, uint16_t idx) const {
    auto* avail = reinterpret_cast<vring_avail*>(pages[kRings].data + kAvailAt);
    for (uint16_t i = 0; i < count; ++i) avail->ring[i] = heads[i];
    __atomic_store_n(&avail->idx, idx, __ATOMIC_RELEASE);
  }

  const vring_used* used() const {
    return reinterpret_cast<const vring_used*>(pages[kRings].data + kUsedAt);
  }
  uint16_t used_idx() const { return __atomic_load_n(&used()->idx, __ATOMIC_ACQUIRE); }
};

/// One malformed virtqueue: `configure` may move or resize the queue before DRIVER_OK, `submit`
/// writes the chain and makes it available.
struct Case {
  const char* name;
  Expect expect;
  void (*configure)(Rig&);
  void (*submit)(Rig&);
  /// How many chains the device is to return before the case looks at the used ring.
  uint16_t chains = 1;
  /// What else must hold once they are back; sets Rig::fault if not.
  void (*check)(Rig&) = nullptr;
};

void keep_queue(Rig&) {}

void submit_read(Rig& r) {
  r.read_chain(r.ring_desc(), 0);
  r.publish(0);
}

/// mixed-chains: a read (head 3, indirect), a chain with its data outside RAM (head 0), a
/// read into the second table's page (head 4, indirect), a next past the table (head 5).
constexpr uint16_t kMixedHeads[] = {3, 0, 4, 5};
constexpr uint16_t kMixedChains = sizeof(kMixedHeads) / sizeof(kMixedHeads[0]);
constexpr uint32_t kMixedLengths[] = {kSector + 1, 0, kSector + 1, 0};

void submit_mixed(Rig& r) {
  vring_desc* d = r.ring_desc();
  r.read_chain(r.table(kTable), 0);
  r.read_chain(r.table(kTable2), 0, r.gpa(kTable2, kData2At), r.gpa(kTable2, kStatus2At));
  r.read_chain(d, 0, kOutsideRam, r.gpa(kRequest, kRefusedStatusAt));
  d[3] = {r.gpa(kTable, 0), 3 * sizeof(vring_desc), VRING_DESC_F_INDIRECT, 0};
  d[4] = {r.gpa(kTable2, 0), 3 * sizeof(vring_desc), VRING_DESC_F_INDIRECT, 0};
  d[5] = {r.gpa(kRequest, kHeaderAt), sizeof(virtio_blk_outhdr), VRING_DESC_F_NEXT, kBadIndex};
  r.publish_all(kMixedHeads, kMixedChains, kMixedChains);
}

void check_mixed(Rig& r) {
  for (uint16_t i = 0; i < kMixedChains; ++i) {
    const vring_used_elem& e = r.used()->ring[i];
    if (e.id != kMixedHeads[i] || e.len != kMixedLengths[i]) r.fault = "neighbour-failed";
  }
  if (r.byte(kTable2, kStatus2At) != VIRTIO_BLK_S_OK ||
      r.byte(kRequest, kRefusedStatusAt) != kUnwritten) {
    r.fault = "neighbour-failed";
  }
}

const Case kCases[] = {
    // 2.7.5: buffers the device must not touch, each refused as a chain fault.
    {"desc-outside-ram", Expect::kFailed, keep_queue,
     [](Rig& r) {
       r.read_chain(r.ring_desc(), 0);
       r.ring_desc()[1].addr = kOutsideRam;
       r.publish(0);
     }},
    {"desc-wrap", Expect::kFailed, keep_queue,
     [](Rig& r) {
       r.read_chain(r.ring_desc(), 0);
       r.ring_desc()[1].addr = kWrapping;
       r.ring_desc()[1].len = 0x2000;
       r.publish(0);
     }},
    {"desc-on-device", Expect::kFailed, keep_queue,
     [](Rig& r) {
       r.read_chain(r.ring_desc(), 0);
       r.ring_desc()[1].addr = r.device->bar_gpa();  // the device's own registers
       r.publish(0);
     }},
    // 2.7.5.3.1: a loop (the last two descriptors point at each other), a chain longer than
    // the queue (16 buffers in an indirect table), a next past the table.
    {"desc-loop", Expect::kFailed, keep_queue,
     [](Rig& r) {
       r.read_chain(r.ring_desc(), 0);
       r.ring_desc()[2].flags |= VRING_DESC_F_NEXT;
       r.ring_desc()[2].next = 1;
       r.publish(0);
     }},
    {"chain-too-long", Expect::kFailed, keep_queue,
     [](Rig& r) {
       constexpr uint16_t kEntries = 2 * kQueueSize;
       vring_desc* t = r.table(kTable);
       r.read_chain(t, 0);
       for (uint16_t i = 1; i < kEntries; ++i) {
         t[i] = {r.gpa(kRequest, kDataAt), 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
                 static_cast<uint16_t>(i + 1)};
       }
       t[kEntries - 1] = {r.gpa(kRequest, kStatusAt), 1, VRING_DESC_F_WRITE, 0};
       r.ring_desc()[0] = {r.gpa(kTable, 0), kEntries * sizeof(vring_desc), VRING_DESC_F_INDIRECT,
                           0};
       r.publish(0);
     }},
    {"next-out-of-range", Expect::kFailed, keep_queue,
     [](Rig& r) {
       r.read_chain(r.ring_desc(), 0);
       r.ring_desc()[0].next = kBadIndex;
       r.publish(0);
     }},
    // 2.7.5.3.1: an indirect table inside an indirect table; a table outside RAM.
    {"indirect-nested", Expect::kFailed, keep_queue,
     [](Rig& r) {
       r.read_chain(r.table(kTable2), 0);
       r.table(kTable)[0] = {r.gpa(kTable2, 0), 3 * sizeof(vring_desc), VRING_DESC_F_INDIRECT, 0};
       r.ring_desc()[0] = {r.gpa(kTable, 0), sizeof(vring_desc), VRING_DESC_F_INDIRECT, 0};
       r.publish(0);
     }},
    {"indirect-outside-ram", Expect::kFailed, keep_queue,
     [](Rig& r) {
       r.ring_desc()[0] = {kOutsideRam, 3 * sizeof(vring_desc), VRING_DESC_F_INDIRECT, 0};
       r.publish(0);
     }},
    // 2.7.5.2: lengths that add up past 2^32 - 1.
    {"length-overflow", Expect::kFailed, keep_queue,
     [](Rig& r) {
       r.read_chain(r.ring_desc(), 0);
       r.ring_desc()[1].len = 0xfffffff8;
       r.publish(0);
     }},
    // 5.2.6: a read whose data buffer is device-readable; 2.7.4.2: a readable buffer after a
    // writable one.
    {"wrong-direction", Expect::kFailed, keep_queue,
     [](Rig& r) {
       r.read_chain(r.ring_desc(), 0);
       r.ring_desc()[1].flags = VRING_DESC_F_NEXT;
       r.publish(0);
     }},
    {"readable-after-writable", Expect::kFailed, keep_queue,
     [](Rig& r) {
       r.read_chain(r.ring_desc(), 0);
       vring_desc* t = r.ring_desc();
       t[0].next = 2;                    // header, then the status byte (writable),
       t[2].flags |= VRING_DESC_F_NEXT;  // then the data
       t[2].next = 1;
       t[1].flags = 0;
       r.publish(0);
     }},
    // Malformed chains consume themselves only: two well-formed reads (through indirect tables)
    // and two refused chains in one ring, each returned, in ring order, as its own.
    {"mixed-chains", Expect::kOk, keep_queue, submit_mixed, kMixedChains, check_mixed},
    // 2.7.13: the ring itself broken: avail->idx far ahead of what the queue can hold, a head
    // past the table. The queue is unusable until a reset.
    {"avail-idx-jump", Expect::kNeedsReset, keep_queue,
     [](Rig& r) {
       r.read_chain(r.ring_desc(), 0);
       r.publish(0, 0x8000);
     }},
    {"head-out-of-range", Expect::kNeedsReset, keep_queue, [](Rig& r) { r.publish(kBadIndex); }},
    // 4.1.4.3.2 / 2.7: a queue the device cannot use, refused at DRIVER_OK.
    {"queue-outside-ram", Expect::kNeedsReset, [](Rig& r) { r.queue.desc = kOutsideRam; },
     [](Rig& r) {
       r.read_chain(r.ring_desc(), 0);
       r.publish(0);
     }},
    {"queue-on-device", Expect::kNeedsReset, [](Rig& r) { r.queue.used = r.device->bar_gpa(); },
     [](Rig& r) {
       r.read_chain(r.ring_desc(), 0);
       r.publish(0);
     }},
    {"queue-size-invalid", Expect::kNeedsReset,
     [](Rig& r) { r.queue.size = kQueueSizeNotPowerOfTwo; }, submit_read},
    // PCI 3.0, 6.2.5.1: BAR 0 moved away while the device runs. A write to where the notify
    // address was must kick nothing (no decode, no doorbell left behind); moved back, the same
    // queue serves the request.
    {"bar-moved-while-active", Expect::kOk, keep_queue,
     [](Rig& r) {
       submit_read(r);
       const auto base = static_cast<uint32_t>(r.device->bar_gpa());
       if (!r.device->move_bar0(base + kBarAway)) r.fault = "setup-failed";
       r.device->notify(0);
       usleep(kQuietUs);
       if (r.used_idx() != 0) r.fault = "served-while-moved";
       if (!r.device->move_bar0(base)) r.fault = "setup-failed";
     }},
    // PCI 3.0, 6.8.2 and docs/hypercalls.md PARTITION_INTERRUPT: MSI-X messages that the VMM or
    // hv refuses or that reach no CPU. The request itself is served.
    {"msix-outside-lapic", Expect::kOk, [](Rig& r) { r.use_msix({0xdead0000, 0, kUnusedVector}); },
     submit_read},
    {"msix-upper-address", Expect::kOk, [](Rig& r) { r.use_msix({kMsiWindow, 1, kUnusedVector}); },
     submit_read},
    {"msix-reserved-vector", Expect::kOk,
     [](Rig& r) { r.use_msix({kMsiWindow, 0, kReservedVector}); }, submit_read},
    {"msix-delivery-mode", Expect::kOk,
     [](Rig& r) {
       r.use_msix({kMsiWindow, 0, kUnusedVector | kBadDeliveryMode << kMsiDeliveryShift});
     },
     submit_read},
    {"msix-no-such-cpu", Expect::kOk,
     [](Rig& r) {
       r.use_msix({kMsiWindow | kNoSuchApic << kMsiDestinationShift, 0, kUnusedVector});
     },
     submit_read},
};

/// The case that must work after all the others: a read of sector 0.
const Case kWellFormed = {"well-formed", Expect::kOk, keep_queue, submit_read};

const char* result_name(Expect result) {
  switch (result) {
    case Expect::kNeedsReset:
      return "needs-reset";
    case Expect::kFailed:
      return "failed";
    case Expect::kOk:
      return "ok";
  }
  return "?";
}

/// Runs one case on a freshly reset device; true if it ended as `c.expect` says.
bool run(Rig& rig, const Case& c) {
  VirtioUserPci& device = *rig.device;
  const bool fresh = device.reset();  // before its memory changes under it
  rig.clear();
  c.configure(rig);
  uint8_t status = device.start(kFeatures, rig.queue);
  if ((status & VIRTIO_CONFIG_S_DRIVER_OK) != 0) {
    c.submit(rig);
    device.notify(0);
  }
  // Bounded: the used ring in RAM is free to poll; the status register is read every 10 ms.
  bool answered = false;
  for (const uint64_t end = monotonic_ms() + kAnswerTimeoutMs; monotonic_ms() < end;) {
    status = device.status();
    if (rig.used_idx() >= c.chains || (status & VIRTIO_CONFIG_S_NEEDS_RESET) != 0) {
      answered = true;
      break;
    }
    usleep(10000);
  }
  status = device.status();
  const uint16_t used = rig.used_idx();
  const uint32_t len = used != 0 ? rig.used()->ring[0].len : 0;
  const uint8_t blk = rig.request_status();
  const char* result = "no-answer";
  Expect got = Expect::kFailed;
  if ((status & VIRTIO_CONFIG_S_NEEDS_RESET) != 0) {
    got = Expect::kNeedsReset;
  } else if (answered) {
    got = blk == VIRTIO_BLK_S_OK ? Expect::kOk : Expect::kFailed;
  }
  if (answered) result = result_name(got);
  if (answered && c.check != nullptr) c.check(rig);
  if (rig.fault != nullptr) result = rig.fault;
  printf("rootstock-child: hostile %s status=0x%02x used=%u len=%u blk=0x%02x result=%s\n", c.name,
         status, used, len, blk, result);
  fflush(stdout);
  (void)device.read_isr();  // leaves nothing pending for the next case
  const bool reset = device.reset();
  device.disable_msix();
  if (!reset) printf("rootstock-child: hostile %s: the device did not reset\n", c.name);
  return fresh && answered && reset && rig.fault == nullptr && got == c.expect;
}

}  // namespace
}  // namespace rootstock::child

int main(int argc, char** argv) {
  using namespace rootstock::child;
  if (argc != 2) {
    printf("usage: virtio-hostile BDF (a virtio-blk PCI function, e.g. 0000:00:02.0)\n");
    return 2;
  }
  VirtioUserPci device;
  Rig rig;
  rig.device = &device;
  constexpr uint16_t kVirtioBlkPciId = 0x1040 + VIRTIO_ID_BLOCK;  // virtio 1.2, 4.1.2
  if (!device.open(argv[1], kVirtioBlkPciId) || !allocate_dma_pages(rig.pages, kPageCount)) {
    printf("rootstock-child: hostile setup failed\n");
    return 1;
  }
  int contained = 0;
  for (const Case& c : kCases) contained += run(rig, c) ? 1 : 0;
  const bool recovered = run(rig, kWellFormed);
  constexpr int kCount = sizeof(kCases) / sizeof(kCases[0]);
  printf("rootstock-child: hostile done cases=%d contained=%d recovered=%s\n", kCount, contained,
         recovered ? "yes" : "no");
  return contained == kCount && recovered ? 0 : 1;
}
