// QVIP's Algorithm 1 against the enumerated maximum robustness radius on random tiny QNNs: the
// smallest distance (in the norm) of any grid input classified differently, minus one.
#include "certifier/verify/qnn_mrr.hpp"

#include "tests/verify/qnn_test_support.hpp"

#include <gtest/gtest.h>

namespace nncert {
namespace {

std::int64_t enumerated_mrr(const QNetwork& net, const std::vector<std::int64_t>& centre, QNorm norm) {
  const std::size_t g = predict(net, centre);
  const std::int64_t span = net.cx.hi() - net.cx.lo(), n = static_cast<std::int64_t>(net.input_size);
  std::int64_t best = norm == QNorm::Linf ? span : norm == QNorm::L1 ? span * n : n;  // robust everywhere
  QInputRegion all;
  all.lo.assign(net.input_size, net.cx.lo());
  all.hi.assign(net.input_size, net.cx.hi());
  test::for_each_input(all, [&](const std::vector<std::int64_t>& x) {
    if (predict(net, x) != g) best = std::min(best, distance(norm, centre, x) - 1);
    return true;
  });
  return best;
}

TEST(QnnMrr, EqualsEnumeratedRadius) {
  std::mt19937_64 rng(31);
  int nonzero = 0;
  for (int t = 0; t < 400; ++t) {
    const QNetwork net = test::random_tiny_qnn(rng);
    const auto centre = test::random_input(net, rng);
    QMrrOptions o;
    o.norm = std::array{QNorm::Linf, QNorm::L1, QNorm::L0}[static_cast<std::size_t>(t % 3)];
    o.start = 1 + t % 4;
    o.step = 1 + (t / 4) % 3;
    o.verify.encoding = std::array{QEncoding::Compact, QEncoding::Qvip, QEncoding::Smt}[static_cast<std::size_t>((t / 3) % 3)];
    const QMrrResult r = max_robust_radius(net, centre, o);
    ASSERT_TRUE(r.exact) << "case " << t;
    ASSERT_EQ(r.radius, enumerated_mrr(net, centre, o.norm)) << "case " << t << " norm " << to_string(o.norm);
    if (r.non_robust_at) {
      EXPECT_EQ(*r.non_robust_at, r.radius + 1);
      EXPECT_NE(predict(net, r.counterexample), predict(net, centre));
    }
    nonzero += r.radius > 0;
  }
  EXPECT_GT(nonzero, 50);
}

}  // namespace
}  // namespace nncert
