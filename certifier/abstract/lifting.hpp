// DeepAbstract (Ashok et al., ATVA'20) §4, Theorem 3: lifting DeepPoly bounds computed on the
// abstract network to bounds on the original network, and deciding local robustness of the
// original from them.
//
// Theorem 3 as printed is not sound, for two reasons, so verdicts here never rely on it:
//  * its eps (Eq. 3) is a distance measured on the sample set X, not over the input box, and
//  * its proof replaces sum_m w_m^+ by (sum_m w_m)^+ for a cluster's merged weight, which is
//    wrong when the members' outgoing weights differ in sign (z1 - z2 with z1, z2 in [0,1] is
//    not 0); see the test that exhibits it.
// `lift_theorem3` reproduces the paper's formula (and its appendix A.5 example) for comparison.
// `lift_bounds` is what the verdicts use: it bounds, over the whole box, the pointwise error
// e_m(x) = z_m(x) - z~_rep(m)(x) of every original neuron against its representative in the
// abstract network, layer by layer with interval arithmetic on the abstract network's DeepPoly
// bounds (Theorem 1's recursion, with a box-wide eps instead of the empirical one):
//   h_n - h~_rep(n) = (M_n - M_rep(n)) . z~ + (b_n - b_rep(n)) + W_n . e        (exact)
// where M is W with the previous layer's cluster columns summed. Then the original's values lie
// in the abstract DeepPoly bounds plus the error intervals, for every input of the box.
#pragma once

#include "certifier/abstract/abstraction.hpp"
#include "certifier/verify/deeppoly.hpp"

#include <vector>

namespace nncert {

// Per abstract neuron (representative), the largest Eq. 3 distance in its cluster.
std::vector<Vector> representative_eps(const AbstractionMap& map, const std::vector<Vector>& eps);

// Theorem 3 in the form of the appendix A.5 example: every layer's DeepPoly bounds on the abstract
// network widened by Delta^(l) = |W~^(l)| (Delta^(l-1) + eps^(l-1)), Delta^(input) = 0; ReLU
// (max(0, .)) on hidden layers. `rep_eps` from representative_eps. Returns pre-activation bounds
// per abstract layer (the last one bounds the outputs). NOT sound in general (see above).
std::vector<Bounds> lift_theorem3(const ReluChain& abstract, const std::vector<Vector>& rep_eps,
                                  const std::vector<Bounds>& abstract_pre);

struct LiftedBounds {
  std::vector<Bounds> pre;  // per layer of the ORIGINAL chain, original neuron indices
  std::vector<Bounds> err;  // per hidden layer: bounds on z_m - z~_rep(m) over the box
  Bounds out_err;           // bounds on y - y~ over the box
};

// Sound lifting (see above). `abstract_pre` = DeepPoly's pre-activation bounds of `abstract`
// (= apply_abstraction(original, map)) on `box`.
LiftedBounds lift_bounds(const ReluChain& original, const AbstractionMap& map, const ReluChain& abstract, const Box& box,
                         const std::vector<Bounds>& abstract_pre);

struct LiftedRobustness {
  bool abstract_robust = false;  // DeepPoly proves the abstract network robust
  bool lifted = false;           // ... and the lifted margins prove the ORIGINAL robust
  Vector abstract_margin;        // lower bounds of y~_label - y~_j (j != label)
  Vector lifted_margin;          // lower bounds of y_label - y_j on the original
  double deeppoly_seconds = 0, lift_seconds = 0;
};

// Local robustness of `original` on `box` for class `label`, via DeepPoly on `abstract` and
// lifting. Sound: lifted == true only if every x in the box keeps `label` strictly ahead.
LiftedRobustness lift_robustness(const ReluChain& original, const AbstractionMap& map, const ReluChain& abstract,
                                 const Box& box, int label);

// Rows e_label - e_j for every j != label (the margins a robustness proof needs positive).
DeepPolySpec margin_spec(std::size_t outputs, int label);

}  // namespace nncert
