// Integer bounds for quantized networks on an input region: interval analysis (QVIP §3.5) and a
// symbolic back-substitution pass on the integer semantics in the style of DeepPoly (Singh et al.
// POPL'19), where each neuron's requantization y = clamp(floor((acc + 2^(s-1)) / 2^s), lb, hi)
// (DESIGN §3.2) is enclosed between two parallel lines over its accumulator range.
#pragma once

#include "certifier/core/qnetwork.hpp"
#include "certifier/core/qsemantics.hpp"
#include "certifier/verify/qnn_property.hpp"

#include <cstdint>
#include <vector>

namespace nncert {

struct QNeuronBounds {
  std::int64_t acc_lo = 0, acc_hi = 0;  // the accumulator
  std::int64_t y_lo = 0, y_hi = 0;      // the requantized, clamped output

  bool stable() const { return y_lo == y_hi; }
};

// bounds[l][j]: neuron j of layer l.
using QBounds = std::vector<std::vector<QNeuronBounds>>;

// Interval analysis over the region's box. `known` (optional, same shape) intersects each
// neuron's accumulator range with extra facts (e.g. a branch's neuron split) before propagating.
QBounds interval_bounds(const QNetwork& net, const QInputRegion& region, const QBounds* known = nullptr);

// Symbolic pass: back-substitution to the inputs through parallel linear relaxations of every
// requantization, concretized over the box (and the L1/L0 budget), intersected with the interval
// bounds and with `known`. Sound: double arithmetic with an outward margin before rounding to integers.
QBounds symbolic_bounds(const QNetwork& net, const QInputRegion& region, const QBounds* known = nullptr);

// An upper bound of c . y (y the network's output) over the region, by the same back-substitution
// using `bounds` (which must be sound for the region). Used to discard unsafe disjuncts cheaply.
std::int64_t output_row_upper_bound(const QNetwork& net, const QInputRegion& region, const QBounds& bounds,
                                     const std::vector<std::int64_t>& c);

// True when the bounds show that no input of the region satisfies `known` (some neuron's range
// is empty; propagation stopped there).
bool infeasible(const QNetwork& net, const QBounds& bounds);

// Number of unstable neurons (y_lo < y_hi) and of clamp binaries a compact encoding would need.
std::size_t unstable_count(const QBounds& bounds);

}  // namespace nncert
