// The form every float verifier here works on: y = L_k(relu(L_{k-1}(... relu(L_0 x)))), with
// BatchNorm/Normalize folded (DESIGN §3.1) and consecutive affine layers merged.
#pragma once

#include "certifier/core/network.hpp"

#include <vector>

namespace nncert {

struct ReluChain {
  std::size_t input_size = 0;
  std::vector<Dense> layers;  // a ReLU sits between consecutive layers, none after the last

  std::size_t depth() const { return layers.size(); }
  std::size_t output_size() const { return static_cast<std::size_t>(layers.back().b.size()); }
};

// Folds `net` and brings it into chain form (a trailing ReLU becomes ReLU + identity layer,
// repeated ReLUs collapse). Throws InputError for layer kinds the verifiers cannot handle.
ReluChain to_relu_chain(const Network& net);

// Eigen's own OpenMP GEMM threading costs ~40x on these small matrices (thread wake-ups on
// every product); the verifiers parallelise over subproblems instead. RAII, restores the setting.
class EigenSingleThread {
 public:
  EigenSingleThread() : saved_(Eigen::nbThreads()) { Eigen::setNbThreads(1); }
  ~EigenSingleThread() { Eigen::setNbThreads(saved_); }
  EigenSingleThread(const EigenSingleThread&) = delete;
  EigenSingleThread& operator=(const EigenSingleThread&) = delete;

 private:
  int saved_;
};

// Batched evaluation of the chain (one sample per column), for attacks and candidates.
Matrix evaluate(const ReluChain& chain, const Matrix& X);

}  // namespace nncert
