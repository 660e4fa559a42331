// Interval bound propagation (IBP) through a ReLU chain: the cheapest sound bounds, used as the
// baseline DeepPoly must never be looser than. Sound under floating point by outward widening.
#pragma once

#include "certifier/verify/property.hpp"
#include "certifier/verify/relu_chain.hpp"

#include <vector>

namespace nncert {

struct Bounds {
  Vector lo, hi;
};

// Per-neuron phase constraints from branch-and-bound: +1 active (z >= 0), -1 inactive (z <= 0),
// 0 free; one vector per hidden layer (empty = no splits anywhere).
using ReluSplits = std::vector<std::vector<signed char>>;

// Outward widening applied to every bound we concretise: a bound v computed as a sum whose terms
// have total magnitude S is moved outward by kRelWiden * S + kAbsWiden. Double rounding of a
// dot product of length n is at most ~n * 1.1e-16 * S, far below kRelWiden for n < 10^5.
inline constexpr double kRelWiden = 1e-10;
inline constexpr double kAbsWiden = 1e-12;

// One interval step: bounds of W a + b for a in [lo, hi], widened outward.
Bounds affine_interval(const Dense& layer, const Bounds& in);

// Pre-activation bounds of every layer (the last entry bounds the outputs).
std::vector<Bounds> interval_bounds(const ReluChain& chain, const Box& box);

// Bounds of C y + d over the interval output bounds (for property checks with IBP alone).
Vector interval_lower(const Matrix& C, const Vector& d, const Bounds& y);

}  // namespace nncert
