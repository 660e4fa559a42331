// Training against a property: a hinge penalty on how far points of the precondition fall short
// of leaving every unsafe case by `margin`, added to the data loss (TrainHooks::penalty). The
// points are a pool that signed-gradient steps keep pushing toward the current network's worst
// violations (adversarial training in the style of Madry et al. ICLR'18 and DL2, Fischer et al.
// ICML'19, on the CEGIS property), plus the verifier's counterexamples as fixed anchors.
//
// Why, beside the paper's repaired targets (Zavatteri et al. ECAI'24 §3.2): a target pins all
// outputs at one input, so fitting it fights the data; the penalty constrains only what the
// property constrains (e.g. mop below the other actions), everywhere the pool reaches.
#pragma once

#include "certifier/core/network.hpp"
#include "certifier/verify/linear_property.hpp"

#include <cstdint>
#include <random>
#include <vector>

namespace nncert {

struct PropertyLossOptions {
  double weight = 1;              // relative to the data loss (0 = off)
  // How far outside every unsafe case a point must lie. Two-copy properties use 0: both copies
  // may take the same input (the diagonal: MANNERS P2 near a human and an animal at once), where
  // a margin the property does not have is unsatisfiable and its hinge stops pulling.
  double margin = 0.01;
  std::size_t pool = 512;         // moving points
  std::size_t per_batch = 128;    // moving points stepped and penalised per training batch
  std::size_t anchors_per_batch = 64;
  double step = 0.05;             // signed-gradient step, as a fraction of the box width
  double renew = 0.05;            // fraction of each batch's moving points redrawn uniformly
  std::size_t validation_points = 2000;  // fixed uniform points for early stopping
  // Share of the moving points whose integer inputs take any real value of their range (and climb
  // in them too): a network safe on that relaxation can be proved by the float verifiers, which
  // are far cheaper than the MILP over 0/1 inputs (counterexample_search).
  double relaxed_share = 0.5;
};

class PropertyLoss {
 public:
  PropertyLoss(const LinearProperty& property, const PropertyLossOptions& options, std::uint64_t seed);

  // Counterexamples found by the verifier: penalised from now on at their exact inputs, and
  // moving points restart from them (the region around a counterexample is where it is unsafe).
  void anchor(const std::vector<LinearCounterexample>& counterexamples);

  // TrainHooks::penalty: the penalty on this batch's share of the pool and anchors, its gradient
  // added to `grads`; then those moving points take one step toward a deeper violation.
  double operator()(const Network& net, Network& grads);

  // TrainHooks::validation_penalty: weight x mean penalty over the fixed uniform points and the anchors.
  double validation(const Network& net) const;

  std::size_t anchors() const { return anchors_.size(); }

 private:
  struct Point {
    std::vector<Vector> x;   // one per copy
    std::size_t home = 0;    // the case it was drawn in: the one it climbs into
    bool relaxed = false;    // integer inputs may be fractional
  };
  Point draw();

  LinearProperty p_, relaxed_;  // relaxed_: no input is integer (the penalty applies to both kinds)
  PropertyLossOptions o_;
  std::mt19937_64 rng_;
  std::vector<Point> pool_, anchors_, validation_;
  std::size_t next_ = 0;  // round-robin position in the pool
};

}  // namespace nncert
