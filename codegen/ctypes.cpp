#include "codegen/ctypes.hpp"

namespace nncert::codegen {

CType narrowest_type(std::int64_t lo, std::int64_t hi) {
  if (lo >= 0 && hi <= 0xFF) return CType::UInt8;
  if (lo >= -128 && hi <= 127) return CType::Int8;
  if (lo >= 0 && hi <= 0xFFFF) return CType::UInt16;
  if (lo >= -32768 && hi <= 32767) return CType::Int16;
  if (lo >= 0 && hi <= 0xFFFFFFFFLL) return CType::UInt32;
  if (lo >= -2147483648LL && hi <= 2147483647LL) return CType::Int32;
  return CType::Int64;
}

std::size_t type_bytes(CType type) {
  switch (type) {
    case CType::UInt8: case CType::Int8: return 1;
    case CType::UInt16: case CType::Int16: return 2;
    case CType::UInt32: case CType::Int32: return 4;
    case CType::Int64: return 8;
  }
  return 8;
}

std::string c_name(CType type) {
  switch (type) {
    case CType::UInt8: return "uint8_t";
    case CType::Int8: return "int8_t";
    case CType::UInt16: return "uint16_t";
    case CType::Int16: return "int16_t";
    case CType::UInt32: return "uint32_t";
    case CType::Int32: return "int32_t";
    case CType::Int64: return "int64_t";
  }
  return "int64_t";
}

CType accumulator_type(AccumulatorType type) { return type == AccumulatorType::Int32 ? CType::Int32 : CType::Int64; }

}  // namespace nncert::codegen
