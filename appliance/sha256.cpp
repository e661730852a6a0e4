#include "appliance/sha256.hpp"

#include <mbedtls/sha256.h>

namespace rootstock::appliance {

struct Sha256::State {
  mbedtls_sha256_context context;
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  mbedtls_sha256_init(&state_->context);
  // 0: SHA-256, not SHA-224. Software SHA-256 does not fail (mbedtls/sha256.h).
  (void)mbedtls_sha256_starts_ret(&state_->context, 0);
}

Sha256::~Sha256() {
  mbedtls_sha256_free(&state_->context);
}

void Sha256::update(std::string_view bytes) {
  (void)mbedtls_sha256_update_ret(
      &state_->context, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

Sha256::Digest Sha256::finish() {
  Digest d{};
  (void)mbedtls_sha256_finish_ret(&state_->context, d.data());
  return d;
}

std::string hex(const Sha256::Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * digest.size());
  for (uint8_t b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

std::optional<Sha256::Digest> parse_sha256(std::string_view text) {
  if (text.size() != 2 * Sha256::kBytes) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Sha256::Digest d{};
  for (size_t i = 0; i < d.size(); ++i) {
    const int hi = nibble(text[2 * i]);
    const int lo = nibble(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    d[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return d;
}

}  // namespace rootstock::appliance
