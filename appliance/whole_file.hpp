// Small files the appliance writes whole — the boot counter, the VM specs it keeps, the API
// token, resolv.conf — lines it appends to a VM's log and metrics files, and the folder flush that
// makes a new name in a folder durable. One place for the open/write/fsync/close sequence, with
// short writes continued and errno's words on failure.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace rootstock::appliance {

/// How write_whole_file() treats a file that is already there.
enum class Existing { kReplace, kRefuse };  ///< O_TRUNC, or O_EXCL (EEXIST)

/// Writes `text` as the whole of `path` (created with `mode`); with `durable`, flushed to the
/// medium (fsync) before it is closed. The error is "cannot write PATH: REASON".
[[nodiscard]] std::expected<void, std::string> write_whole_file(const std::string& path,
                                                                std::string_view text,
                                                                unsigned mode, Existing existing,
                                                                bool durable);

/// Appends `text` to `path` (made with `mode` if missing) in one go: a line for a log the
/// appliance keeps open no longer than the call. Not through a symbolic link (O_NOFOLLOW), and
/// without waiting (O_NONBLOCK): a named pipe nobody reads refuses. The error is "cannot write
/// PATH: REASON".
[[nodiscard]] std::expected<void, std::string> append_to_file(const std::string& path,
                                                              std::string_view text, unsigned mode);

/// fsync(2) of a folder: a name added, renamed or removed in it reaches the medium.
[[nodiscard]] std::expected<void, std::string> sync_folder(const std::string& path);

}  // namespace rootstock::appliance
