// The fixed-point semantics of DESIGN §3.2 (QVIP, Zhang et al. ASE'22, §2) in one place: each
// layer's requantization terms, the accumulator, the integer interval step and the proof that
// picks the accumulator type. The evaluator, the bounds, every encoding, quantize, the .nnc
// loader and codegen call these, so no two of them can disagree about what a QNetwork computes.
#pragma once

#include "certifier/core/qnetwork.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace nncert {

__extension__ typedef __int128 i128;  // exact wide intermediates; __extension__: -Wpedantic

// How layer l turns its accumulator into an output integer.
struct QRequant {
  int s = 0;             // requantization shift Fw + Fx - Fy
  int bias_shift = 0;    // Fw + Fx - Fb (>= 0 in a valid network)
  std::int64_t lb = 0;   // 0 for hidden layers (ReLU), lo(Cy) for the output layer
  std::int64_t ub = 0;   // hi(Cy)

  // clamp(s > 0 ? floor((acc + 2^(s-1)) / 2^s) : acc * 2^-s, lb, ub); exact for any |acc| < 2^100.
  std::int64_t apply(i128 acc) const;
  std::int64_t apply(std::int64_t acc) const { return apply(static_cast<i128>(acc)); }
  // b * 2^(Fw + Fx - Fb): the bias on the accumulator's scale (exact in a valid network).
  std::int64_t aligned_bias(std::int64_t b) const;
  // Smallest / largest accumulator mapped to a value >= v / <= v (the inverse images of the steps),
  // saturating at +-2^62.
  std::int64_t min_acc_reaching(std::int64_t v) const;
  std::int64_t max_acc_below(std::int64_t v) const;
};
QRequant requant(const QNetwork& net, std::size_t layer);

// acc_j = aligned bias + sum_k W_jk x_k for the layer input x (inputs() values), in int64: exact
// in a valid network, whose accumulator bound is below 2^62.
std::int64_t accumulator(const QLayer& layer, const QRequant& rq, std::size_t j, const std::int64_t* x);

// The integer interval step: the range of neuron j's accumulator when every input k lies in
// [lo[k], hi[k]]. Each bound is capped at +-2^100 so the arithmetic itself never overflows.
// With `partial` set, also raises *partial to the largest magnitude that the aligned bias, any
// single product or any prefix sum takes in the kernels' order (k ascending, zero weights skipped).
struct AccRange {
  i128 lo = 0, hi = 0;
};
AccRange accumulator_range(const QLayer& layer, const QRequant& rq, std::size_t j, const std::vector<std::int64_t>& lo,
                           const std::vector<std::int64_t>& hi, i128* partial = nullptr);

// The accumulator-width proof over the whole input grid (interval analysis, layer by layer, each
// layer's input range being its predecessor's requantized output range). The type is int32 only
// when every value the generated code holds in the accumulator fits: the final sums, every
// partial sum and product, the rounding offset and the s <= 0 scale-up, with every shift < 31;
// otherwise int64, which must fit likewise (fits_int64).
struct AccumulatorProof {
  std::int64_t final_bound = 0;    // max |acc_j * 2^max(0, -s)| (saturated at INT64_MAX)
  std::int64_t partial_bound = 0;  // max |intermediate| in the generated evaluation order (saturated)
  AccumulatorType type = AccumulatorType::Int64;
  bool fits_int64 = false;
};
AccumulatorProof prove_accumulator(const QNetwork& net);

// The proof's final bound alone (what check_qnetwork demands below 2^62).
std::int64_t accumulator_bound(const QNetwork& net);

std::string to_string(AccumulatorType type);  // "int32" | "int64"
// The property an accumulator certificate states ("accumulator int32"), as quantize writes it and
// the .nnc loader checks it.
std::string accumulator_property(AccumulatorType type);
bool is_accumulator_property(const std::string& property);  // "accumulator ..." of any type

}  // namespace nncert
