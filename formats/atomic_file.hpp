// Atomic file output: write a temporary file beside the target, fsync it, rename it over the
// target. A crash or a failed write never leaves a half-written or clobbered output.
#pragma once

#include <string>
#include <string_view>

namespace nncert {

void write_file_atomic(const std::string& path, std::string_view bytes);

// Reads a whole file; `max_bytes` bounds the allocation (InputError if larger or unreadable).
std::string read_file(const std::string& path, std::size_t max_bytes = std::size_t{1} << 31);

}  // namespace nncert
