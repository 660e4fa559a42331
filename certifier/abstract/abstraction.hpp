// DeepAbstract (Ashok et al., ATVA'20) §3.1 and Algorithm 1 lines 6-8: merging the neurons of a
// ReLU chain by a given clustering. Each cluster keeps one representative; the other members
// lose their incoming weights and add their outgoing weights to the representative's.
#pragma once

#include "certifier/verify/relu_chain.hpp"

#include <cstddef>
#include <vector>

namespace nncert {

// rep[h][m] = original index of the representative of neuron m in hidden layer h (0-based over
// the chain's hidden layers: hidden layer h is the output of chain.layers[h] after its ReLU).
// A representative represents itself: rep[h][rep[h][m]] == rep[h][m]. This is the abstraction
// map proofs are lifted through (§4).
struct AbstractionMap {
  std::vector<std::vector<std::size_t>> rep;
};

// Every neuron its own representative (the abstraction that changes nothing).
AbstractionMap identity_map(const ReluChain& chain);

// Throws InputError naming the layer when `map` does not fit `chain` (sizes, indices, a
// representative that does not represent itself).
void check_map(const ReluChain& chain, const AbstractionMap& map);

// The representatives of one layer in increasing order: abstract neuron i is original kept[i].
std::vector<std::size_t> kept_neurons(const std::vector<std::size_t>& rep);

// Original index -> index of its representative in the abstract layer.
std::vector<std::size_t> abstract_index(const std::vector<std::size_t>& rep);

// W with the columns of each cluster of the previous layer summed into one column per
// representative (columns in abstract order); `prev_rep` null for the input layer.
Matrix merge_columns(const Matrix& W, const std::vector<std::size_t>* prev_rep);

// Algorithm 1 lines 6-8 for every layer at once: the abstract chain (rows of non-representatives
// removed, their outgoing columns added to the representative's).
ReluChain apply_abstraction(const ReluChain& chain, const AbstractionMap& map);

// Hidden neurons of a chain (what the paper's reduction rate counts).
std::size_t hidden_neurons(const ReluChain& chain);

// The chain as a Dense/ReLU network (what `nncert abstract` saves).
Network to_network(const ReluChain& chain);

}  // namespace nncert
