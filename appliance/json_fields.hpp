// Reading one JSON object's fields into typed values, for the spec parsers (appliance-internal:
// only .cpp files include it, so no header outside appliance/ sees nlohmann). Every getter names
// the key's full path in its error; the first error is kept and later ones are ignored, so the
// parsers read straight through and check `failed()` where a value is needed. finish() refuses
// the keys no getter asked for. JSON null counts as absent, as serde's Option does in
// Firecracker.
#pragma once

#include <stdint.h>

#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "appliance/vm_spec.hpp"

namespace rootstock::appliance {

using Json = nlohmann::json;

/// The first error of one parse.
class ParseErrors {
 public:
  void fail(std::string path, std::string message);
  [[nodiscard]] bool failed() const { return error_.has_value(); }
  [[nodiscard]] const SpecError& error() const { return *error_; }

 private:
  std::optional<SpecError> error_;
};

/// Whether a getter fails on an absent key.
enum class Need : uint8_t { kOptional, kRequired };

/// One object being read; `path` is its own ("drives[0]", "" for the document).
class JsonFields {
 public:
  /// Fails `errors` unless `value` is an object.
  JsonFields(ParseErrors& errors, const Json& value, std::string path);

  /// Whether the value was an object.
  [[nodiscard]] bool ok() const { return object_ != nullptr; }
  /// The key's full path.
  [[nodiscard]] std::string path(std::string_view key) const;
  /// The key's value, or null when absent or JSON null; marks the key as known.
  [[nodiscard]] const Json* take(std::string_view key, Need need);

  [[nodiscard]] std::optional<std::string> string(std::string_view key, Need need);
  [[nodiscard]] std::optional<bool> boolean(std::string_view key, Need need);
  [[nodiscard]] std::optional<uint64_t> integer(std::string_view key, uint64_t min, uint64_t max,
                                                Need need);
  /// The index of the string value among `names`.
  [[nodiscard]] std::optional<size_t> choice(std::string_view key,
                                             std::initializer_list<const char*> names, Need need);
  /// A key Firecracker knows and Rootstock does not implement: refused unless absent or null.
  void unsupported(std::string_view key);
  /// Refuses the first key no getter took.
  void finish();

 private:
  ParseErrors& errors_;
  const Json* object_ = nullptr;
  std::string path_;
  std::set<std::string, std::less<>> taken_;
};

/// Refuses a path that is empty, relative, longer than PATH_MAX or holds a NUL.
void check_host_path(ParseErrors& errors, const std::string& path, const std::string& value);

}  // namespace rootstock::appliance
