// The .nnc a quantization writes (DESIGN §3.2, §5): the float master, the QNetwork with its proven
// accumulator width, the provenance of both, and only the certificates still about these weights.
#pragma once

#include "certifier/core/model.hpp"
#include "certifier/quantize/accumulator_proof.hpp"

#include <string>

namespace nncert {

struct QuantizedModel {
  Model model;
  AccumulatorCertificate accumulator;  // also the last of model.certificates
};

// `network`: the float weights to keep (the input's, or the QAT-tuned ones); `source` the
// provenance tag ("quantize:calibrated"), `config` its JSON description. Keeps the input's
// certificates about exactly `network`, proves and appends the accumulator certificate.
// InternalError when the QNetwork is invalid.
QuantizedModel quantized_model(const Model& in, Network network, QNetwork q, const std::string& source,
                               const std::string& config);

}  // namespace nncert
