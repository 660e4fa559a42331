// Choosing the accumulator width of a QNetwork from a proof (DESIGN §3.2): interval analysis on
// the integers over the whole input grid (accumulator_bound) bounds |acc| for every neuron and
// every input; int32 is recorded only when that bound is below 2^31, and the proof becomes a
// Certificate bound to the QNetwork's digest.
#pragma once

#include "certifier/core/model.hpp"

#include <cstdint>

namespace nncert {

struct AccumulatorProof {
  std::int64_t bound = 0;  // proven max |acc| (saturated at INT64_MAX)
  AccumulatorType type = AccumulatorType::Int64;
  Certificate certificate;
};

// Proves the bound for `net` and sets net.accumulator accordingly. InternalError when not even
// int64 is safe (check_qnetwork rejects such a network anyway).
AccumulatorProof prove_accumulator(QNetwork& net, const std::string& tool_version);

std::string to_string(AccumulatorType type);  // "int32" | "int64"

}  // namespace nncert
