#include "certifier/quantize/quantized_model.hpp"

#include "certifier/core/digest.hpp"
#include "certifier/core/error.hpp"
#include "certifier/core/version.hpp"

namespace nncert {

QuantizedModel quantized_model(const Model& in, Network network, QNetwork q, const std::string& source,
                               const std::string& config) {
  QuantizedModel out;
  out.accumulator = certify_accumulator(q, kToolVersion);
  if (const std::string problem = check_qnetwork(q); !problem.empty())
    throw InternalError("quantized network is invalid: " + problem);
  Model& m = out.model;
  m.network = std::move(network);
  m.qnetwork = std::move(q);
  m.provenance = in.provenance;
  m.provenance.source = source + ":" + in.provenance.source;
  m.provenance.training_config = config;
  // Only certificates about exactly these float weights stay valid; any quantized ones were about
  // another QNetwork.
  const std::string float_digest = digest(m.network);
  for (const Certificate& c : in.certificates)
    if (c.weights_digest == float_digest) m.certificates.push_back(c);
  m.certificates.push_back(out.accumulator.certificate);
  return out;
}

}  // namespace nncert
