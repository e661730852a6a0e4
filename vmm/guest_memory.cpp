#include "vmm/guest_memory.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

namespace rootstock::vmm {
namespace {

std::string range(uint64_t gpa, uint64_t length) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "[0x%llx, +0x%llx)", static_cast<unsigned long long>(gpa),
                static_cast<unsigned long long>(length));
  return buf;
}

}  // namespace

Result<GuestMemory> GuestMemory::allocate(uint64_t gpa, uint64_t size) {
  if (size == 0 || size % kPageSize != 0 || gpa % kPageSize != 0 || gpa + size < gpa) {
    return fail("guest memory " + range(gpa, size) + ": not 4 KiB-aligned, empty, or wrapping");
  }
  // MAP_POPULATE: every page gets its own frame now. The driver pins the pages anyway when the
  // memory is mapped, and it refuses the shared zero page that an untouched page of a region
  // mapped without write access would pin as (docs/hvroot.md, HVROOT_MAP_MEMORY step 4).
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED) return fail_errno("mmap of guest memory " + range(gpa, size), errno);
  return GuestMemory(gpa, size, static_cast<uint8_t*>(p));
}

GuestMemory::GuestMemory(GuestMemory&& other) noexcept
    : gpa_(other.gpa_),
      size_(std::exchange(other.size_, 0)),
      base_(std::exchange(other.base_, nullptr)) {}

GuestMemory& GuestMemory::operator=(GuestMemory&& other) noexcept {
  if (this != &other) {
    release();
    gpa_ = other.gpa_;
    size_ = std::exchange(other.size_, 0);
    base_ = std::exchange(other.base_, nullptr);
  }
  return *this;
}

GuestMemory::~GuestMemory() {
  release();
}

void GuestMemory::release() {
  if (base_ != nullptr) ::munmap(base_, size_);
  base_ = nullptr;
  size_ = 0;
}

bool GuestMemory::contains(uint64_t gpa, uint64_t length) const {
  // Written without gpa + length, which a hostile length could wrap.
  return gpa >= gpa_ && gpa - gpa_ <= size_ && length <= size_ - (gpa - gpa_);
}

Result<std::span<uint8_t>> GuestMemory::bytes(uint64_t gpa, uint64_t length) {
  if (!contains(gpa, length)) {
    return fail("guest-physical " + range(gpa, length) + " is outside guest memory " +
                range(gpa_, size_));
  }
  return std::span<uint8_t>(base_ + (gpa - gpa_), length);
}

Result<std::span<const uint8_t>> GuestMemory::bytes(uint64_t gpa, uint64_t length) const {
  // The same checks as the mutable overload; expected's monadic operations are not in the host's
  // libstdc++ 12, hence the spelled-out conversion.
  auto span = const_cast<GuestMemory*>(this)->bytes(gpa, length);
  if (!span) return std::unexpected(span.error());
  return std::span<const uint8_t>(*span);
}

Result<void> GuestMemory::write(uint64_t gpa, std::span<const uint8_t> data) {
  auto target = bytes(gpa, data.size());
  if (!target) return std::unexpected(target.error());
  if (!data.empty()) std::memcpy(target->data(), data.data(), data.size());
  return {};
}

}  // namespace rootstock::vmm
