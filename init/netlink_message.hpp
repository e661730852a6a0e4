// An rtnetlink request under construction (rtnetlink(7), include/uapi/linux/netlink.h): the
// nlmsghdr, the family's header (ifinfomsg, ifaddrmsg, rtmsg) and attributes, each padded to
// NLMSG_ALIGNTO / RTA_ALIGNTO (4 bytes); a nested attribute (IFLA_LINKINFO, which holds
// IFLA_INFO_KIND and IFLA_INFO_DATA) gets its length when it is closed. Shared by
// netlink_route.cpp and vm_bridge.cpp, which build their requests as bytes so that the unit tests
// can read them back.
#pragma once

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <string_view>
#include <vector>

namespace rootstock::init {

/// One request: header first, then add_struct() once, then attributes; finish() sets the length.
class NetlinkMessage {
 public:
  NetlinkMessage(uint16_t type, uint16_t flags, uint32_t sequence) {
    nlmsghdr h{};
    h.nlmsg_type = type;
    h.nlmsg_flags = flags;
    h.nlmsg_seq = sequence;
    append(&h, sizeof(h));
  }
  /// The family's header (struct ifinfomsg and the like).
  template <typename T>
  void add_struct(const T& value) {
    append(&value, sizeof(value));
  }
  void add_attribute(uint16_t type, const void* data, size_t size) {
    rtattr a{};
    a.rta_type = type;
    a.rta_len = static_cast<uint16_t>(RTA_LENGTH(size));
    append(&a, sizeof(a));
    append(data, size);
  }
  void add_u32(uint16_t type, uint32_t value) { add_attribute(type, &value, sizeof(value)); }
  /// A NUL-terminated string (NLA_STRING / NLA_NUL_STRING both take it).
  void add_string(uint16_t type, std::string_view text) {
    std::vector<char> z(text.begin(), text.end());
    z.push_back('\0');
    add_attribute(type, z.data(), z.size());
  }
  /// Opens a nested attribute; the attributes added until end_nested(its offset) are inside it.
  [[nodiscard]] size_t begin_nested(uint16_t type) {
    const size_t at = bytes_.size();
    add_attribute(type, nullptr, 0);
    return at;
  }
  void end_nested(size_t at) {
    const auto length = static_cast<uint16_t>(bytes_.size() - at);
    memcpy(bytes_.data() + at + offsetof(rtattr, rta_len), &length, sizeof(length));
  }
  [[nodiscard]] std::vector<uint8_t> finish() {
    const auto length = static_cast<uint32_t>(bytes_.size());
    memcpy(bytes_.data() + offsetof(nlmsghdr, nlmsg_len), &length, sizeof(length));
    return std::move(bytes_);
  }

 private:
  void append(const void* data, size_t size) {
    const auto* p = static_cast<const uint8_t*>(data);
    if (size != 0) bytes_.insert(bytes_.end(), p, p + size);
    bytes_.resize((bytes_.size() + 3) & ~size_t{3});
  }
  std::vector<uint8_t> bytes_;
};

}  // namespace rootstock::init
