// A disk in memory behind the BlockMedium seam (vmm/virtio/block_backend.hpp), for the
// virtio-blk unit tests: it counts flushes and can be made to fail.
#pragma once

#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <vector>

#include "vmm/virtio/block_backend.hpp"

namespace rootstock::test {

class MemoryBlockMedium final : public vmm::virtio::BlockMedium {
 public:
  MemoryBlockMedium(uint64_t bytes, bool read_only) : bytes_(bytes), read_only_(read_only) {}

  [[nodiscard]] uint64_t size() const override { return bytes_.size(); }
  [[nodiscard]] bool read_only() const override { return read_only_; }
  [[nodiscard]] vmm::virtio::MediumResult read(uint64_t offset, std::span<uint8_t> out) override {
    if (fail) return std::unexpected("the medium failed");
    memcpy(out.data(), bytes_.data() + offset, out.size());
    return {};
  }
  [[nodiscard]] vmm::virtio::MediumResult write(uint64_t offset,
                                                std::span<const uint8_t> data) override {
    if (fail) return std::unexpected("the medium failed");
    memcpy(bytes_.data() + offset, data.data(), data.size());
    return {};
  }
  [[nodiscard]] vmm::virtio::MediumResult flush() override {
    ++flushes;
    return {};
  }
  [[nodiscard]] vmm::virtio::MediumResult discard(uint64_t offset, uint64_t length) override {
    return write_zeroes(offset, length, true);
  }
  [[nodiscard]] vmm::virtio::MediumResult write_zeroes(uint64_t offset, uint64_t length,
                                                       bool) override {
    std::fill_n(bytes_.begin() + static_cast<ptrdiff_t>(offset), length, uint8_t{0});
    return {};
  }

  std::vector<uint8_t>& bytes() { return bytes_; }
  int flushes = 0;
  bool fail = false;

 private:
  std::vector<uint8_t> bytes_;
  bool read_only_;
};

}  // namespace rootstock::test
