// `nncert verify --via-abstraction` (implemented in cmd_abstract.cpp): DeepPoly on a DeepAbstract
// abstraction of the model, proofs lifted to the model itself (Ashok et al., ATVA'20, §4).
#pragma once

#include "certifier/cli/command.hpp"
#include "certifier/core/model.hpp"

#include <string>

namespace nncert::cli {

struct ViaAbstractionOptions {
  std::string model, abstraction, robust, data, samples, domain;
  bool compare_direct = false;  // also run DeepPoly on the original, for the time comparison
};

// Exit 0 when every correctly classified sample's proof lifts, 3 otherwise (never 1: lifting
// cannot refute).
int run_verify_via_abstraction(const ViaAbstractionOptions& o, const Globals& g, Model& m);

}  // namespace nncert::cli
