// libFuzzer target for the ONNX reader (DESIGN §8): any bytes must either import or fail with
// InputError. Every other exception escapes on purpose, so the fuzzer reports it as a crash.
#include "certifier/core/error.hpp"
#include "formats/onnx.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const nncert::Network net =
        nncert::parse_onnx(std::string(reinterpret_cast<const char*>(data), size), "fuzz.onnx");
    // An accepted model must be self-consistent and evaluable.
    if (!nncert::check_network(net).empty()) __builtin_trap();
    const nncert::Vector zero = nncert::Vector::Zero(static_cast<Eigen::Index>(net.input_size));
    (void)nncert::evaluate(net, zero);
  } catch (const nncert::InputError&) {
  }
  return 0;
}
