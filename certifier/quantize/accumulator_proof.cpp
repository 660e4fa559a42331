#include "certifier/quantize/accumulator_proof.hpp"

#include "certifier/core/digest.hpp"
#include "certifier/core/error.hpp"

#include <chrono>
#include <limits>

namespace nncert {

std::string to_string(AccumulatorType type) { return type == AccumulatorType::Int32 ? "int32" : "int64"; }

AccumulatorProof prove_accumulator(QNetwork& net, const std::string& tool_version) {
  const auto start = std::chrono::steady_clock::now();
  AccumulatorProof p;
  p.bound = accumulator_bound(net);
  // The evaluator forms acc + 2^(s-1) before shifting, so leave that headroom too: strict
  // |acc| < 2^31 - 2^(s-1) would be exact; 2^30 of slack is simpler and costs nothing in practice.
  std::int64_t rounding = 0;
  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    const int s = net.layers[l].cw.frac + input_frac(net, l) - net.layers[l].cy.frac;
    if (s > 0 && s < 63) rounding = std::max(rounding, std::int64_t{1} << (s - 1));
  }
  if (p.bound >= std::numeric_limits<std::int64_t>::max() - rounding)
    throw InternalError("the accumulator bound does not fit int64; the network cannot be deployed");
  p.type = p.bound + rounding < (std::int64_t{1} << 31) ? AccumulatorType::Int32 : AccumulatorType::Int64;
  net.accumulator = p.type;
  Certificate& c = p.certificate;
  c.property = "accumulator " + to_string(p.type);
  c.method = "interval";
  c.verdict = "verified";
  c.bound = static_cast<double>(p.bound);
  c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  c.tool_version = tool_version;
  c.weights_digest = digest(net);
  c.network = "quantized";
  return p;
}

}  // namespace nncert
