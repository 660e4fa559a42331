// Shared by the QNN verification tests: random tiny quantized networks with random configs, the
// exhaustive-enumeration oracle over an input region, and QVIP's own networks built exactly from
// ../shared/data/qvip/*.onnx (W_int = W * 2^(Q-1), b_int = b * 2^(Q-2); DESIGN §3.2 QVIP scheme).
#pragma once

#include "certifier/core/network.hpp"
#include "certifier/core/qnetwork.hpp"
#include "certifier/verify/qnn_property.hpp"
#include "formats/onnx.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace nncert::test {

inline QConfig random_config(std::mt19937_64& rng, bool is_signed, int min_bits, int max_bits, int min_frac,
                             int max_frac) {
  QConfig c;
  c.is_signed = is_signed;
  c.bits = std::uniform_int_distribution<int>(min_bits, max_bits)(rng);
  c.frac = std::uniform_int_distribution<int>(min_frac, max_frac)(rng);
  return c;
}

// 2-4 inputs on a small grid, 1-3 layers of 1-4 neurons, random configs (shifts of either sign,
// signed or unsigned hidden outputs), weights spread over their whole grids.
inline QNetwork random_tiny_qnn(std::mt19937_64& rng) {
  auto pick = [&](int a, int b) { return std::uniform_int_distribution<int>(a, b)(rng); };
  QNetwork net;
  net.input_size = static_cast<std::size_t>(pick(2, 4));
  net.cx = random_config(rng, pick(0, 3) == 0, 2, 3, 0, 3);
  const int layers = pick(1, 3);
  std::size_t width = net.input_size;
  int fx = net.cx.frac;
  for (int l = 0; l < layers; ++l) {
    const bool last = l + 1 == layers;
    QLayer layer;
    layer.inputs = width;
    layer.outputs = static_cast<std::size_t>(last ? pick(2, 4) : pick(1, 4));
    layer.cw = random_config(rng, true, 2, 5, 0, 4);
    layer.cb = random_config(rng, true, 2, 6, 0, layer.cw.frac + fx);
    layer.cy = random_config(rng, last || pick(0, 3) == 0, 2, 5, std::max(0, layer.cw.frac + fx - 4),
                             layer.cw.frac + fx + 2);
    layer.relu = !last;
    for (std::size_t i = 0; i < layer.inputs * layer.outputs; ++i)
      layer.W.push_back(std::uniform_int_distribution<std::int64_t>(layer.cw.lo(), layer.cw.hi())(rng));
    for (std::size_t i = 0; i < layer.outputs; ++i)
      layer.b.push_back(std::uniform_int_distribution<std::int64_t>(layer.cb.lo(), layer.cb.hi())(rng));
    fx = layer.cy.frac;
    width = layer.outputs;
    net.layers.push_back(std::move(layer));
  }
  return net;
}

inline std::vector<std::int64_t> random_input(const QNetwork& net, std::mt19937_64& rng) {
  std::vector<std::int64_t> x(net.input_size);
  for (auto& v : x) v = std::uniform_int_distribution<std::int64_t>(net.cx.lo(), net.cx.hi())(rng);
  return x;
}

// Calls f on every input of the region (stops early when f returns false).
inline void for_each_input(const QInputRegion& region, const std::function<bool(const std::vector<std::int64_t>&)>& f) {
  std::vector<std::int64_t> x = region.lo;
  const std::size_t n = x.size();
  while (true) {
    if (contains(region, x) && !f(x)) return;
    std::size_t i = 0;
    while (i < n && x[i] == region.hi[i]) {
      x[i] = region.lo[i];
      ++i;
    }
    if (i == n) return;
    ++x[i];
  }
}

// The oracle: some input of the region whose reference output is unsafe, or nullopt.
inline std::optional<std::vector<std::int64_t>> enumerate_counterexample(const QNetwork& net, const QProperty& p) {
  std::optional<std::vector<std::int64_t>> found;
  for_each_input(p.region, [&](const std::vector<std::int64_t>& x) {
    if (violated_disjunct(p, evaluate(net, x))) {
      found = x;
      return false;
    }
    return true;
  });
  return found;
}

}  // namespace nncert::test

namespace nncert::test {

// A random property on a random net: classification (most), regression, or random linear
// output rows on a box; random norm and radius 0..3.
inline QProperty random_property(const QNetwork& net, std::mt19937_64& rng) {
  auto pick = [&](int a, int b) { return std::uniform_int_distribution<int>(a, b)(rng); };
  const auto centre = random_input(net, rng);
  const QNorm norm = std::array{QNorm::Linf, QNorm::L1, QNorm::L0}[static_cast<std::size_t>(pick(0, 2))];
  const int kind = pick(0, 9);
  const std::int64_t span = net.cx.hi() - net.cx.lo(), n = static_cast<std::int64_t>(net.input_size);
  const std::int64_t max_r = norm == QNorm::Linf ? span : norm == QNorm::L1 ? span * n : n;
  QInputRegion region = ball_region(net, centre, norm, std::min<std::int64_t>(pick(0, 3), max_r));
  if (kind < 7) return classification_property(net, region);
  if (kind < 8) return regression_property(net, region, std::ldexp(pick(0, 3), -net.layers.back().cy.frac));
  QProperty p;
  p.region = region;
  const std::size_t m = output_size(net);
  for (int d = pick(1, 2); d > 0; --d) {
    std::vector<QOutputRow> conj;
    for (int r = pick(1, 2); r > 0; --r) {
      QOutputRow row{std::vector<std::int64_t>(m), pick(-6, 6)};
      for (auto& c : row.c) c = pick(-2, 2);
      conj.push_back(row);
    }
    p.unsafe.push_back(conj);
  }
  p.description = "random linear";
  return p;
}

}  // namespace nncert::test

namespace nncert::test {

inline std::int64_t norm_distance(QNorm norm, const std::vector<std::int64_t>& c, const std::vector<std::int64_t>& x) {
  std::int64_t d = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const std::int64_t a = x[i] > c[i] ? x[i] - c[i] : c[i] - x[i];
    d = norm == QNorm::Linf ? std::max(d, a) : norm == QNorm::L1 ? d + a : d + (a != 0);
  }
  return d;
}

// The maximum robustness radius by enumeration: the smallest distance of any grid input
// classified differently from the centre, minus one (the largest radius the grid allows if none).
inline std::int64_t enumerated_mrr(const QNetwork& net, const std::vector<std::int64_t>& centre, QNorm norm) {
  const std::size_t g = predict(net, centre);
  const std::int64_t span = net.cx.hi() - net.cx.lo(), n = static_cast<std::int64_t>(net.input_size);
  std::int64_t best = norm == QNorm::Linf ? span : norm == QNorm::L1 ? span * n : n;  // robust everywhere
  QInputRegion all;
  all.lo.assign(net.input_size, net.cx.lo());
  all.hi.assign(net.input_size, net.cx.hi());
  for_each_input(all, [&](const std::vector<std::int64_t>& x) {
    if (predict(net, x) != g) best = std::min(best, norm_distance(norm, centre, x) - 1);
    return true;
  });
  return best;
}

}  // namespace nncert::test
