// libFuzzer target for the .nnc reader (DESIGN §8): any bytes must give a Model or an
// InputError. Every other exception, crash, sanitizer report or huge allocation is a bug.
// Seeds: fuzz/corpus/nnc (regenerate with formats_nnc_test, see WriteSeedCorpus there).
#include "certifier/core/error.hpp"
#include "formats/nnc.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  std::string saved;
  try {
    saved = nncert::serialize_nnc(nncert::parse_nnc(bytes, "fuzz.nnc"));
  } catch (const nncert::InputError&) {
    return 0;
  }
  // Whatever loads must save and load again, byte-stable: otherwise `nncert convert` could
  // write a model that nncert itself then refuses.
  if (nncert::serialize_nnc(nncert::parse_nnc(saved, "resaved.nnc")) != saved) __builtin_trap();
  return 0;
}
