#include "command_line.hpp"

namespace rootstock::efi {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool ends_with_efi(Text word) {
  constexpr Text kSuffix = ".efi";
  if (word.size < kSuffix.size) return false;
  for (size_t i = 0; i < kSuffix.size; ++i) {
    if (lower(word[word.size - kSuffix.size + i]) != kSuffix[i]) return false;
  }
  return true;
}

Text trim(Text t) {
  while (!t.empty() && is_space(t[0])) t = t.sub(1, t.size);
  while (!t.empty() && is_space(t[t.size - 1])) t = t.sub(0, t.size - 1);
  return t;
}

}  // namespace

const char* describe(OptionsStatus status) {
  switch (status) {
    case OptionsStatus::kOk:
      return "ok";
    case OptionsStatus::kOddSize:
      return "the load options are not a whole number of UCS-2 characters";
    case OptionsStatus::kNotText:
      return "the load options are not printable ASCII text";
    case OptionsStatus::kTooLong:
      return "the load options are longer than hv's command line";
  }
  return "unknown load options status";
}

OptionsStatus options_to_ascii(const void* options, uint64_t size, char* out, size_t capacity,
                               size_t& length) {
  length = 0;
  if (capacity != 0) out[0] = '\0';
  if (options == nullptr || size == 0) return OptionsStatus::kOk;
  if (size % 2 != 0) return OptionsStatus::kOddSize;
  const auto* bytes = static_cast<const uint8_t*>(options);
  size_t n = 0;
  for (uint64_t i = 0; i < size / 2; ++i) {
    const auto c = static_cast<char16_t>(bytes[2 * i] | (bytes[2 * i + 1] << 8));
    if (c == 0) break;
    const bool printable = (c >= 0x20 && c < 0x7f) || c == '\t';
    const OptionsStatus refusal = !printable          ? OptionsStatus::kNotText
                                  : n + 1 >= capacity ? OptionsStatus::kTooLong
                                                      : OptionsStatus::kOk;
    if (refusal != OptionsStatus::kOk) {
      if (capacity != 0) out[0] = '\0';
      return refusal;
    }
    out[n++] = c == '\t' ? ' ' : static_cast<char>(c);
  }
  out[n] = '\0';
  Text text = trim({out, n});
  // The shell passes the image's path as the first word (argv[0]).
  size_t word = 0;
  while (word < text.size && !is_space(text[word])) ++word;
  if (ends_with_efi(text.sub(0, word))) text = trim(text.sub(word, text.size));
  for (size_t i = 0; i < text.size; ++i) out[i] = text[i];
  out[text.size] = '\0';
  length = text.size;
  return OptionsStatus::kOk;
}

bool join_words(Text first, Text second, char* out, size_t capacity, size_t& length) {
  length = 0;
  const size_t gap = !first.empty() && !second.empty() ? 1 : 0;
  const size_t total = first.size + gap + second.size;
  if (capacity == 0 || total > capacity - 1) return false;
  size_t n = 0;
  for (size_t i = 0; i < first.size; ++i) out[n++] = first[i];
  if (gap != 0) out[n++] = ' ';
  for (size_t i = 0; i < second.size; ++i) out[n++] = second[i];
  out[n] = '\0';
  length = n;
  return true;
}

Text embedded_text(const uint8_t* data, size_t size) {
  size_t n = 0;
  while (n < size && data[n] != 0) ++n;
  Text t(reinterpret_cast<const char*>(data), n);
  while (!t.empty() && is_space(t[t.size - 1])) t = t.sub(0, t.size - 1);
  return t;
}

}  // namespace rootstock::efi
