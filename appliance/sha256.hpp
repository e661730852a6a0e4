// SHA-256 (FIPS 180-4) of bytes that come in pieces, for the images the API takes: computed as
// an upload streams by, compared with the digest the client sent. mbedTLS's implementation
// (from the sysroot in the root, Debian's on the host) behind a small type.
#pragma once

#include <stdint.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace rootstock::appliance {

class Sha256 {
 public:
  static constexpr size_t kBytes = 32;
  using Digest = std::array<uint8_t, kBytes>;

  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view bytes);
  /// The digest of everything given; the object is done after it.
  [[nodiscard]] Digest finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// 64 lower-case hex digits.
[[nodiscard]] std::string hex(const Sha256::Digest& digest);
/// 64 hex digits (either case) into a digest; nullopt when it is not one.
[[nodiscard]] std::optional<Sha256::Digest> parse_sha256(std::string_view text);

}  // namespace rootstock::appliance
