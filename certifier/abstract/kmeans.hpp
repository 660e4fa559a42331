// k-means (Lloyd) with k-means++ seeding (Arthur & Vassilvitskii, SODA'07): DeepAbstract's
// clustering of neurons by their activation vectors (Ashok et al., ATVA'20, §3.2).
#pragma once

#include "certifier/core/network.hpp"

#include <cstdint>
#include <vector>

namespace nncert {

struct KMeansResult {
  std::vector<std::size_t> label;  // cluster of each point, in 0..k-1, every cluster non-empty
  Matrix centroids;                // k x dims
  double inertia = 0;              // sum of squared distances to the assigned centroid
  std::size_t iterations = 0;
};

// Clusters the rows of `points` into k groups (1 <= k <= rows; throws InputError otherwise).
// Deterministic for a given seed. A cluster that empties is re-seeded with the point farthest
// from its centroid, so exactly k clusters come back.
KMeansResult kmeans(const Matrix& points, std::size_t k, std::uint64_t seed, std::size_t max_iterations = 100);

}  // namespace nncert
