// Complete branch-and-bound for one (input box, unsafe conjunction) problem: DeepPoly bounds at
// every node; input splitting for low-dimensional inputs (widest smear |coef| * width, as in
// ReluVal/Neurify), ReLU splitting otherwise (BaBSR-like score: |coef| * the triangle relaxation's
// offset, Bunel et al. JMLR'20). Candidates (box centre, minimiser of the linear lower bound) are
// evaluated concretely at every node, so falsification comes with a replayed point. Nodes are
// processed in parallel batches with OpenMP.
#pragma once

#include "certifier/verify/property.hpp"
#include "certifier/verify/relu_chain.hpp"

#include <chrono>
#include <optional>

namespace nncert {

enum class SplitMode { Auto, Input, Relu };

struct BabOptions {
  SplitMode mode = SplitMode::Auto;  // Auto: input splits when the input has <= 12 dimensions
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  std::size_t max_nodes = std::numeric_limits<std::size_t>::max();
  int threads = 0;  // 0 = OpenMP default
};

enum class BabStatus { Verified, Falsified, Unknown };

struct BabResult {
  BabStatus status = BabStatus::Unknown;
  std::optional<Counterexample> counterexample;
  std::size_t nodes = 0;
};

BabResult bab(const Network& net, const ReluChain& chain, const Property& property, std::size_t case_index,
              std::size_t conj_index, const BabOptions& options);

}  // namespace nncert
