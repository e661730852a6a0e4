#include "rootstock/milestone.hpp"

namespace rootstock::milestone {

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool is_value_char(char c) {
  return c > ' ' && c < 0x7f;
}

Writer::Writer(Text name) {
  for (size_t i = 0; i < kPrefix.size; ++i) {
    buf_[len_++] = kPrefix[i];
  }
  // The name is program text, never input, but keep the line parseable whatever it holds.
  for (size_t i = 0; i < name.size && len_ < kMaxLine; ++i) {
    buf_[len_++] = is_word_char(name[i]) ? name[i] : '_';
  }
  buf_[len_] = '\0';
}

bool Writer::append_field(Text key, const char* value, size_t value_len) {
  const size_t need = 1 + key.size + 1 + value_len;
  if (truncated_ || len_ + need > kMaxLine) {
    truncated_ = true;
    return false;
  }
  buf_[len_++] = ' ';
  for (size_t i = 0; i < key.size; ++i) {
    buf_[len_++] = is_word_char(key[i]) ? key[i] : '_';
  }
  buf_[len_++] = '=';
  for (size_t i = 0; i < value_len; ++i) {
    buf_[len_++] = is_value_char(value[i]) && value[i] != '=' ? value[i] : '_';
  }
  buf_[len_] = '\0';
  return true;
}

Writer& Writer::field(Text key, Text value) {
  append_field(key, value.data, value.size);
  return *this;
}

Writer& Writer::field(Text key, uint64_t value) {
  char digits[20];
  size_t n = 0;
  do {
    digits[sizeof(digits) - 1 - n] = static_cast<char>('0' + value % 10);
    value /= 10;
    ++n;
  } while (value != 0);
  append_field(key, digits + sizeof(digits) - n, n);
  return *this;
}

Writer& Writer::field_hex(Text key, uint64_t value) {
  char digits[18];
  size_t n = 0;
  do {
    digits[sizeof(digits) - 1 - n] = "0123456789abcdef"[value & 0xf];
    value >>= 4;
    ++n;
  } while (value != 0);
  digits[sizeof(digits) - 1 - n++] = 'x';
  digits[sizeof(digits) - 1 - n++] = '0';
  append_field(key, digits + sizeof(digits) - n, n);
  return *this;
}

const Field* Parsed::find(Text key) const {
  for (size_t i = 0; i < field_count; ++i) {
    if (fields[i].key == key) {
      return &fields[i];
    }
  }
  return nullptr;
}

namespace {

// Length of the run of characters at the start of `t` that satisfy `ok`.
template <typename Pred>
size_t span(Text t, Pred ok) {
  size_t n = 0;
  while (n < t.size && ok(t[n])) {
    ++n;
  }
  return n;
}

}  // namespace

bool parse(Text line, Parsed& out) {
  // Serial lines may end in "\r" (a console in raw mode); it is not part of the milestone.
  while (!line.empty() && (line[line.size - 1] == '\r' || line[line.size - 1] == '\n')) {
    line.size--;
  }
  const size_t at = line.find(kPrefix);
  if (at == line.size) {
    return false;
  }
  Text rest = line.sub(at + kPrefix.size, line.size);
  out = Parsed{};
  const size_t name_len = span(rest, is_word_char);
  if (name_len == 0) {
    return false;
  }
  out.name = rest.sub(0, name_len);
  rest = rest.sub(name_len, rest.size);
  while (!rest.empty()) {
    if (rest[0] != ' ') {
      return false;
    }
    rest = rest.sub(1, rest.size);
    const size_t key_len = span(rest, is_word_char);
    if (key_len == 0 || key_len >= rest.size || rest[key_len] != '=') {
      return false;
    }
    const Text key = rest.sub(0, key_len);
    rest = rest.sub(key_len + 1, rest.size);
    const size_t value_len = span(rest, [](char c) { return is_value_char(c) && c != '='; });
    if (out.field_count < kMaxFields) {
      out.fields[out.field_count++] = {key, rest.sub(0, value_len)};
    }
    rest = rest.sub(value_len, rest.size);
  }
  return true;
}

bool matches(const Parsed& line, const Parsed& want) {
  if (!(line.name == want.name)) {
    return false;
  }
  for (size_t i = 0; i < want.field_count; ++i) {
    const Field* f = line.find(want.fields[i].key);
    if (f == nullptr || !(f->value == want.fields[i].value)) {
      return false;
    }
  }
  return true;
}

}  // namespace rootstock::milestone
