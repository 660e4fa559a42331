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
// What the verdicts use instead (lift_robustness), in three steps, each sound on its own:
//  1. `lift_bounds`: bounds on every ORIGINAL neuron over the whole box, from the abstract
//     network's DeepPoly bounds plus the pointwise error e_m(x) = z_m(x) - z~_rep(m)(x) of each
//     original neuron against its representative, bounded layer by layer with interval
//     arithmetic (Theorem 1's recursion, with a box-wide eps instead of the empirical one):
//       h_n - h~_rep(n) = (M_n - M_rep(n)) . z~ + (b_n - b_rep(n)) + W_n . e        (exact)
//     where M is W with the previous layer's cluster columns summed. Each layer's bounds are
//     intersected with one interval step of the original from the previous lifted layer, and
//     optionally (`refine`) the neurons whose lifted bounds still straddle 0 are tightened by
//     DeepPoly back-substitution through the original (only those: a stable ReLU's relaxation
//     is exact whatever its bounds, so the stable ones need no more work).
//  2. The robustness margins y_label - y_j of the ORIGINAL are back-substituted through the
//     original network (DeepPoly's relaxations built from the lifted bounds: valid because
//     every pre-activation of the original lies in them for every x of the box) and
//     concretised on the box. Only the few margin rows are back-substituted, not every neuron.
//  3. The margin is also bounded the interval way, (y~_label - y~_j) + (W_label - W_j) . e, and
//     the larger of the sound lower bounds is kept.
// Why not the layer-wise "candidate box" check (assume the representative's abstract bounds for
// every member, check that the original layer maps the previous candidate box inside): in a
// feed-forward net the check's own output is a sound bound at least as tight as any candidate
// it accepts, so it can never prove more than interval propagation on the original itself.
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
  std::size_t unstable = 0;  // hidden original neurons whose bounds straddle 0
  std::size_t refined = 0;   // hidden original neurons back-substituted (`refine`)
};

// lift_robustness tries the cheap stages first and stops once every margin is positive:
// interval margin (3) on unrefined bounds, then (2), then with `refine` (1) both again, first
// refining through 2 layers only, then through the whole depth.
struct LiftOptions {
  bool refine = true;          // step 1's back-substitution of the still-unstable original neurons
  bool backsub_margin = true;  // step 2 (both off: only the interval margin of step 3, the old lifting)
};

// Sound lifting, step 1 (see above). `abstract_pre` = DeepPoly's pre-activation bounds of
// `abstract` (= apply_abstraction(original, map)) on `box`.
// `refine` > 0: the still-unstable neurons are back-substituted through at most that many layers
// of the original (then concretised on the previous lifted bounds; >= depth: to the input).
LiftedBounds lift_bounds(const ReluChain& original, const AbstractionMap& map, const ReluChain& abstract, const Box& box,
                         const std::vector<Bounds>& abstract_pre, int refine = 0);

// Lower bounds of the rows of C y + d over the box, y the ORIGINAL network's output, by
// back-substitution with the ReLU relaxations of the given pre-activation bounds `pre` (one per
// layer of `chain`; they must hold for every x of the box). Keeps, row by row, the better of the
// area-minimising and the chord-parallel lower relaxation.
Vector backsub_lower(const ReluChain& chain, const std::vector<Bounds>& pre, const Matrix& C, const Vector& d,
                     const Box& box);

struct LiftedRobustness {
  bool abstract_robust = false;  // DeepPoly proves the abstract network robust
  bool lifted = false;           // ... and the lifted margins prove the ORIGINAL robust
  Vector abstract_margin;        // lower bounds of y~_label - y~_j (j != label)
  std::vector<Bounds> abstract_pre;  // DeepPoly's pre-activation bounds on the abstract network
  Vector lifted_margin;          // lower bounds of y_label - y_j on the original
  std::size_t unstable = 0;      // original neurons whose lifted bounds straddle 0 (after refining)
  std::size_t refined = 0;       // ... that were back-substituted before (step 1, `refine`)
  // The stage that lifted: 0 interval margin, 1 back-substituted margin, 2 refined through 2
  // layers, 3 refined through the whole depth; -1 not lifted.
  int stage = -1;
  double deeppoly_seconds = 0, lift_seconds = 0;
};

// Local robustness of `original` on `box` for class `label`, via DeepPoly on `abstract` and
// lifting. Sound: lifted == true only if every x in the box keeps `label` strictly ahead.
LiftedRobustness lift_robustness(const ReluChain& original, const AbstractionMap& map, const ReluChain& abstract,
                                 const Box& box, int label, const LiftOptions& options = {});

// Rows e_label - e_j for every j != label (the margins a robustness proof needs positive).
DeepPolySpec margin_spec(std::size_t outputs, int label);

}  // namespace nncert
