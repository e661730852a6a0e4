// Console milestones: the one writer and the one reader of the line format in docs/milestones.md
// (DESIGN.md §7). Freestanding: hv, the root's PID 1 and the test harness all use this code.
//
//   [rootstock] NAME key=value key=value ...
//
// Names and keys are lower-case words ([a-z0-9_-]); values are printable ASCII without spaces.
// The writer replaces any other character in a value with '_', so a line always parses.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "rootstock/text.hpp"

namespace rootstock::milestone {

/// Every milestone line starts with this.
inline constexpr Text kPrefix{"[rootstock] ", 12};
/// Longest line the writer produces, without the newline.
inline constexpr size_t kMaxLine = 240;
/// Most fields the reader keeps from one line.
inline constexpr size_t kMaxFields = 16;

/// True for characters allowed in a name or key.
[[nodiscard]] bool is_word_char(char c);
/// True for characters written unchanged in a value.
[[nodiscard]] bool is_value_char(char c);

/// Builds one milestone line in a fixed buffer; no allocation. A field that does not fit whole
/// is dropped and the line marked truncated (it never ends inside a field).
class Writer {
 public:
  explicit Writer(Text name);

  Writer& field(Text key, Text value);
  Writer& field(Text key, uint64_t value);
  Writer& field_hex(Text key, uint64_t value);

  /// The line without the newline, NUL-terminated.
  [[nodiscard]] const char* c_str() const { return buf_; }
  [[nodiscard]] Text text() const { return {buf_, len_}; }
  [[nodiscard]] bool truncated() const { return truncated_; }

 private:
  bool append_field(Text key, const char* value, size_t value_len);

  char buf_[kMaxLine + 1];
  size_t len_ = 0;
  bool truncated_ = false;
};

/// One key=value pair of a parsed line; views into the parsed line.
struct Field {
  Text key;
  Text value;
};

/// A parsed milestone line; views into the line it was parsed from.
struct Parsed {
  Text name;
  Field fields[kMaxFields];
  size_t field_count = 0;

  /// The value of `key`, or nullptr-data text when absent.
  [[nodiscard]] const Field* find(Text key) const;
};

/// Parses the milestone on `line`, which may carry other text before the prefix (a serial line
/// can hold leftovers of earlier output). Returns false when the line holds no well-formed
/// milestone. Fields beyond kMaxFields are ignored.
[[nodiscard]] bool parse(Text line, Parsed& out);

/// True when `line` is the milestone `want` describes: same name, and every field of `want`
/// present in `line` with the same value (the line may carry more fields).
[[nodiscard]] bool matches(const Parsed& line, const Parsed& want);

}  // namespace rootstock::milestone
