// DeepAbstract (Ashok et al., ATVA'20) §3.2: how far the abstract network's values can be from
// the original's, from the cluster distances eps (Eq. 3). Theorem 1 (abstraction error on the
// inputs X the eps were measured on) and Theorem 2 (plus an input perturbation delta).
//
// Two corrections to the printed statements, both needed for the bounds to hold:
//  * Theorem 1 writes |W err|; with err only known up to its absolute value the bound is
//    |W| err (entrywise absolute weights). The error of neuron i uses i's own incoming row.
//  * Theorem 2 writes |W~(L)...W~(1) delta|; ReLU is 1-Lipschitz, so the sound product is
//    |W~(L)|...|W~(1)| delta.
// Both hold only for x in X (eps is an empirical distance over X); they say nothing about
// other inputs, which is why proof lifting (lifting.hpp) does not use them.
#pragma once

#include "certifier/abstract/abstraction.hpp"

#include <vector>

namespace nncert {

// Theorem 1. err[h] (h < hidden): bound on |z_m(x) - z~_rep(m)(x)| for every original neuron m
// of hidden layer h and x in X; err.back(): bound on |D(x) - D~(x)| per output.
// err^(h) = |W^(h)| err^(h-1) + eps^(h), err^(-1) = 0 (the input is not abstracted).
std::vector<Vector> clustering_error(const ReluChain& chain, const std::vector<Vector>& eps);

// Theorem 2: bound on |D~(x') - D(x)| for x in X and |x' - x| <= delta (entrywise):
// |W~_out| ... |W~_0| delta + err_out.
Vector total_error(const ReluChain& abstract, const Vector& err_out, const Vector& delta);

}  // namespace nncert
