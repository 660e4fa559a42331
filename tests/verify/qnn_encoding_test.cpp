// Both exact ILP encodings (compact and QVIP's) on both MILP backends against exhaustive
// enumeration on random tiny QNNs: same verdict, and every solver point is a real counterexample
// on the reference evaluator. Plus QVIP's Example 3.7 / Figure 4 as a published golden for the
// interval simplification (§3.5).
#include "certifier/verify/qnn_encoding_compact.hpp"
#include "certifier/verify/qnn_encoding_qvip.hpp"

#include "tests/qvip_example.hpp"
#include "tests/verify/qnn_test_support.hpp"

#include <gtest/gtest.h>

namespace nncert {
namespace {

using test::qvip_example_2_2;

// Figure 4: with u = (10, 2), r = 4 the neurons range over [0,8], [9,27], [0,17], [4,18], so the
// simplified encoding has 9 + 19 + 18 + 15 Booleans for the neurons.
TEST(QnnEncoding, QvipExample37IntervalSimplification) {
  const QNetwork net = qvip_example_2_2();
  const QProperty p = classification_property(net, ball_region(net, {10, 2}, QNorm::Linf, 4));
  EXPECT_EQ(p.region.lo, (std::vector<std::int64_t>{6, 0}));
  EXPECT_EQ(p.region.hi, (std::vector<std::int64_t>{14, 6}));
  const QBounds b = interval_bounds(net, p.region);
  const std::vector<std::pair<std::int64_t, std::int64_t>> expected{{0, 8}, {9, 27}, {0, 17}, {4, 18}};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(b[i / 2][i % 2].y_lo, expected[i].first) << i;
    EXPECT_EQ(b[i / 2][i % 2].y_hi, expected[i].second) << i;
  }
  const QQuery q{&net, &p, &b, {}};
  const QIlp ilp = encode_qvip(q);
  EXPECT_EQ(ilp.binaries, 9u + 19u + 18u + 15u + 1u);  // + Theta^c's one competing-class indicator
}

struct Counts {
  int robust = 0, falsified = 0;
};

void check_against_enumeration(MilpBackend backend, bool qvip, bool symbolic, int cases, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto solver = make_milp_solver(backend);
  Counts counts;
  for (int t = 0; t < cases; ++t) {
    const QNetwork net = test::random_tiny_qnn(rng);
    const QProperty p = test::random_property(net, rng);
    const QBounds b = symbolic ? symbolic_bounds(net, p.region) : interval_bounds(net, p.region);
    const auto oracle = test::enumerate_counterexample(net, p);
    // Sometimes one query per disjunct (the driver's default), sometimes all in one ILP.
    std::vector<std::vector<std::size_t>> parts;
    if (t % 2 == 0) {
      parts.push_back({});
    } else {
      for (std::size_t d = 0; d < p.unsafe.size(); ++d) parts.push_back({d});
    }
    bool found = false;
    for (const auto& part : parts) {
      const QQuery q{&net, &p, &b, part};
      const QIlp ilp = qvip ? encode_qvip(q) : encode_compact(q);
      const QAnswer a = solve_ilp(ilp, *solver, {});
      ASSERT_NE(a.status, QAnswerStatus::Unknown) << a.detail << " case " << t;
      if (a.status == QAnswerStatus::Counterexample) {
        ASSERT_TRUE(replays(net, p, a.witness)) << "case " << t << " " << p.description;
        found = true;
      }
    }
    ASSERT_EQ(found, oracle.has_value()) << "case " << t << " " << p.description << " backend "
                                         << to_string(backend) << (qvip ? " qvip" : " compact");
    (found ? counts.falsified : counts.robust) += 1;
  }
  EXPECT_GT(counts.robust, cases / 8);
  EXPECT_GT(counts.falsified, cases / 8);
}

TEST(QnnEncoding, CompactGlpkAgreesWithEnumeration) { check_against_enumeration(MilpBackend::Glpk, false, true, 1500, 1); }
TEST(QnnEncoding, CompactCbcAgreesWithEnumeration) { check_against_enumeration(MilpBackend::Cbc, false, true, 700, 2); }
TEST(QnnEncoding, CompactIntervalBoundsAgreesWithEnumeration) {
  check_against_enumeration(MilpBackend::Glpk, false, false, 800, 3);
}
TEST(QnnEncoding, QvipGlpkAgreesWithEnumeration) { check_against_enumeration(MilpBackend::Glpk, true, false, 1500, 4); }
TEST(QnnEncoding, QvipCbcAgreesWithEnumeration) { check_against_enumeration(MilpBackend::Cbc, true, true, 700, 5); }

}  // namespace
}  // namespace nncert
