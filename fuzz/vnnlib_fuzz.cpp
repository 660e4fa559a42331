// libFuzzer target for the VNN-LIB parser (DESIGN §8): any byte string either parses into a
// property or is rejected with InputError; nothing else may escape (crash, hang, other exception).
#include "certifier/core/error.hpp"
#include "formats/vnnlib.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)nncert::parse_vnnlib(text, "fuzz.vnnlib", 5, 5);
    (void)nncert::format_vnn_result(nncert::VnnResult::Unsat);
  } catch (const nncert::InputError&) {
  }
  return 0;
}
