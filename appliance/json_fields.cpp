#include "appliance/json_fields.hpp"

#include <limits.h>

#include <utility>

namespace rootstock::appliance {

void ParseErrors::fail(std::string path, std::string message) {
  if (!error_) error_ = SpecError{std::move(path), std::move(message)};
}

JsonFields::JsonFields(ParseErrors& errors, const Json& value, std::string path)
    : errors_(errors), path_(std::move(path)) {
  if (value.is_object()) {
    object_ = &value;
  } else {
    errors_.fail(path_, "must be an object");
  }
}

std::string JsonFields::path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

const Json* JsonFields::take(std::string_view key, Need need) {
  if (!object_) return nullptr;
  taken_.emplace(key);
  auto it = object_->find(key);
  if (it == object_->end() || it->is_null()) {
    if (need == Need::kRequired) errors_.fail(path(key), "is required");
    return nullptr;
  }
  return &*it;
}

std::optional<std::string> JsonFields::string(std::string_view key, Need need) {
  const Json* v = take(key, need);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    errors_.fail(path(key), "must be a string");
    return std::nullopt;
  }
  return v->get_ref<const std::string&>();
}

std::optional<bool> JsonFields::boolean(std::string_view key, Need need) {
  const Json* v = take(key, need);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    errors_.fail(path(key), "must be true or false");
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<uint64_t> JsonFields::integer(std::string_view key, uint64_t min, uint64_t max,
                                            Need need) {
  const Json* v = take(key, need);
  if (!v) return std::nullopt;
  // A negative number is number_integer, a non-negative one number_unsigned; 2.0 is a float
  // and refused like any other non-integer.
  if (!v->is_number_unsigned() || v->get<uint64_t>() < min || v->get<uint64_t>() > max) {
    errors_.fail(path(key),
                 "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
    return std::nullopt;
  }
  return v->get<uint64_t>();
}

std::optional<size_t> JsonFields::choice(std::string_view key,
                                         std::initializer_list<const char*> names, Need need) {
  auto s = string(key, need);
  if (!s) return std::nullopt;
  size_t i = 0;
  for (const char* n : names) {
    if (*s == n) return i;
    ++i;
  }
  std::string list;
  for (const char* n : names) list += (list.empty() ? "\"" : ", \"") + std::string(n) + "\"";
  errors_.fail(path(key), "must be one of " + list);
  return std::nullopt;
}

void JsonFields::unsupported(std::string_view key) {
  if (take(key, Need::kOptional)) errors_.fail(path(key), "is not supported by Rootstock");
}

void JsonFields::finish() {
  if (!object_) return;
  for (const auto& [key, value] : object_->items()) {
    if (!taken_.contains(key)) {
      errors_.fail(path(key), "unknown key");
      return;
    }
  }
}

void check_host_path(ParseErrors& errors, const std::string& path, const std::string& value) {
  if (value.empty() || value.front() != '/') {
    errors.fail(path, "must be an absolute path");
  } else if (value.size() >= PATH_MAX) {
    errors.fail(path, "must be shorter than " + std::to_string(PATH_MAX) + " bytes");
  } else if (value.find('\0') != std::string::npos) {
    errors.fail(path, "must not contain a NUL character");
  }
}

}  // namespace rootstock::appliance
