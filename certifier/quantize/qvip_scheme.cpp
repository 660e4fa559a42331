#include "certifier/quantize/qvip_scheme.hpp"

#include "certifier/core/error.hpp"

namespace nncert {

QuantPlan qvip_plan(const Network& folded, int bits) {
  if (bits < 4 || bits > 10)
    throw InputError("--bits", std::to_string(bits), "the QVIP scheme is defined for Q in 4..10");
  const std::size_t layers = dense_chain(folded).size();
  QuantPlan plan;
  plan.cx = QConfig{false, 8, 8};
  // QVIP feeds p/256 to its float model; no 255/256 correction, so its integers come back as is.
  plan.input_divisor = 256;
  for (std::size_t l = 0; l < layers; ++l) {
    const bool last = l + 1 == layers;
    plan.layers.push_back({QConfig{true, bits, bits - 1}, QConfig{true, bits, bits - 2}, QConfig{last, bits, bits - 2}});
  }
  return plan;
}

}  // namespace nncert
