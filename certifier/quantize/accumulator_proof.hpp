// The accumulator-width certificate of a QNetwork (DESIGN §3.2): runs the one proof
// (prove_accumulator, core/qsemantics.hpp), records its type in the QNetwork and states it as a
// Certificate bound to the QNetwork's digest, which the .nnc loader re-checks.
#pragma once

#include "certifier/core/model.hpp"
#include "certifier/core/qsemantics.hpp"

#include <string>

namespace nncert {

struct AccumulatorCertificate {
  AccumulatorProof proof;
  Certificate certificate;  // property accumulator_property(type), bound = proof.final_bound
};

// Proves the bound for `net` and sets net.accumulator to the proven type. InternalError when not
// even int64 is safe (check_qnetwork rejects such a network anyway).
AccumulatorCertificate certify_accumulator(QNetwork& net, const std::string& tool_version);

}  // namespace nncert
