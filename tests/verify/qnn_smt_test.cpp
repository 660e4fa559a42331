// The Z3 bit-vector encoding against exhaustive enumeration on thousands of random tiny QNNs:
// same verdict, and every counterexample replays on the reference evaluator.
#include "certifier/verify/qnn_smt.hpp"

#include "tests/verify/qnn_test_support.hpp"

#include <gtest/gtest.h>

namespace nncert {
namespace {

TEST(QnnSmt, AgreesWithEnumeration) {
  std::mt19937_64 rng(11);
  int robust = 0, falsified = 0;
  for (int t = 0; t < 1500; ++t) {
    const QNetwork net = test::random_tiny_qnn(rng);
    ASSERT_EQ(check_qnetwork(net), "");
    const QProperty p = test::random_property(net, rng);
    const QBounds b = symbolic_bounds(net, p.region);
    const QQuery q{&net, &p, &b, {}};
    const QAnswer a = solve_smt(q, {});
    const auto oracle = test::enumerate_counterexample(net, p);
    ASSERT_NE(a.status, QAnswerStatus::Unknown) << a.detail;
    ASSERT_EQ(a.status == QAnswerStatus::Counterexample, oracle.has_value()) << "case " << t << " " << p.description;
    if (oracle) {
      EXPECT_TRUE(replays(net, p, a.witness)) << "case " << t;
      ++falsified;
    } else {
      ++robust;
    }
  }
  // Both verdicts must be well represented or the comparison says little.
  EXPECT_GT(robust, 200);
  EXPECT_GT(falsified, 200);
}

}  // namespace
}  // namespace nncert
