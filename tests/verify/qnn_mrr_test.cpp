// QVIP's Algorithm 1 against the enumerated maximum robustness radius on random tiny QNNs: the
// smallest distance (in the norm) of any grid input classified differently, minus one.
#include "certifier/verify/qnn_mrr.hpp"

#include "tests/verify/qnn_test_support.hpp"

#include <gtest/gtest.h>

namespace nncert {
namespace {

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
    ASSERT_EQ(r.radius, test::enumerated_mrr(net, centre, o.norm)) << "case " << t << " norm " << to_string(o.norm);
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
