// The C integer types the generated code uses, and choosing the narrowest one for each array and
// buffer (DESIGN §6: weights in flash in the smallest type their values need).
#pragma once

#include "certifier/core/qnetwork.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace nncert::codegen {

enum class CType { UInt8, Int8, UInt16, Int16, UInt32, Int32, Int64 };

// The narrowest of uint8_t, int8_t, uint16_t, int16_t, uint32_t, int32_t, int64_t holding [lo, hi].
CType narrowest_type(std::int64_t lo, std::int64_t hi);
std::size_t type_bytes(CType type);
std::string c_name(CType type);  // "int32_t"
// The C type of the accumulator a QNetwork names (its proven AccumulatorType).
CType accumulator_type(AccumulatorType type);

}  // namespace nncert::codegen
