// Complete branch-and-bound for one (input box, unsafe conjunction) problem: DeepPoly bounds at
// every node; input splitting for low-dimensional inputs (widest smear |coef| * width, as in
// ReluVal/Neurify), ReLU splitting otherwise (BaBSR-like score: |coef| * the triangle relaxation's
// offset, Bunel et al. JMLR'20). Input splitting bounds a batch of domains per step with batched
// DeepPoly (deeppoly_batch.hpp). Candidates (box centre, minimiser of each row's linear lower
// bound) are evaluated concretely at every node, so falsification comes with a replayed point; a
// few PGD steps run only in the domain of each batch that comes closest to refutation (the
// verifier attacks the whole box once before). Batches are split over OpenMP threads in fixed
// chunks, so the verdict and the counterexample do not depend on the thread count.
#pragma once

#include "certifier/verify/property.hpp"
#include "certifier/verify/relu_chain.hpp"

#include <chrono>
#include <optional>

namespace nncert {

enum class SplitMode { Auto, Input, Relu };

struct BabOptions {
  SplitMode mode = SplitMode::Auto;  // see resolve_split_mode()
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  std::size_t max_nodes = std::numeric_limits<std::size_t>::max();
  int threads = 0;  // 0 = OpenMP default
  int alpha_steps = 0;  // input splits: alpha-CROWN gradient steps per domain on the spec rows (0 = DeepPoly)
};

enum class BabStatus { Verified, Falsified, Unknown };

// The split mode `Auto` resolves to: input splits when the input has at most 12 dimensions.
SplitMode resolve_split_mode(SplitMode mode, const ReluChain& chain);

struct BabResult {
  BabStatus status = BabStatus::Unknown;
  std::optional<Counterexample> counterexample;
  std::size_t nodes = 0;
  SplitMode mode = SplitMode::Input;  // the one used (never Auto)
};

BabResult bab(const Network& net, const ReluChain& chain, const Property& property, std::size_t case_index,
              std::size_t conj_index, const BabOptions& options);

}  // namespace nncert
