// A growable byte image for building firmware and file structures in tests (PE files, ELF
// images, memory maps): plain layouts written at chosen offsets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace rootstock::testing {

class ByteImage {
 public:
  explicit ByteImage(size_t size = 0, uint8_t fill = 0) : bytes_(size, fill) {}

  /// Writes the bytes of `value` at `offset`, growing the image when needed.
  template <typename T>
  ByteImage& put(size_t offset, const T& value) {
    return put_bytes(offset, &value, sizeof(T));
  }
  ByteImage& put_bytes(size_t offset, const void* data, size_t n) {
    if (offset + n > bytes_.size()) bytes_.resize(offset + n, 0);
    std::memcpy(bytes_.data() + offset, data, n);
    return *this;
  }
  template <typename T>
  [[nodiscard]] T get(size_t offset) const {
    T v;
    std::memcpy(&v, bytes_.data() + offset, sizeof(T));
    return v;
  }
  void resize(size_t n) { bytes_.resize(n, 0); }
  [[nodiscard]] size_t size() const { return bytes_.size(); }
  [[nodiscard]] const uint8_t* data() const { return bytes_.data(); }
  [[nodiscard]] uint8_t* data() { return bytes_.data(); }
  [[nodiscard]] std::vector<uint8_t>& bytes() { return bytes_; }
  [[nodiscard]] const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

/// The whole file at `path`, or empty when it cannot be read.
inline std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace rootstock::testing
