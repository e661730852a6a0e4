#include "vmm/pci/msix.hpp"

#include <algorithm>

namespace rootstock::vmm::pci {

using namespace msix;

namespace {

constexpr uint64_t kPbaBitsPerQword = 64;
constexpr uint16_t kWritableControl = kFunctionMask | kEnable;
constexpr uint32_t kAllOnes32 = 0xffffffff;

/// A DWORD or QWORD access aligned to its size (6.8.2: the only ones software makes).
constexpr bool well_formed(uint64_t offset, uint8_t size) {
  return (size == 4 || size == 8) && offset % size == 0;
}

}  // namespace

MsixVectors::MsixVectors(uint16_t count, InterruptSink& sink)
    : sink_(&sink), entries_(std::clamp<uint32_t>(count, 1, kMaxVectors)) {}

uint64_t MsixVectors::pba_bytes() const {
  return (entries_.size() + kPbaBitsPerQword - 1) / kPbaBitsPerQword * 8;
}

uint16_t MsixVectors::message_control() const {
  std::lock_guard lock(mutex_);
  return static_cast<uint16_t>(control_ | ((entries_.size() - 1) & kTableSizeMask));
}

void MsixVectors::write_message_control(uint16_t value) {
  std::lock_guard lock(mutex_);
  control_ = value & kWritableControl;
  flush_pending_locked();
}

uint64_t MsixVectors::read_table(uint64_t offset, uint8_t size) const {
  if (!well_formed(offset, size) || offset >= table_bytes()) return 0;
  std::lock_guard lock(mutex_);
  const Entry& e = entries_[offset / kEntrySize];
  const uint64_t words[2] = {
      uint64_t{e.address} | uint64_t{e.upper_address} << 32,
      uint64_t{e.data} | uint64_t{e.control} << 32,
  };
  const uint64_t in_entry = offset % kEntrySize;
  const uint64_t qword = words[in_entry / 8];
  return size == 8 ? qword : (qword >> (8 * (in_entry % 8))) & kAllOnes32;
}

void MsixVectors::write_table(uint64_t offset, uint8_t size, uint64_t value) {
  if (!well_formed(offset, size) || offset >= table_bytes()) return;
  std::lock_guard lock(mutex_);
  Entry& e = entries_[offset / kEntrySize];
  const uint64_t in_entry = offset % kEntrySize;
  // A QWORD is two DWORDs, the low one first.
  for (uint64_t done = 0; done < size; done += 4) {
    const auto dword = static_cast<uint32_t>(value >> (8 * done));
    switch (in_entry + done) {
      case kMessageAddress:
        e.address = dword & ~uint32_t{3};  // 6.8.2.6: bits 1:0 are zero
        break;
      case kMessageUpperAddress:
        e.upper_address = dword;
        break;
      case kMessageData:
        e.data = dword;
        break;
      case kVectorControl:
        e.control = dword & kVectorMasked;  // 6.8.2.9: the other bits are reserved
        break;
      default:
        break;
    }
  }
  flush_pending_locked();
}

uint64_t MsixVectors::read_pba(uint64_t offset, uint8_t size) const {
  if (!well_formed(offset, size) || offset >= pba_bytes()) return 0;
  std::lock_guard lock(mutex_);
  uint64_t bits = 0;
  const uint64_t first = offset * 8;
  for (uint64_t i = 0; i < uint64_t{size} * 8 && first + i < entries_.size(); ++i) {
    if (entries_[first + i].pending) bits |= uint64_t{1} << i;
  }
  return bits;
}

bool MsixVectors::enabled() const {
  std::lock_guard lock(mutex_);
  return (control_ & kEnable) != 0;
}

bool MsixVectors::signal(uint16_t vector) {
  std::lock_guard lock(mutex_);
  if ((control_ & kEnable) == 0 || vector >= entries_.size()) return false;
  Entry& e = entries_[vector];
  if (masked_locked(e)) {
    e.pending = true;  // 6.8.3.4: sent when unmasked
  } else {
    send_locked(e);
  }
  return true;
}

void MsixVectors::reset() {
  std::lock_guard lock(mutex_);
  std::fill(entries_.begin(), entries_.end(), Entry{});
  control_ = 0;
}

void MsixVectors::set_bus_master(bool on) {
  std::lock_guard lock(mutex_);
  bus_master_ = on;
  flush_pending_locked();
}

uint64_t MsixVectors::failed() const {
  std::lock_guard lock(mutex_);
  return failed_;
}

bool MsixVectors::masked_locked(const Entry& entry) const {
  return !bus_master_ || (control_ & kFunctionMask) != 0 || (entry.control & kVectorMasked) != 0;
}

void MsixVectors::send_locked(const Entry& entry) {
  // x86 messages are 32-bit addresses in FEEx_xxxxh (Intel SDM vol. 3A, 11.11.1).
  if (entry.upper_address != 0 || !sink_->msi(entry.address, entry.data)) ++failed_;
}

void MsixVectors::flush_pending_locked() {
  if ((control_ & kEnable) == 0) return;
  for (Entry& e : entries_) {
    if (e.pending && !masked_locked(e)) {
      e.pending = false;
      send_locked(e);
    }
  }
}

}  // namespace rootstock::vmm::pci
