#include "certifier/abstract/clustering.hpp"

#include "certifier/abstract/activations.hpp"
#include "certifier/abstract/kmeans.hpp"
#include "certifier/core/error.hpp"

#include <limits>

namespace nncert {

std::uint64_t layer_seed(std::uint64_t seed, std::size_t h) { return seed * 0x9E3779B97F4A7C15ULL + h + 1; }

LayerClustering cluster_layer(const Matrix& A, std::size_t k, std::uint64_t seed) {
  const auto n = static_cast<std::size_t>(A.rows());
  LayerClustering out;
  out.rep.resize(n);
  out.eps = Vector::Zero(static_cast<Eigen::Index>(n));
  if (k >= n) {
    for (std::size_t i = 0; i < n; ++i) out.rep[i] = i;
    return out;
  }
  const KMeansResult km = kmeans(A, k, seed);
  std::vector<std::size_t> best(k, n);
  std::vector<double> best_d(k, std::numeric_limits<double>::infinity());
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = km.label[i];
    const double d = (A.row(static_cast<Eigen::Index>(i)) - km.centroids.row(static_cast<Eigen::Index>(c))).squaredNorm();
    if (d < best_d[c]) best_d[c] = d, best[c] = i;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t r = best[km.label[i]];
    if (r >= n) throw InternalError("k-means returned an empty cluster");
    out.rep[i] = r;
    out.eps[static_cast<Eigen::Index>(i)] = (A.row(static_cast<Eigen::Index>(i)) - A.row(static_cast<Eigen::Index>(r))).norm();
  }
  return out;
}

ClusteredAbstraction abstract_by_clustering(const ReluChain& chain, const Matrix& X, const std::vector<std::size_t>& clusters,
                                            std::uint64_t seed) {
  const std::size_t hidden = chain.depth() - 1;
  if (clusters.size() != hidden)
    throw InputError("abstraction", "clusters", "expected one count per hidden layer (" + std::to_string(hidden) + ")");
  ClusteredAbstraction out;
  out.map = identity_map(chain);
  for (std::size_t h = 0; h < hidden; ++h)
    out.eps.push_back(Vector::Zero(chain.layers[h].b.size()));
  for (std::size_t h = 0; h < hidden; ++h) {
    const auto n = static_cast<std::size_t>(chain.layers[h].b.size());
    if (clusters[h] == 0 || clusters[h] >= n) continue;
    // Line 4: activations of layer h in the network abstracted so far (layer h itself intact,
    // so its neurons keep their original indices).
    const ReluChain current = apply_abstraction(chain, out.map);
    const Matrix A = hidden_activations(current, X)[h];
    LayerClustering lc = cluster_layer(A, clusters[h], layer_seed(seed, h));
    out.map.rep[h] = std::move(lc.rep);
    out.eps[h] = std::move(lc.eps);
  }
  out.abstract = apply_abstraction(chain, out.map);
  return out;
}

}  // namespace nncert
