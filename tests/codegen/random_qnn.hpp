// Random fixed-point networks for differential testing of the generated code: every corner of
// DESIGN §3.2 (signed/unsigned grids, Q 2..16, shifts s <= 0, saturating weights, biases that
// need aligning, pruned rows) appears with useful probability.
#pragma once

#include "certifier/core/qsemantics.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace nncert::test {

inline QNetwork random_qnn(std::mt19937_64& rng, int max_width = 64, int max_depth = 5) {
  auto uniform = [&](int a, int b) { return std::uniform_int_distribution<int>(a, b)(rng); };
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  auto config = [&](bool is_signed, int bits, int frac) { return QConfig{is_signed, bits, frac}; };
  QNetwork net;
  net.input_size = static_cast<std::size_t>(uniform(1, max_width));
  net.cx = config(chance(0.4), uniform(2, 16), uniform(-2, 10));
  const int depth = uniform(1, max_depth);
  std::size_t width = net.input_size;
  int fx = net.cx.frac;
  double x_mag = static_cast<double>(std::max(-net.cx.lo(), net.cx.hi())) / 2;
  const double zero_rate = chance(0.3) ? 0.85 : (chance(0.5) ? 0.2 : 0.0);  // some heavily pruned nets
  for (int l = 0; l < depth; ++l) {
    const bool last = l + 1 == depth;
    QLayer layer;
    layer.inputs = width;
    layer.outputs = static_cast<std::size_t>(uniform(1, max_width));
    layer.cw = config(!chance(0.1), uniform(2, 16), uniform(0, 12));
    // Bias aligned by 2^(Fw + Fx - Fb), 0..8: exact and sometimes large.
    const int bias_shift = uniform(0, 8);
    layer.cb = config(true, uniform(2, 16), layer.cw.frac + fx - bias_shift);
    layer.relu = last ? chance(0.2) : true;
    const bool saturating = chance(0.2);
    for (std::size_t i = 0; i < layer.inputs * layer.outputs; ++i) {
      std::int64_t w = std::uniform_int_distribution<std::int64_t>(layer.cw.lo(), layer.cw.hi())(rng);
      if (saturating && chance(0.5)) w = chance(0.5) ? layer.cw.lo() : layer.cw.hi();
      if (chance(zero_rate)) w = 0;
      layer.W.push_back(w);
    }
    for (std::size_t j = 0; j < layer.outputs; ++j)
      layer.b.push_back(std::uniform_int_distribution<std::int64_t>(layer.cb.lo(), layer.cb.hi())(rng));
    // Pick the output scale so typical accumulators land inside the output grid, then jitter it:
    // some layers saturate, some scale up (s <= 0).
    const double w_mag = static_cast<double>(std::max(-layer.cw.lo(), layer.cw.hi())) / 2;
    const double acc_mag = std::max(1.0, std::sqrt(static_cast<double>(width)) * w_mag * x_mag);
    layer.cy = config(last ? chance(0.7) : chance(0.3), uniform(2, 16), 0);
    const int ideal = static_cast<int>(std::round(std::log2(acc_mag))) - (layer.cy.bits - 2);
    int s = std::clamp(ideal + uniform(-3, 3), -6, 40);
    s = std::clamp(s, layer.cw.frac + fx - 40, layer.cw.frac + fx + 20);  // keeps every F in -20..40
    layer.cy.frac = layer.cw.frac + fx - s;
    net.layers.push_back(layer);
    width = layer.outputs;
    fx = layer.cy.frac;
    x_mag = static_cast<double>(layer.cy.hi()) / 3;
  }
  net.accumulator = prove_accumulator(net).type;  // as quantize records it
  return net;
}

// Random grid inputs: uniform, plus the corners (all-min, all-max, alternating) and extremes.
inline std::vector<std::vector<std::int64_t>> random_inputs(std::mt19937_64& rng, const QNetwork& net, std::size_t n) {
  std::vector<std::vector<std::int64_t>> xs;
  const std::int64_t lo = net.cx.lo(), hi = net.cx.hi();
  xs.push_back(std::vector<std::int64_t>(net.input_size, lo));
  xs.push_back(std::vector<std::int64_t>(net.input_size, hi));
  std::vector<std::int64_t> alt(net.input_size);
  for (std::size_t i = 0; i < alt.size(); ++i) alt[i] = i % 2 ? hi : lo;
  xs.push_back(alt);
  std::uniform_int_distribution<std::int64_t> grid(lo, hi);
  std::bernoulli_distribution extreme(0.2);
  while (xs.size() < n) {
    std::vector<std::int64_t> x(net.input_size);
    const bool edgy = extreme(rng);
    for (auto& v : x) v = edgy && extreme(rng) ? (extreme(rng) ? lo : hi) : grid(rng);
    xs.push_back(x);
  }
  return xs;
}

}  // namespace nncert::test
