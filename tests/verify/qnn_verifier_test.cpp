// The verification driver against exhaustive enumeration on random tiny QNNs, for every core,
// with and without attacks, bounds kinds, one query or one per disjunct, and input splitting:
// the verdict is never wrong, unknown never happens without a time limit, and every falsified
// verdict carries a counterexample that replays; the portfolio and each of its members likewise,
// and a cancelled task is never wrong.
#include "certifier/verify/qnn_verifier.hpp"
#include "certifier/verify/qnn_portfolio.hpp"

#include "certifier/core/error.hpp"

#include "tests/verify/qnn_test_support.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>

namespace nncert {
namespace {

TEST(QnnVerifier, AgreesWithEnumerationAcrossConfigurations) {
  std::mt19937_64 rng(21);
  int decided_by_solver = 0, output_split_witnesses = 0;
  for (int t = 0; t < 1200; ++t) {
    const QNetwork net = test::random_tiny_qnn(rng);
    const QProperty p = test::random_property(net, rng);
    QVerifyOptions o;
    o.encoding = std::array{QEncoding::Compact, QEncoding::Qvip, QEncoding::Smt}[t % 3];
    o.backend = (t / 3) % 2 ? MilpBackend::Cbc : MilpBackend::Glpk;
    o.bounds = (t / 6) % 2 ? QBoundsKind::Interval : QBoundsKind::Symbolic;
    o.attack = (t / 12) % 2 == 0;
    o.per_disjunct = (t / 24) % 2 == 0;
    o.split_depth = (t / 48) % 2 ? 3 : 0;
    o.eager_split = o.split_depth > 0;  // exercise the sub-box bounds and the branch bookkeeping
    o.seed = static_cast<std::uint64_t>(t);
    o.output_split = (t / 96) % 2 == 0;
    const QVerifyResult r = verify_qnn(net, p, o);
    const auto oracle = test::enumerate_counterexample(net, p);
    ASSERT_NE(r.verdict, QVerdict::Unknown) << "case " << t << ": " << r.detail;
    ASSERT_EQ(r.verdict == QVerdict::Falsified, oracle.has_value()) << "case " << t << " " << p.description;
    if (r.verdict == QVerdict::Falsified) {
      EXPECT_TRUE(replays(net, p, r.counterexample));
    }
    decided_by_solver += r.solver_calls > 0;
    output_split_witnesses += r.decided_by.find("+output-split") != std::string::npos;
  }
  EXPECT_GT(decided_by_solver, 100);
  EXPECT_GT(output_split_witnesses, 0);  // the output-value split path found real counterexamples
}

// Every portfolio member alone, and the race of all of them, against enumeration.
TEST(QnnVerifier, PortfolioAndEachMemberAgreeWithEnumeration) {
  std::mt19937_64 rng(16);
  std::map<std::string, int> winners;
  for (int t = 0; t < 240; ++t) {
    const QNetwork net = test::random_tiny_qnn(rng);
    const QProperty p = test::random_property(net, rng);
    QVerifyOptions o;
    o.encoding = QEncoding::Portfolio;
    o.seed = static_cast<std::uint64_t>(t);
    o.attack = t % 2 == 0;
    const bool oracle = test::enumerate_counterexample(net, p).has_value();
    const QVerifyResult r = verify_qnn(net, p, o);
    ASSERT_NE(r.verdict, QVerdict::Unknown) << "case " << t << ": " << r.detail;
    ASSERT_EQ(r.verdict == QVerdict::Falsified, oracle) << "case " << t;
    if (r.verdict == QVerdict::Falsified) {
      EXPECT_TRUE(replays(net, p, r.counterexample));
    }
    ++winners[r.decided_by];
    const auto members = portfolio_members(o, net);
    const QVerifyResult m = verify_qnn(net, p, members[static_cast<std::size_t>(t) % members.size()]);
    ASSERT_NE(m.verdict, QVerdict::Unknown) << "case " << t << " member " << t % members.size();
    EXPECT_EQ(m.verdict, r.verdict) << "case " << t << " member " << t % members.size();
  }
  EXPECT_GT(winners.size(), 1u);  // more than one way to decide was exercised
}

// A stop raised before the race starts: nothing is proven by a cancelled core, so the verdict is
// unknown unless the centre, the bounds or the attack decided before any solver ran.
TEST(QnnVerifier, CancelledTaskIsNeverWrong) {
  std::mt19937_64 rng(17);
  int interrupted = 0;
  for (int t = 0; t < 200; ++t) {
    const QNetwork net = test::random_tiny_qnn(rng);
    const QProperty p = test::random_property(net, rng);
    std::atomic<bool> stop{true};
    QVerifyOptions o;
    o.encoding = std::array{QEncoding::Compact, QEncoding::Qvip, QEncoding::Smt, QEncoding::Portfolio}[t % 4];
    o.backend = (t / 4) % 2 ? MilpBackend::Glpk : MilpBackend::Cbc;
    o.attack = false;
    o.stop = &stop;
    const QVerifyResult r = verify_qnn(net, p, o);
    if (r.verdict == QVerdict::Unknown) {
      ++interrupted;
      continue;
    }
    EXPECT_EQ(r.solver_calls, 0u) << "case " << t;
    EXPECT_EQ(r.verdict == QVerdict::Falsified, test::enumerate_counterexample(net, p).has_value()) << "case " << t;
  }
  EXPECT_GT(interrupted, 20);
}

TEST(QnnVerifier, BadEncodingNameIsInputError) {
  EXPECT_THROW(parse_qencoding("gurobi"), InputError);
}

}  // namespace
}  // namespace nncert
