// DeepPoly (Singh et al., POPL'19) for many input boxes at once, the bound step of input-split
// branch-and-bound: every back-substituted row of every domain is stacked into one matrix, so each
// layer costs one GEMM over [rows of all domains x neurons] instead of one small product per
// domain (the batching that lets alpha-beta-CROWN bound 10^4+ domains per second, Wang et al.
// NeurIPS'21 §4), plus optional alpha-CROWN slopes for the spec rows. Same relaxations, row selection and outward widening as deeppoly(); its results
// equal deeppoly() on each box up to the summation order of the products.
#pragma once

#include "certifier/verify/deeppoly.hpp"

#include <vector>

namespace nncert {

// alpha-CROWN (Xu et al., ICLR'21 "Fast and Complete", §3.1) on the spec rows: the lower slopes of
// the unstable ReLUs, per domain, moved by projected gradient ascent on the bound of the domain's
// row closest to refutation. Intermediate bounds stay DeepPoly's.
struct AlphaCrown {
  int steps = 0;  // gradient steps per call; 0 = DeepPoly's slopes only
  // Per box, concatenated over the hidden layers: on entry the warm start (a parent's slopes; empty
  // or of another size = DeepPoly's choice), on return the slopes of the best bound found.
  std::vector<std::vector<float>> slopes;
};

// One result per box: pre-activation bounds, and with a spec its rows' lower bounds and input-level
// linear lower bounds (spec_relu_coef is left empty: input splitting does not score neurons). With
// `alpha`, each spec row's bound is the better of DeepPoly's and the optimised one (its linear
// bound spec_x_coef/spec_x_const stays DeepPoly's, valid but possibly below spec_lo).
std::vector<DeepPolyResult> deeppoly_batch(const ReluChain& chain, const std::vector<Box>& boxes,
                                           const DeepPolySpec* spec = nullptr, AlphaCrown* alpha = nullptr);

}  // namespace nncert
