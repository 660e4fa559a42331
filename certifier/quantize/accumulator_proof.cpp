#include "certifier/quantize/accumulator_proof.hpp"

#include "certifier/core/digest.hpp"
#include "certifier/core/error.hpp"

#include <chrono>

namespace nncert {

AccumulatorCertificate certify_accumulator(QNetwork& net, const std::string& tool_version) {
  const auto start = std::chrono::steady_clock::now();
  AccumulatorCertificate out;
  out.proof = prove_accumulator(net);
  if (!out.proof.fits_int64)
    throw InternalError("the accumulator bound does not fit int64; the network cannot be deployed");
  net.accumulator = out.proof.type;
  Certificate& c = out.certificate;
  c.property = accumulator_property(out.proof.type);
  c.method = "interval";
  c.verdict = "verified";
  c.bound = static_cast<double>(out.proof.final_bound);
  c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  c.tool_version = tool_version;
  c.weights_digest = digest(net);
  c.network = "quantized";
  return out;
}

}  // namespace nncert
