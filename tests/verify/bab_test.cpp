// Complete methods against independent oracles: on 1-2 input nets a dense grid plus a Lipschitz
// bound decides the answer; BaB (input and ReLU splits), MILP (GLPK, CBC) and the auto driver must
// match it, and agree with each other on 4-input nets. Every falsified verdict is replayed.
#include "certifier/verify/attack.hpp"
#include "certifier/verify/bab.hpp"
#include "certifier/verify/milp_encoding.hpp"
#include "certifier/verify/verifier.hpp"
#include "tests/core/random_nets.hpp"

#include <gtest/gtest.h>

#include <random>

namespace nncert {
namespace {

using Clock = std::chrono::steady_clock;

Property threshold_property(const Box& box, const Vector& a, double t) {
  Property p;
  p.name = "a.y <= t";
  p.cases.push_back({box, {{OutputConstraint{a, t}}}});
  return p;
}

// An upper bound of |a.f(x) - a.f(x')| / |x - x'|_inf.
double lipschitz(const ReluChain& chain, const Vector& a) {
  double k = a.cwiseAbs().sum();
  for (const Dense& d : chain.layers) k *= d.W.cwiseAbs().rowwise().sum().maxCoeff();
  return k;
}

enum class Expect { Holds, Violated };

void check_all_methods(const Network& net, const Property& p, Expect expect, const std::string& what) {
  const ReluChain chain = to_relu_chain(net);
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  for (SplitMode mode : {SplitMode::Input, SplitMode::Relu}) {
    BabOptions bo;
    bo.mode = mode;
    bo.deadline = deadline;
    const BabResult r = bab(net, chain, p, 0, 0, bo);
    ASSERT_NE(r.status, BabStatus::Unknown) << what << " mode " << int(mode);
    EXPECT_EQ(r.status == BabStatus::Verified, expect == Expect::Holds) << what << " bab mode " << int(mode);
    if (r.status == BabStatus::Falsified) {
      ASSERT_TRUE(r.counterexample);
      EXPECT_TRUE(replay(net, p, r.counterexample->x)) << what;
    }
  }
  for (MilpBackend b : {MilpBackend::Glpk, MilpBackend::Cbc}) {
    const MilpCheck m = milp_check(net, chain, p, 0, 0, b, deadline, 1);
    ASSERT_NE(m.verdict, MilpVerdict::Unknown) << what << " " << to_string(b) << " " << m.detail;
    EXPECT_EQ(m.verdict == MilpVerdict::Verified, expect == Expect::Holds) << what << " " << to_string(b);
    if (m.counterexample) {
      EXPECT_TRUE(replay(net, p, m.counterexample->x));
    }
  }
  VerifyOptions vo;
  vo.timeout_s = 20;
  const VerifyResult v = verify(net, p, vo);
  EXPECT_EQ(v.verdict, expect == Expect::Holds ? Verdict::Verified : Verdict::Falsified) << what;
}

class GridOracle : public ::testing::TestWithParam<int> {};

TEST_P(GridOracle, AgreesWithDenseEnumeration) {
  const int seed = GetParam();
  std::mt19937_64 rng(static_cast<std::uint64_t>(seed) + 100);
  const int dims = 1 + seed % 2;
  const Network net = test::random_float_network(rng, {dims, 8, 8, 2});
  const ReluChain chain = to_relu_chain(net);
  std::normal_distribution<double> g(0.0, 1.0);
  const Vector a{{g(rng), g(rng)}};
  const Box box{Vector::Constant(dims, -1.0), Vector::Constant(dims, 1.0)};
  const int n = dims == 1 ? 20001 : 401;
  const double h = 2.0 / (n - 1);
  Matrix X(dims, dims == 1 ? n : n * n);
  for (Eigen::Index s = 0; s < X.cols(); ++s) {
    X(0, s) = -1.0 + h * static_cast<double>(s % n);
    if (dims == 2) X(1, s) = -1.0 + h * static_cast<double>(s / n);
  }
  const Vector f = (a.transpose() * evaluate(net, X)).transpose();
  const double grid_min = f.minCoeff();
  const double slack = lipschitz(chain, a) * h / 2;
  // Reachable: a grid point is below the threshold.
  check_all_methods(net, threshold_property(box, a, grid_min + 0.01), Expect::Violated, "seed " + std::to_string(seed));
  // Unreachable: every point is within h/2 (L-inf) of a grid point.
  check_all_methods(net, threshold_property(box, a, grid_min - slack - 0.01), Expect::Holds,
                    "seed " + std::to_string(seed));
}

INSTANTIATE_TEST_SUITE_P(Seeds, GridOracle, ::testing::Range(0, 10));

TEST(MethodsAgree, FourInputNets) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> g(0.0, 1.0);
  int decided = 0;
  for (int k = 0; k < 8; ++k) {
    const Network net = test::random_float_network(rng, {4, 12, 12, 3});
    const ReluChain chain = to_relu_chain(net);
    const Box box{Vector::Constant(4, -0.5), Vector::Constant(4, 0.5)};
    // Conjunction of two constraints, threshold near the attack's best value so both answers occur.
    Vector a1{{g(rng), g(rng), g(rng)}}, a2{{g(rng), g(rng), g(rng)}};
    Matrix X = Matrix::Random(4, 20000) * 0.5;
    const Matrix Y = evaluate(net, X);
    const Vector f1 = (a1.transpose() * Y).transpose();
    const double t1 = f1.minCoeff() + (k % 2 ? 0.05 : -0.3);
    Property p;
    p.name = "conj";
    p.cases.push_back({box, {{OutputConstraint{a1, t1}, OutputConstraint{a2, 1e3}}}});
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    BabOptions bi, br;
    bi.mode = SplitMode::Input;
    br.mode = SplitMode::Relu;
    bi.deadline = br.deadline = deadline;
    const BabResult ri = bab(net, chain, p, 0, 0, bi), rr = bab(net, chain, p, 0, 0, br);
    const MilpCheck mg = milp_check(net, chain, p, 0, 0, MilpBackend::Glpk, deadline, 1);
    const MilpCheck mc = milp_check(net, chain, p, 0, 0, MilpBackend::Cbc, deadline, 2);
    ASSERT_NE(ri.status, BabStatus::Unknown);
    ASSERT_NE(rr.status, BabStatus::Unknown);
    ASSERT_NE(mg.verdict, MilpVerdict::Unknown);
    ASSERT_NE(mc.verdict, MilpVerdict::Unknown);
    const bool holds = ri.status == BabStatus::Verified;
    EXPECT_EQ(rr.status == BabStatus::Verified, holds) << k;
    EXPECT_EQ(mg.verdict == MilpVerdict::Verified, holds) << k;
    EXPECT_EQ(mc.verdict == MilpVerdict::Verified, holds) << k;
    decided += holds ? 1 : 100;
  }
  // Both answers occurred (the test can tell the methods apart).
  EXPECT_GT(decided % 100, 0);
  EXPECT_GT(decided / 100, 0);
}

TEST(Attack, FindsEasyViolationAndReplays) {
  std::mt19937_64 rng(5);
  const Network net = test::random_float_network(rng, {3, 10, 2});
  const Box box{Vector::Constant(3, -1.0), Vector::Constant(3, 1.0)};
  const Vector y0 = evaluate(net, box.center());
  const Vector a{{1.0, 0.0}};
  const Property p = threshold_property(box, a, y0[0] + 1e-3);  // the centre itself is unsafe
  const auto cex = attack(net, to_relu_chain(net), p, AttackOptions{});
  ASSERT_TRUE(cex);
  EXPECT_LE(evaluate(net, cex->x)[0], y0[0] + 1e-3);
}

TEST(Verifier, RobustnessOfATrainedLikeNet) {
  // Local robustness on a 2-class problem with a tiny radius holds at a point with a large margin.
  std::mt19937_64 rng(9);
  const Network net = test::random_float_network(rng, {6, 16, 16, 3});
  Vector x0 = Vector::Constant(6, 0.5);
  const Vector y = evaluate(net, x0);
  const int label = static_cast<int>(argmax_first(y));
  VerifyOptions vo;
  vo.timeout_s = 20;
  const VerifyResult small = verify(net, local_robustness(x0, 1e-4, label, 3), vo);
  EXPECT_EQ(small.verdict, Verdict::Verified);
  const VerifyResult large = verify(net, local_robustness(x0, 0.5, label, 3), vo);
  EXPECT_NE(large.verdict, Verdict::Unknown);
  if (large.verdict == Verdict::Falsified) {
    EXPECT_NE(argmax_first(evaluate(net, large.counterexample->x)), label);
  }
}

}  // namespace
}  // namespace nncert
