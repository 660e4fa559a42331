// DeepPoly (Singh et al., POPL'19, §4-5): one linear lower and upper bound per neuron,
// back-substituted to the input layer; ReLU upper relaxation is the triangle chord, the lower one
// is the area-minimising choice (y >= x when u > -l, else y >= 0). Sound under floating point by
// OUTWARD WIDENING (not directed rounding): every concretised bound is moved outward by
// kRelWiden * (magnitude of its terms) + kAbsWiden (interval.hpp). Each layer's bounds are also
// intersected with one interval step from the previous layer, so DeepPoly is never looser than IBP.
#pragma once

#include "certifier/verify/interval.hpp"

#include <optional>
#include <vector>

namespace nncert {

struct DeepPolyResult {
  std::vector<Bounds> pre;  // pre-activation bounds per layer (with the splits applied)
  bool infeasible = false;  // the splits contradict the bounds: the subdomain is empty

  // Only with a specification C y + d: lower bounds of each row, and for each row the linear
  // lower bound in terms of the input  (spec_x_coef.row(i) . x + spec_x_const[i]).
  Vector spec_lo;
  Matrix spec_x_coef;
  Vector spec_x_const;
  // For each hidden layer j, the coefficients (rows x n_j) of the spec rows' lower bound on the
  // ReLU outputs of layer j before relaxation (used to score ReLU splits, BaBSR-style).
  std::vector<Matrix> spec_relu_coef;
};

struct DeepPolySpec {
  Matrix C;  // rows over the network outputs
  Vector d;
};

DeepPolyResult deeppoly(const ReluChain& chain, const Box& box, const DeepPolySpec* spec = nullptr,
                        const ReluSplits* splits = nullptr);

// The spec matrix for one conjunction (rows a_i, offsets -b_i): a row with lower bound > 0
// refutes the conjunction (a_i . y > b_i everywhere).
DeepPolySpec spec_of(const Conjunction& c, std::size_t num_outputs);

}  // namespace nncert
