// Integer bounds against exhaustive enumeration: every reachable accumulator and output of every
// neuron lies inside the interval and the symbolic bounds, the symbolic ones are never looser,
// and the output-row bound is at least the enumerated maximum.
#include "certifier/verify/qnn_bounds.hpp"

#include "tests/verify/qnn_test_support.hpp"

#include <gtest/gtest.h>

namespace nncert {
namespace {

// Accumulator of neuron j of layer l for the layer input `in` (independent of qnn_bounds).
std::int64_t accumulator(const QNetwork& net, std::size_t l, std::size_t j, const std::vector<std::int64_t>& in) {
  const QLayer& layer = net.layers[l];
  const int shift = layer.cw.frac + input_frac(net, l) - layer.cb.frac;
  std::int64_t acc = layer.b[j] * (std::int64_t{1} << shift);
  for (std::size_t k = 0; k < layer.inputs; ++k) acc += layer.weight(j, k) * in[k];
  return acc;
}

TEST(QnnBounds, SoundAgainstEnumeration) {
  std::mt19937_64 rng(5);
  std::size_t tighter = 0;
  for (int t = 0; t < 3000; ++t) {
    const QNetwork net = test::random_tiny_qnn(rng);
    const QProperty p = test::random_property(net, rng);
    const QBounds ib = interval_bounds(net, p.region), sb = symbolic_bounds(net, p.region);
    ASSERT_FALSE(infeasible(net, ib));
    ASSERT_FALSE(infeasible(net, sb));
    for (std::size_t l = 0; l < net.layers.size(); ++l)
      for (std::size_t j = 0; j < net.layers[l].outputs; ++j) {
        EXPECT_GE(sb[l][j].acc_lo, ib[l][j].acc_lo);
        EXPECT_LE(sb[l][j].acc_hi, ib[l][j].acc_hi);
        tighter += sb[l][j].acc_hi - sb[l][j].acc_lo < ib[l][j].acc_hi - ib[l][j].acc_lo;
      }
    const std::size_t m = output_size(net);
    std::vector<std::int64_t> c(m);
    for (auto& v : c) v = std::uniform_int_distribution<std::int64_t>(-3, 3)(rng);
    const std::int64_t row_ub = output_row_upper_bound(net, p.region, sb, c);
    std::int64_t row_max = INT64_MIN;
    test::for_each_input(p.region, [&](const std::vector<std::int64_t>& x) {
      const auto trace = evaluate_trace(net, x);
      for (std::size_t l = 0; l < net.layers.size(); ++l)
        for (std::size_t j = 0; j < net.layers[l].outputs; ++j) {
          const std::int64_t acc = accumulator(net, l, j, trace[l]);
          const std::int64_t y = trace[l + 1][j];
          for (const QBounds* b : {&ib, &sb}) {
            EXPECT_LE((*b)[l][j].acc_lo, acc) << "case " << t << " layer " << l << " neuron " << j;
            EXPECT_GE((*b)[l][j].acc_hi, acc) << "case " << t << " layer " << l << " neuron " << j;
            EXPECT_LE((*b)[l][j].y_lo, y);
            EXPECT_GE((*b)[l][j].y_hi, y);
          }
        }
      std::int64_t v = 0;
      for (std::size_t i = 0; i < m; ++i) v += c[i] * trace.back()[i];
      row_max = std::max(row_max, v);
      return !HasFailure();
    });
    ASSERT_FALSE(HasFailure());
    EXPECT_GE(row_ub, row_max) << "case " << t;
  }
  EXPECT_GT(tighter, 100u) << "the symbolic pass should improve on intervals somewhere";
}

// A neuron split recorded in `known` restricts the bounds, and contradictory facts are detected.
TEST(QnnBounds, KnownFactsAreIntersected) {
  std::mt19937_64 rng(9);
  for (int t = 0; t < 300; ++t) {
    const QNetwork net = test::random_tiny_qnn(rng);
    const QProperty p = test::random_property(net, rng);
    QBounds known = symbolic_bounds(net, p.region);
    auto& nb = known[0][0];
    if (nb.acc_lo == nb.acc_hi) continue;
    const std::int64_t mid = nb.acc_lo + (nb.acc_hi - nb.acc_lo) / 2;
    nb.acc_hi = mid;
    const QBounds b = symbolic_bounds(net, p.region, &known);
    ASSERT_FALSE(infeasible(net, b));
    EXPECT_LE(b[0][0].acc_hi, mid);
    nb.acc_lo = mid + 1;  // now empty
    EXPECT_TRUE(infeasible(net, interval_bounds(net, p.region, &known)));
    EXPECT_TRUE(infeasible(net, symbolic_bounds(net, p.region, &known)));
  }
}

}  // namespace
}  // namespace nncert
