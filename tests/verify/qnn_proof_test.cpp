// The re-checkable proof of issue 16 on random tiny QNNs: every decided query exported as MPS is
// re-solved by the other backend's own MPS reader with the same answer (infeasible = the leaf
// holds), the digests (per file and of the manifest) name the files' bytes, and --cross-check's second core agrees with
// enumeration while a verdict contradicting it is an InternalError, never a verdict.
#include "certifier/core/digest.hpp"
#include "certifier/core/error.hpp"
#include "certifier/verify/milp_mps.hpp"
#include "certifier/verify/qnn_cross_check.hpp"
#include "certifier/verify/qnn_export.hpp"
#include "formats/atomic_file.hpp"

#include "tests/test_support.hpp"
#include "tests/verify/qnn_test_support.hpp"

#include <gtest/gtest.h>

namespace nncert {
namespace {

MilpBackend other(MilpBackend b) { return b == MilpBackend::Cbc ? MilpBackend::Glpk : MilpBackend::Cbc; }

TEST(QnnProof, ExportedQueriesResolveAlikeOnTheOtherBackend) {
  std::mt19937_64 rng(16);
  test::TempDir tmp;
  int infeasible = 0, feasible = 0;
  for (int t = 0; t < 160; ++t) {
    const QNetwork net = test::random_tiny_qnn(rng);
    const QProperty p = test::random_property(net, rng);
    QVerifyOptions o;
    o.encoding = t % 2 ? QEncoding::Qvip : QEncoding::Compact;
    o.backend = (t / 2) % 2 ? MilpBackend::Glpk : MilpBackend::Cbc;
    o.attack = false;  // leave the counterexamples to the solvers, so that feasible files occur
    o.keep_queries = true;
    const QVerifyResult r = verify_qnn(net, p, o);
    ASSERT_NE(r.verdict, QVerdict::Unknown) << "case " << t;
    ASSERT_EQ(r.verdict == QVerdict::Falsified, test::enumerate_counterexample(net, p).has_value()) << "case " << t;
    const QExport exported = export_ilp_queries(r.queries, tmp.path().string(), "case-" + std::to_string(t));
    if (!exported.files.empty()) {
      EXPECT_EQ(sha256_hex(read_file((tmp / exported.manifest).string())), exported.manifest_sha256);
    }
    for (const QExportedQuery& e : exported.files) {
      const std::string path = (tmp / e.file).string();
      EXPECT_EQ(sha256_hex(read_file(path)), e.sha256);
      MilpOptions mo;
      mo.stop_at_first_solution = true;
      const MilpResult again = solve_mps_file(path, other(o.backend), mo);
      if (e.status == QAnswerStatus::NoCounterexample) {
        EXPECT_EQ(again.status, MilpStatus::Infeasible) << "case " << t << " " << e.file;
        ++infeasible;
      } else {
        EXPECT_EQ(again.status, MilpStatus::Optimal) << "case " << t << " " << e.file;
        ++feasible;
      }
    }
  }
  EXPECT_GT(infeasible, 20);  // the files carry real proofs,
  EXPECT_GT(feasible, 5);     // and real counterexamples
}

// The MPS text itself against the problem it came from: a known point is feasible in the file
// (both readers), and one bound or row violated makes it infeasible.
TEST(QnnProof, MpsKeepsBoundsRangesAndIntegrality) {
  test::TempDir tmp;
  MilpProblem p;
  const auto x = p.add_var(-3, 5, VarKind::Integer), y = p.add_var(0, 1, VarKind::Binary);
  const auto z = p.add_var(-std::numeric_limits<double>::infinity(), 2.5);  // continuous, free below
  p.add_row({{x, 2}, {y, 1}}, 1, 4);                                         // ranged: 1 <= 2x + y <= 4
  p.add_row({{x, 1}, {z, -1}, {x, 1}}, -std::numeric_limits<double>::infinity(), 0);  // duplicate entries
  p.add_row({{y, 1}}, 1, 1);                                                 // equality
  p.maximize = true;
  p.vars[z].objective = 1;
  for (const MilpBackend b : {MilpBackend::Cbc, MilpBackend::Glpk}) {
    write_file_atomic((tmp / "p.mps").string(), to_mps(p, "p"));
    MilpOptions mo;
    const MilpResult r = solve_mps_file((tmp / "p.mps").string(), b, mo);
    ASSERT_EQ(r.status, MilpStatus::Optimal) << to_string(b);
    // y = 1 forces 2x in [0, 3], x integer in {0, 1}; 2x <= z <= 2.5: the optimum negated is -2.5.
    EXPECT_NEAR(r.objective, -2.5, 1e-9) << to_string(b);
    MilpProblem q = p;
    q.rows.push_back({{{x, 1}}, 2, std::numeric_limits<double>::infinity()});  // x >= 2 contradicts the range
    write_file_atomic((tmp / "q.mps").string(), to_mps(q, "q"));
    EXPECT_EQ(solve_mps_file((tmp / "q.mps").string(), b, mo).status, MilpStatus::Infeasible) << to_string(b);
  }
}

TEST(QnnProof, UnreadableFileIsInputError) {
  test::TempDir tmp;
  write_file_atomic((tmp / "bad.mps").string(), "NAME x\nROWS\n Q R0\n");
  for (const MilpBackend b : {MilpBackend::Cbc, MilpBackend::Glpk})
    EXPECT_THROW(solve_mps_file((tmp / "bad.mps").string(), b, {}), InputError) << to_string(b);
}

TEST(QnnProof, CrossCheckAgreesWithEnumeration) {
  std::mt19937_64 rng(61);
  for (int t = 0; t < 150; ++t) {
    const QNetwork net = test::random_tiny_qnn(rng);
    const QProperty p = test::random_property(net, rng);
    QVerifyOptions o;
    o.encoding = std::array{QEncoding::Compact, QEncoding::Qvip, QEncoding::Smt}[t % 3];
    o.backend = (t / 3) % 2 ? MilpBackend::Glpk : MilpBackend::Cbc;
    const QVerifyResult r = verify_qnn(net, p, o);
    const QSecondOpinion s = cross_check(net, p, o, r);
    const bool oracle = test::enumerate_counterexample(net, p).has_value();
    ASSERT_NE(s.verdict, QVerdict::Unknown) << "case " << t;
    EXPECT_EQ(s.verdict == QVerdict::Falsified, oracle) << "case " << t;
    EXPECT_NE(s.core, r.decided_by) << "case " << t;  // a second solver, not the same one again
  }
}

TEST(QnnProof, CrossCheckDisagreementIsInternalError) {
  std::mt19937_64 rng(62);
  int checked = 0;
  for (int t = 0; t < 60 && checked < 10; ++t) {
    const QNetwork net = test::random_tiny_qnn(rng);
    const QProperty p = test::random_property(net, rng);
    const bool oracle = test::enumerate_counterexample(net, p).has_value();
    // A primary that claims the opposite of the truth, as a broken core would.
    QVerifyResult wrong;
    wrong.verdict = oracle ? QVerdict::Verified : QVerdict::Falsified;
    wrong.decided_by = "broken";
    EXPECT_THROW(cross_check(net, p, {}, wrong), InternalError) << "case " << t;
    ++checked;
  }
  EXPECT_EQ(checked, 10);
}

}  // namespace
}  // namespace nncert
