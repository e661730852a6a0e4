#include "image/gpt/entries.hpp"

#include <string.h>

#include <algorithm>

#include "image/gpt/layout.hpp"
#include "image/gpt/partition_name.hpp"

namespace rootstock::gpt {
namespace {

std::string lbas(uint64_t first, uint64_t last) {
  return "LBAs " + std::to_string(first) + "-" + std::to_string(last);
}

}  // namespace

std::string describe(const Partition& p) {
  std::string s = "partition " + std::to_string(p.number);
  if (!p.name.empty()) s += " \"" + p.name + "\"";
  return s;
}

std::vector<Partition> decode_entries(std::span<const uint8_t> array, uint32_t entry_size) {
  std::vector<Partition> out;
  for (size_t at = 0, i = 0; at + entry_size <= array.size(); at += entry_size, ++i) {
    GptEntry e;
    memcpy(&e, array.data() + at, sizeof e);
    if (e.partition_type_guid.is_nil()) continue;
    PartitionNameUnits units;
    std::copy(std::begin(e.partition_name), std::end(e.partition_name), units.begin());
    out.push_back(Partition{.number = static_cast<uint32_t>(i + 1),
                            .type = e.partition_type_guid,
                            .unique = e.unique_partition_guid,
                            .first_lba = e.starting_lba,
                            .last_lba = e.ending_lba,
                            .attributes = e.attributes,
                            .name = decode_partition_name(units)});
  }
  return out;
}

Result<void> encode_entry(const Partition& p, std::span<uint8_t> array, uint32_t entry_size) {
  uint64_t slots = array.size() / entry_size;
  if (p.number == 0 || p.number > slots) {
    return std::unexpected(describe(p) + ": the number must be from 1 to " + std::to_string(slots) +
                           " (the entry array's size)");
  }
  auto name = encode_partition_name(p.name);
  if (!name) {
    return std::unexpected(describe(p) + ": the name must be valid UTF-8 of at most " +
                           std::to_string(kPartitionNameUnits) + " UTF-16 code units");
  }
  GptEntry e{};
  e.partition_type_guid = p.type;
  e.unique_partition_guid = p.unique;
  e.starting_lba = p.first_lba;
  e.ending_lba = p.last_lba;
  e.attributes = p.attributes;
  std::copy(name->begin(), name->end(), std::begin(e.partition_name));
  memcpy(array.data() + size_t{p.number - 1} * entry_size, &e, sizeof e);
  return {};
}

Result<void> check_partitions(const std::vector<Partition>& partitions, uint64_t first_usable,
                              uint64_t last_usable) {
  for (const Partition& p : partitions) {
    if (p.first_lba > p.last_lba) {
      return std::unexpected(describe(p) + ": starts at LBA " + std::to_string(p.first_lba) +
                             ", after its last LBA " + std::to_string(p.last_lba));
    }
    if (p.first_lba < first_usable || p.last_lba > last_usable) {
      return std::unexpected(describe(p) + ": " + lbas(p.first_lba, p.last_lba) +
                             " are outside the usable " + lbas(first_usable, last_usable));
    }
  }
  std::vector<const Partition*> by_start;
  for (const Partition& p : partitions) by_start.push_back(&p);
  std::ranges::sort(by_start, {}, &Partition::first_lba);
  for (size_t i = 1; i < by_start.size(); ++i) {
    const Partition& a = *by_start[i - 1];
    const Partition& b = *by_start[i];
    if (b.first_lba <= a.last_lba) {
      return std::unexpected(describe(b) + " at " + lbas(b.first_lba, b.last_lba) + " overlaps " +
                             describe(a) + " at " + lbas(a.first_lba, a.last_lba));
    }
  }
  return {};
}

}  // namespace rootstock::gpt
