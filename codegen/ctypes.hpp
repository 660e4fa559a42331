// Choosing the narrowest C integer type for each array and buffer of the generated code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace nncert::codegen {

// The narrowest of uint8_t, int8_t, uint16_t, int16_t, uint32_t, int32_t, int64_t holding [lo, hi].
std::string narrowest_type(std::int64_t lo, std::int64_t hi);
std::size_t type_bytes(const std::string& type);

}  // namespace nncert::codegen
