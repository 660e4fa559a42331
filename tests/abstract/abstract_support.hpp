// Random ReLU chains, boxes and clusterings for the DeepAbstract tests (seeded).
#pragma once

#include "certifier/abstract/abstraction.hpp"
#include "certifier/verify/property.hpp"

#include <random>
#include <vector>

namespace nncert::test {

inline ReluChain random_chain(std::mt19937_64& rng, const std::vector<int>& widths) {
  std::normal_distribution<double> g(0.0, 1.0);
  ReluChain c;
  c.input_size = static_cast<std::size_t>(widths[0]);
  for (std::size_t i = 1; i < widths.size(); ++i) {
    Dense d{Matrix::NullaryExpr(widths[i], widths[i - 1], [&] { return g(rng) / std::sqrt(widths[i - 1]); }),
            Vector::NullaryExpr(widths[i], [&] { return 0.3 * g(rng); })};
    c.layers.push_back(d);
  }
  return c;
}

inline Box random_box(std::mt19937_64& rng, std::size_t n, double radius) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Vector c = Vector::NullaryExpr(static_cast<Eigen::Index>(n), [&] { return u(rng); });
  return {c.array() - radius, c.array() + radius};
}

// Each neuron joins a random earlier representative with probability p_merge.
inline AbstractionMap random_map(std::mt19937_64& rng, const ReluChain& chain, double p_merge) {
  AbstractionMap map = identity_map(chain);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (auto& rep : map.rep) {
    std::vector<std::size_t> reps{0};
    for (std::size_t m = 1; m < rep.size(); ++m) {
      if (u(rng) < p_merge)
        rep[m] = reps[rng() % reps.size()];
      else
        reps.push_back(m);
    }
  }
  return map;
}

// Uniform samples in a box, one per column (corners included with some probability).
inline Matrix sample_box(std::mt19937_64& rng, const Box& box, int n) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Matrix X(box.lo.size(), n);
  for (int j = 0; j < n; ++j)
    for (Eigen::Index i = 0; i < box.lo.size(); ++i) {
      double t = u(rng);
      if (j % 4 == 0) t = t < 0.5 ? 0.0 : 1.0;
      X(i, j) = box.lo[i] + t * (box.hi[i] - box.lo[i]);
    }
  return X;
}

}  // namespace nncert::test
