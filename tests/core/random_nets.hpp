// Random networks for property tests (seeded, so every failure reproduces).
#pragma once

#include "certifier/core/network.hpp"
#include "certifier/core/qnetwork.hpp"

#include <random>
#include <vector>

namespace nncert::test {

// A float network with every layer kind: Normalize, Dense, BatchNorm, ReLU in varied orders.
inline Network random_float_network(std::mt19937_64& rng, const std::vector<int>& widths) {
  std::normal_distribution<double> gauss(0.0, 1.0);
  std::uniform_real_distribution<double> pos(0.5, 2.0);
  auto vec = [&](int n) { return Vector(Vector::NullaryExpr(n, [&] { return gauss(rng); })); };
  auto posvec = [&](int n) { return Vector(Vector::NullaryExpr(n, [&] { return pos(rng); })); };
  Network net{static_cast<std::size_t>(widths[0]), {}};
  net.layers.emplace_back(Normalize{vec(widths[0]), posvec(widths[0])});
  for (std::size_t i = 1; i < widths.size(); ++i) {
    const int in = widths[i - 1], out = widths[i];
    Matrix W = Matrix::NullaryExpr(out, in, [&] { return gauss(rng) / std::sqrt(in); });
    net.layers.emplace_back(Dense{W, vec(out)});
    if (i + 1 < widths.size()) {
      net.layers.emplace_back(BatchNorm{posvec(out), vec(out), vec(out), posvec(out), 1e-5});
      net.layers.emplace_back(ReLU{});
      if (i % 2 == 0) net.layers.emplace_back(BatchNorm{posvec(out), vec(out), vec(out), posvec(out), 1e-3});
    }
  }
  net.layers.emplace_back(BatchNorm{posvec(widths.back()), vec(widths.back()), vec(widths.back()),
                                    posvec(widths.back()), 1e-5});
  return net;
}

}  // namespace nncert::test
