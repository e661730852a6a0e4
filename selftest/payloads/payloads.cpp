#include "selftest/payloads/payloads.hpp"

extern "C" {
extern const uint8_t rootstock_payload_real16_start[];
extern const uint8_t rootstock_payload_real16_end[];
extern const uint8_t rootstock_payload_long64_start[];
extern const uint8_t rootstock_payload_long64_end[];
extern const uint8_t rootstock_payload_irq64_start[];
extern const uint8_t rootstock_payload_irq64_end[];
extern const uint8_t rootstock_payload_hostile64_start[];
extern const uint8_t rootstock_payload_hostile64_end[];
}

namespace rootstock::selftest::payloads {

std::span<const uint8_t> image(PayloadKind kind) {
  switch (kind) {
    case PayloadKind::kReal16:
      return {rootstock_payload_real16_start, rootstock_payload_real16_end};
    case PayloadKind::kLong64:
      return {rootstock_payload_long64_start, rootstock_payload_long64_end};
    case PayloadKind::kIrq64:
      return {rootstock_payload_irq64_start, rootstock_payload_irq64_end};
    case PayloadKind::kHostile64:
      return {rootstock_payload_hostile64_start, rootstock_payload_hostile64_end};
  }
  return {};
}

const char* name(PayloadKind kind) {
  switch (kind) {
    case PayloadKind::kReal16:
      return "real16";
    case PayloadKind::kLong64:
      return "long64";
    case PayloadKind::kIrq64:
      return "irq64";
    case PayloadKind::kHostile64:
      return "hostile64";
  }
  return "unknown";
}

}  // namespace rootstock::selftest::payloads
