// DeepAbstract (Ashok et al., ATVA'20) Algorithm 2: layer by layer from the first hidden layer,
// binary search for the smallest number of clusters whose abstraction keeps the accuracy on a
// validation set at least alpha, then abstract that layer and move on.
#pragma once

#include "certifier/abstract/clustering.hpp"

#include <functional>
#include <vector>

namespace nncert {

struct ClusterSearch {
  ClusteredAbstraction abstraction;
  std::vector<std::size_t> clusters;  // K_L per hidden layer (= width where not clustered)
  std::vector<double> accuracy;       // validation accuracy after each layer's step
  std::size_t evaluations = 0;        // abstractions tried by the binary searches
};

// X: the input set the activation vectors are taken over; (X_val, labels): where accuracy is
// measured. The search assumes accuracy is monotone in k (the paper's assumption), so the k
// found is the smallest one the binary search sees meeting alpha, not necessarily the global one.
// `on_layer(h, k)` (optional) is called after each layer is decided.
ClusterSearch identify_clusters(const ReluChain& chain, const Matrix& X, const Matrix& X_val, const std::vector<int>& labels,
                                double alpha, std::uint64_t seed,
                                const std::function<void(std::size_t, std::size_t)>& on_layer = {});

}  // namespace nncert
