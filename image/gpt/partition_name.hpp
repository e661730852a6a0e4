// Partition names: UTF-8 in Rootstock, 36 UTF-16LE code units on disk (UEFI 2.10, 5.3.3,
// Table 5.6: "PartitionName CHAR16[36]", NUL-padded when shorter).
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "image/gpt/layout.hpp"

namespace rootstock::gpt {

using PartitionNameUnits = std::array<char16_t, kPartitionNameUnits>;

/// `name` as stored, NUL-padded; nullopt when it is not valid UTF-8, holds a NUL, or needs
/// more than kPartitionNameUnits code units (a character past U+FFFF takes two).
[[nodiscard]] std::optional<PartitionNameUnits> encode_partition_name(std::string_view name);

/// A stored name as UTF-8, up to its first NUL; an unpaired surrogate becomes U+FFFD, so a
/// foreign disk's name always reads.
[[nodiscard]] std::string decode_partition_name(
    std::span<const char16_t, kPartitionNameUnits> units);

}  // namespace rootstock::gpt
