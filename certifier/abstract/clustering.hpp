// DeepAbstract (Ashok et al., ATVA'20) Algorithm 1 with k-means (§3.2) and the cluster distance
// eps of Eq. 3: layer by layer from the first hidden layer, cluster the activation vectors over X
// in the network abstracted so far, keep the member closest to each centroid.
#pragma once

#include "certifier/abstract/abstraction.hpp"

#include <cstdint>
#include <vector>

namespace nncert {

struct LayerClustering {
  std::vector<std::size_t> rep;  // per neuron, its representative (original indices)
  Vector eps;                    // Eq. 3: ||a_i - a_rep(i)||_2 over X (0 for representatives)
};

// Clusters the rows of A (neurons x |X|) into k groups by k-means++ / Lloyd (seeded); the
// representative of a cluster is the member closest to its centroid (lowest index on ties).
LayerClustering cluster_layer(const Matrix& A, std::size_t k, std::uint64_t seed);

struct ClusteredAbstraction {
  AbstractionMap map;
  std::vector<Vector> eps;   // Eq. 3 per hidden layer, original indices
  ReluChain abstract;        // apply_abstraction(original, map)
};

// Algorithm 1: clusters[h] clusters for hidden layer h (0 or >= its width leaves it alone).
// Activations are taken in the network abstracted up to layer h-1, as in line 4.
ClusteredAbstraction abstract_by_clustering(const ReluChain& chain, const Matrix& X, const std::vector<std::size_t>& clusters,
                                            std::uint64_t seed);

// Seed used for hidden layer h (so Algorithm 2 and a replay with the found k agree).
std::uint64_t layer_seed(std::uint64_t seed, std::size_t h);

}  // namespace nncert
