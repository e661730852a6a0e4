#include "image/gpt/guid.hpp"

namespace rootstock::gpt {

std::string Guid::text() const {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string s;
  s.reserve(guid_detail::kTextLength);
  size_t hyphen = 0;
  for (size_t k = 0; k < bytes.size(); ++k) {
    if (hyphen < guid_detail::kHyphens.size() && s.size() == guid_detail::kHyphens[hyphen]) {
      s += '-';
      ++hyphen;
    }
    uint8_t b = bytes[guid_detail::kStoredIndex[k]];
    s += kHex[b >> 4];
    s += kHex[b & 0xF];
  }
  return s;
}

}  // namespace rootstock::gpt
