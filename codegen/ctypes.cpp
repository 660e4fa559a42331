#include "codegen/ctypes.hpp"

#include "certifier/core/error.hpp"

namespace nncert::codegen {

std::string narrowest_type(std::int64_t lo, std::int64_t hi) {
  if (lo >= 0 && hi <= 0xFF) return "uint8_t";
  if (lo >= -128 && hi <= 127) return "int8_t";
  if (lo >= 0 && hi <= 0xFFFF) return "uint16_t";
  if (lo >= -32768 && hi <= 32767) return "int16_t";
  if (lo >= 0 && hi <= 0xFFFFFFFFLL) return "uint32_t";
  if (lo >= -2147483648LL && hi <= 2147483647LL) return "int32_t";
  return "int64_t";
}

std::size_t type_bytes(const std::string& type) {
  if (type == "uint8_t" || type == "int8_t") return 1;
  if (type == "uint16_t" || type == "int16_t") return 2;
  if (type == "uint32_t" || type == "int32_t") return 4;
  if (type == "int64_t") return 8;
  throw InternalError("codegen: unknown type " + type);
}

}  // namespace nncert::codegen
