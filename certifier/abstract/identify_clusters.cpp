#include "certifier/abstract/identify_clusters.hpp"

#include "certifier/abstract/activations.hpp"

#include <map>

namespace nncert {

ClusterSearch identify_clusters(const ReluChain& chain, const Matrix& X, const Matrix& X_val, const std::vector<int>& labels,
                                double alpha, std::uint64_t seed,
                                const std::function<void(std::size_t, std::size_t)>& on_layer) {
  const std::size_t hidden = chain.depth() - 1;
  ClusterSearch s;
  s.abstraction.map = identity_map(chain);
  for (std::size_t h = 0; h < hidden; ++h) {
    s.abstraction.eps.push_back(Vector::Zero(chain.layers[h].b.size()));
    s.clusters.push_back(static_cast<std::size_t>(chain.layers[h].b.size()));
  }
  // Inputs of chain.layers[h] in the current abstraction, on X and on the validation set: layers
  // below h never change again once h is reached, so only the tail is re-evaluated per trial.
  Matrix Zx = X, Zv = X_val;
  double acc = accuracy(chain, X_val, labels);
  for (std::size_t h = 0; h < hidden; ++h) {
    const auto n = static_cast<std::size_t>(chain.layers[h].b.size());
    ReluChain current = apply_abstraction(chain, s.abstraction.map);
    const Matrix A = ((current.layers[h].W * Zx).colwise() + current.layers[h].b).cwiseMax(0.0);
    if (acc >= alpha && n > 1) {
      std::map<std::size_t, std::pair<LayerClustering, double>> tried;
      auto trial = [&](std::size_t k) -> double {
        auto it = tried.find(k);
        if (it != tried.end()) return it->second.second;
        LayerClustering lc = cluster_layer(A, k, layer_seed(seed, h));
        AbstractionMap m = s.abstraction.map;
        m.rep[h] = lc.rep;
        const double a = accuracy_of_outputs(evaluate_from(apply_abstraction(chain, m), h, Zv), labels);
        ++s.evaluations;
        tried.emplace(k, std::make_pair(std::move(lc), a));
        return a;
      };
      std::size_t lo = 1, hi = n;  // k = n is the identity, which keeps acc >= alpha
      while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        if (trial(mid) >= alpha)
          hi = mid;
        else
          lo = mid + 1;
      }
      if (hi < n) {
        auto& [lc, a] = tried.at(hi);
        s.abstraction.map.rep[h] = lc.rep;
        s.abstraction.eps[h] = lc.eps;
        s.clusters[h] = hi;
        acc = a;
        current = apply_abstraction(chain, s.abstraction.map);
      }
    }
    s.accuracy.push_back(acc);
    if (on_layer) on_layer(h, s.clusters[h]);
    Zx = ((current.layers[h].W * Zx).colwise() + current.layers[h].b).cwiseMax(0.0);
    Zv = ((current.layers[h].W * Zv).colwise() + current.layers[h].b).cwiseMax(0.0);
  }
  s.abstraction.abstract = apply_abstraction(chain, s.abstraction.map);
  return s;
}

}  // namespace nncert
