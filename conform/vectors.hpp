// The test vectors conformance runs (DESIGN §6): dataset samples, the four grid corners, random
// grid points (by seed) and the counterexamples of a verification results file.
#pragma once

#include "certifier/core/qnetwork.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace nncert::conform {

struct Vectors {
  std::vector<std::vector<std::int64_t>> x;
  std::size_t dataset = 0, corners = 0, random = 0, counterexamples = 0;
};

struct VectorRequest {
  std::size_t count = 1000;     // dataset (up to half) + random vectors
  std::string data;             // dataset spec for half of them; empty = none
  std::string counterexamples;  // results file of `nncert verify --results`; empty = none
  std::uint64_t seed = 0;       // the random grid points
};

// InputError when a dataset sample or counterexample is off the input grid or of the wrong width.
Vectors make_vectors(const QNetwork& net, const VectorRequest& request);

}  // namespace nncert::conform
