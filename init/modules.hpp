// Loading kernel modules with finit_module(2) (the hvroot driver, later storage and network
// drivers built as modules), with an error a person can act on.
#pragma once

#include <expected>
#include <string>

namespace rootstock::init {

/// Loads the module file at `path` with `params` ("name=value ..."). The error says which file
/// and why, in words (module_error_text).
std::expected<void, std::string> load_module(const std::string& path, const std::string& params);

/// What an errno from open(2) or finit_module(2) means for a module load.
std::string module_error_text(int error);

}  // namespace rootstock::init
