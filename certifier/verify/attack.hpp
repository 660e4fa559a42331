// Cheap falsification before any proof attempt: uniform random sampling of the input box, then
// projected gradient descent (signed-gradient steps, Madry et al. ICLR'18) on the margin
// max_i (a_i . y - b_i) of each unsafe conjunction. Hits are replayed on the concrete network.
#pragma once

#include "certifier/verify/property.hpp"
#include "certifier/verify/relu_chain.hpp"

#include <chrono>
#include <cstdint>
#include <optional>

namespace nncert {

struct AttackOptions {
  int random_samples = 2000;  // per case
  int restarts = 8;           // PGD starting points per (case, conjunction)
  int steps = 60;
  std::uint64_t seed = 0;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

// A counterexample replayed on `net` (the unfolded network), or nothing.
std::optional<Counterexample> attack(const Network& net, const ReluChain& chain, const Property& property,
                                     const AttackOptions& options);

// Margin of every column of Y (outputs, one sample per column) for a conjunction: max_i (a_i . y - b_i),
// <= 0 inside the unsafe region (-infinity for an empty conjunction).
Vector conjunction_margins(const Conjunction& c, const Matrix& Y);

// PGD from the given starting points (columns of X0) on one conjunction, inside `within` (a
// sub-box of the case's box, e.g. a branch-and-bound domain) or else the case's box; returns the
// replayed counterexample if one of the final or intermediate points is one.
std::optional<Counterexample> pgd(const Network& net, const ReluChain& chain, const Property& property,
                                  std::size_t case_index, std::size_t conj_index, const Matrix& X0, int steps,
                                  const Box* within = nullptr);

}  // namespace nncert
