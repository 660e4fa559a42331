// DeepAbstract (Ashok et al., ATVA'20) Algorithm 1 line 4: the activation vector of each neuron
// over an input set X, a_i = [z_i(x_1), ..., z_i(x_N)] (I/O-similarity, §3).
#pragma once

#include "certifier/verify/relu_chain.hpp"

#include <vector>

namespace nncert {

// One matrix per hidden layer (neurons x N): post-ReLU activations of the chain on the columns of X.
std::vector<Matrix> hidden_activations(const ReluChain& chain, const Matrix& X);

// Runs chain.layers[first..] on Z, the post-ReLU activations of hidden layer `first` (the input
// when first == 0); used to re-evaluate only the part of the network an abstraction step changes.
Matrix evaluate_from(const ReluChain& chain, std::size_t first, const Matrix& Z);

// Fraction of columns of X whose first argmax is the label.
double accuracy(const ReluChain& chain, const Matrix& X, const std::vector<int>& labels);
double accuracy_of_outputs(const Matrix& Y, const std::vector<int>& labels);

}  // namespace nncert
