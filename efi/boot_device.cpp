#include "boot_device.hpp"

#include "load_at.hpp"

namespace rootstock::efi {
namespace {

// The registry form's byte order (UEFI 2.10, Appendix A): Data1, Data2 and Data3 are stored
// little-endian, Data4's eight bytes in text order.
constexpr uint8_t kTextOrder[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};

void guid_text(const uint8_t (&bytes)[16], char (&out)[kGuidTextLength + 1]) {
  constexpr char kDigits[] = "0123456789abcdef";
  size_t at = 0;
  for (size_t k = 0; k < 16; ++k) {
    if (k == 4 || k == 6 || k == 8 || k == 10) out[at++] = '-';
    const uint8_t b = bytes[kTextOrder[k]];
    out[at++] = kDigits[b >> 4];
    out[at++] = kDigits[b & 0xF];
  }
  out[at] = '\0';
}

}  // namespace

bool gpt_partition_guid(const void* path, size_t limit, char (&out)[kGuidTextLength + 1]) {
  if (path == nullptr) return false;
  const auto* at = static_cast<const uint8_t*>(path);
  size_t offset = 0;
  while (limit - offset >= sizeof(DevicePathNode)) {
    const auto node = load_at<DevicePathNode>(at, offset);
    if (node.type == kEndDevicePath && node.sub_type == kEndEntireSubType) return false;
    if (node.length < sizeof(DevicePathNode) || node.length > limit - offset) return false;
    if (node.type == kMediaDevicePath && node.sub_type == kHardDriveSubType &&
        node.length >= sizeof(HardDriveNode)) {
      const auto hd = load_at<HardDriveNode>(at, offset);
      if (hd.partition_format == kGptPartitionFormat && hd.signature_type == kGuidSignature) {
        guid_text(hd.partition_signature, out);
        return true;
      }
    }
    offset += node.length;
  }
  return false;
}

}  // namespace rootstock::efi
