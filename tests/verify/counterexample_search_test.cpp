// nncert's VNN-LIB superset (Int inputs, a second copy Xp/Yp) and the complete counterexample
// search of the repair loop, against independent oracles: a dense grid over 1-2 inputs (and all
// 0/1 patterns) plus a Lipschitz bound decides each property; every counterexample replays.
#include "certifier/core/error.hpp"
#include "certifier/verify/counterexample_search.hpp"
#include "certifier/verify/relu_chain.hpp"
#include "tests/core/random_nets.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

namespace nncert {
namespace {

LinearProperty parse(const std::string& text, std::size_t inputs, std::size_t outputs) {
  return linear_property_from_vnnlib(parse_vnnlib(text, "test.vnnlib", inputs, outputs), "test.vnnlib");
}

TEST(LinearProperty, ReadsIntInputsAndASecondCopy) {
  const LinearProperty p = parse(R"(
    (declare-const X_0 Real) (declare-const X_1 Int) (declare-const Y_0 Real)
    (declare-const Xp_0 Real) (declare-const Xp_1 Int) (declare-const Yp_0 Real)
    (assert (<= 0 X_0)) (assert (<= X_0 0.25)) (assert (<= -0.5 X_1)) (assert (<= X_1 1.5))
    (assert (<= 0 Xp_0)) (assert (<= Xp_0 1)) (assert (<= 0 Xp_1)) (assert (<= Xp_1 1))
    (assert (<= (+ X_0 Xp_0) 1))
    (assert (>= (- Y_0 Yp_0) 0.001)))",
                                 2, 1);
  ASSERT_EQ(p.copies, 2u);
  EXPECT_FALSE(p.integer[0][0]);
  EXPECT_TRUE(p.integer[0][1]);
  EXPECT_TRUE(p.integer[1][1]);
  ASSERT_EQ(p.cases.size(), 1u);
  const LinearCase& c = p.cases[0];
  EXPECT_EQ(c.box[0].lo[1], 0.0);  // integer bounds round inward
  EXPECT_EQ(c.box[0].hi[1], 1.0);
  EXPECT_EQ(c.box[0].hi[0], 0.25);
  ASSERT_EQ(c.inputs.size(), 1u);
  ASSERT_EQ(c.outputs.size(), 1u);
  // Y_0 - Yp_0 >= 0.001 is stored as Yp_0 - Y_0 <= -0.001.
  EXPECT_DOUBLE_EQ(c.outputs[0].rhs, -0.001);
}

TEST(LinearProperty, RejectsWhatIsOutsideTheSuperset) {
  const std::string decl = "(declare-const X_0 Real) (declare-const Y_0 Real) (assert (<= 0 X_0)) (assert (<= X_0 1))";
  EXPECT_THROW(parse(decl + "(declare-const Y_1 Int)", 1, 2), InputError);          // Int output
  EXPECT_THROW(parse(decl + "(declare-const X_3 Real) (assert (<= Y_0 0))", 1, 1), InputError);  // beyond net
  EXPECT_THROW(parse("(declare-const X_0 Int) (declare-const Y_0 Real) (assert (<= 0.2 X_0)) (assert (<= X_0 0.8))"
                     "(assert (<= Y_0 0))",
                     1, 1),
               InputError);  // no integer in [0.2, 0.8]
  // The plain float verifiers refuse the superset's extras with a clear message.
  const VnnlibSpec two = parse_vnnlib(decl + "(declare-const Xp_0 Real) (declare-const Yp_0 Real)"
                                             "(assert (<= 0 Xp_0)) (assert (<= Xp_0 1)) (assert (<= Y_0 Yp_0))",
                                      "two.vnnlib");
  EXPECT_THROW(property_from_vnnlib(two, "two.vnnlib"), InputError);
}

// A tiny random network on n inputs.
Network tiny_net(std::uint64_t seed, int inputs, int outputs) {
  std::mt19937_64 rng(seed);
  return test::random_float_network(rng, {inputs, 6, 5, outputs});
}

// max over a dense grid of the case margin; the Lipschitz bound says how far the grid can miss.
struct GridOracle {
  bool violated = false;  // some grid point is a counterexample
  bool safe = false;      // every point is at least the Lipschitz slack away from the region
};

double lipschitz(const ReluChain& chain) {
  double k = 1;
  for (const Dense& d : chain.layers) k *= d.W.cwiseAbs().rowwise().sum().maxCoeff();
  return k;
}

// y_0 >= t (one copy, input in [-1, 1]^n) or y_0(x) - y_0(x') >= t (two copies).
GridOracle grid_oracle(const Network& net, int n, bool two_copies, double t) {
  const ReluChain chain = to_relu_chain(net);
  const int steps = two_copies ? 60 : 400;
  const double h = 2.0 / steps;
  // Grid spacing h in each input: any point is within h/2 (L-inf) of a grid point.
  const double slack = lipschitz(chain) * h / 2 * (two_copies ? 2 : 1);
  GridOracle o{false, true};
  std::vector<Vector> pts;
  for (int i = 0; i <= steps; ++i)
    for (int j = 0; j <= (n > 1 ? steps : 0); ++j) {
      Vector x(n);
      x[0] = -1 + i * h;
      if (n > 1) x[1] = -1 + j * h;
      pts.push_back(x);
    }
  std::vector<double> y;
  for (const Vector& x : pts) y.push_back(evaluate(net, x)[0]);
  if (!two_copies) {
    for (double v : y) {
      o.violated |= v >= t;
      o.safe = o.safe && v < t - slack;
    }
  } else {
    const double hi = *std::max_element(y.begin(), y.end()), lo = *std::min_element(y.begin(), y.end());
    o.violated = hi - lo >= t;
    o.safe = hi - lo < t - slack;
  }
  return o;
}

std::string box_decl(const std::string& x, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    const std::string v = x + std::to_string(i);
    s += "(declare-const " + v + " Real) (assert (<= -1 " + v + ")) (assert (<= " + v + " 1))\n";
  }
  return s;
}

// x<from> .. x<to> declared Int in {0, 1}.
std::string binary_decl(const std::string& x, int from, int to) {
  std::string s;
  for (int i = from; i <= to; ++i) {
    const std::string v = x + std::to_string(i);
    s += "(declare-const " + v + " Int) (assert (<= 0 " + v + ")) (assert (<= " + v + " 1))\n";
  }
  return s;
}

void expect_consistent(const Network& net, const LinearProperty& p, const GridOracle& o, const std::string& what) {
  for (bool attack : {true, false}) {
    SearchOptions so;
    so.max_counterexamples = 5;
    so.attack = attack;
    so.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    const SearchResult r = find_counterexamples(net, p, so);
    ASSERT_NE(r.verdict, Verdict::Unknown) << what << ": " << r.detail;
    if (o.violated) {
      EXPECT_EQ(r.verdict, Verdict::Falsified) << what;
    }
    if (o.safe) {
      EXPECT_EQ(r.verdict, Verdict::Verified) << what;
    }
    for (const LinearCounterexample& c : r.counterexamples) {
      // Independent replay: the concrete network's outputs reach the case's region.
      const Assignment a = evaluate_copies(net, c.point.x);
      EXPECT_TRUE(violated_case(p, a)) << what;
    }
  }
}

TEST(CounterexampleSearch, MatchesAGridOracleOnOneCopy) {
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    const int n = 1 + static_cast<int>(seed % 2);
    const Network net = tiny_net(seed, n, 2);
    const ReluChain chain = to_relu_chain(net);
    // A threshold between the grid's middle and its maximum: some properties hold, some do not.
    double hi = -1e300;
    for (int i = 0; i <= 200; ++i) {
      Vector x = Vector::Constant(n, -1 + i * 0.01);
      hi = std::max(hi, evaluate(net, x)[0]);
    }
    const double t = hi + (seed % 3 == 0 ? -0.05 : 0.3);
    const std::string text = box_decl("X_", n) + "(declare-const Y_0 Real) (declare-const Y_1 Real)" +
                             "(assert (>= Y_0 " + std::to_string(t) + "))";
    const LinearProperty p = parse(text, n, 2);
    expect_consistent(net, p, grid_oracle(net, n, false, t), "seed " + std::to_string(seed));
  }
}

TEST(CounterexampleSearch, MatchesAGridOracleOnTwoCopies) {
  for (std::uint64_t seed = 20; seed <= 27; ++seed) {
    const Network net = tiny_net(seed, 1, 1);
    double lo = 1e300, hi = -1e300;
    for (int i = 0; i <= 200; ++i) {
      const double v = evaluate(net, Vector(Vector::Constant(1, -1 + i * 0.01)))[0];
      lo = std::min(lo, v), hi = std::max(hi, v);
    }
    const double t = (hi - lo) * (seed % 2 ? 0.5 : 1.3) + 1e-3;
    const std::string text = box_decl("X_", 1) + box_decl("Xp_", 1) +
                             "(declare-const Y_0 Real) (declare-const Yp_0 Real)"
                             "(assert (>= (- Y_0 Yp_0) " + std::to_string(t) + "))";
    const LinearProperty p = parse(text, 1, 1);
    const GridOracle o = grid_oracle(net, 1, true, t);
    expect_consistent(net, p, o, "seed " + std::to_string(seed));
  }
}

TEST(CounterexampleSearch, IntegerInputsTakeOnlyIntegersAndGiveDistinctPatterns) {
  // Input 0 continuous in [-1, 1], inputs 1..3 binary: the oracle enumerates the 8 patterns.
  const Network net = tiny_net(40, 4, 1);
  const std::string text = box_decl("X_", 1) + binary_decl("X_", 1, 3);
  double hi = -1e300;
  for (int pattern = 0; pattern < 8; ++pattern)
    for (int i = 0; i <= 400; ++i) {
      Vector x(4);
      x << -1 + i * 0.005, pattern & 1, (pattern >> 1) & 1, (pattern >> 2) & 1;
      hi = std::max(hi, evaluate(net, x)[0]);
    }
  const LinearProperty p = parse(text + "(declare-const Y_0 Real) (assert (>= Y_0 " + std::to_string(hi - 0.5) + "))", 4, 1);
  SearchOptions so;
  so.max_counterexamples = 50;
  so.attack = false;  // the MILP alone, with its no-good cuts
  const SearchResult r = find_counterexamples(net, p, so);
  ASSERT_EQ(r.verdict, Verdict::Falsified);
  std::set<std::vector<int>> patterns;
  for (const LinearCounterexample& c : r.counterexamples) {
    std::vector<int> pat;
    for (int i = 1; i <= 3; ++i) {
      const double v = c.point.x[0][i];
      EXPECT_TRUE(v == 0.0 || v == 1.0) << v;
      pat.push_back(static_cast<int>(v));
    }
    patterns.insert(pat);
    EXPECT_TRUE(violated_case(p, evaluate_copies(net, c.point.x)));
  }
  EXPECT_GT(patterns.size(), 1u) << "no-good cuts should give more than one 0/1 pattern";
}

// Splitting the integer inputs (BaB on the parts, exact once all are fixed) and the whole-box
// MILP decide the same properties, and both agree with enumerating every 0/1 pattern on a grid.
TEST(CounterexampleSearch, IntegerSplitAgreesWithTheMilpAndEnumeration) {
  std::size_t proved_by_split = 0, falsified = 0;
  for (std::uint64_t seed = 0; seed < 12; ++seed) {
    const Network net = tiny_net(100 + seed, 5, 1);  // X_0 continuous in [-1, 1], X_1..X_4 binary
    const std::string text = box_decl("X_", 1) + binary_decl("X_", 1, 4);
    const int steps = 400;
    const double slack = lipschitz(to_relu_chain(net)) / steps;
    double hi = -1e300;
    for (int pattern = 0; pattern < 16; ++pattern)
      for (int i = 0; i <= steps; ++i) {
        Vector x(5);
        x << -1 + i * 2.0 / steps, pattern & 1, (pattern >> 1) & 1, (pattern >> 2) & 1, (pattern >> 3) & 1;
        hi = std::max(hi, evaluate(net, x)[0]);
      }
    // Above the maximum by more than the grid can miss (holds), or below it (fails).
    const double t = seed % 2 ? hi + slack + 0.01 : hi - 0.05;
    const LinearProperty p = parse(text + "(declare-const Y_0 Real) (assert (>= Y_0 " + std::to_string(t) + "))", 5, 1);
    for (bool split : {true, false}) {
      SearchOptions so;
      so.max_counterexamples = 3;
      so.attack = false;
      so.relaxed_bab_seconds = 0;  // straight to the case's complete check
      so.whole_box_share = split ? 0 : 1;
      so.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      const SearchResult r = find_counterexamples(net, p, so);
      const std::string what = "seed " + std::to_string(seed) + (split ? " split" : " milp") + ": " + r.detail;
      if (seed % 2) {
        EXPECT_NE(r.verdict, Verdict::Falsified) << what;
        proved_by_split += split && r.verdict == Verdict::Verified && r.detail.find("split") != std::string::npos;
      } else {
        EXPECT_NE(r.verdict, Verdict::Verified) << what;
        falsified += r.verdict == Verdict::Falsified;
      }
      for (const LinearCounterexample& c : r.counterexamples) {
        for (int i = 1; i <= 4; ++i) EXPECT_TRUE(c.point.x[0][i] == 0.0 || c.point.x[0][i] == 1.0) << what;
        EXPECT_TRUE(violated_case(p, evaluate_copies(net, c.point.x))) << what;
      }
    }
  }
  EXPECT_GT(proved_by_split, 0u) << "no property was proved by the integer split";
  EXPECT_GT(falsified, 0u);
}

// Two copies linked by one output atom (y0(x) - y0(x') >= t): separating the copies into two
// one-copy searches and the two-copy MILP decide alike, and agree with enumeration (max - min
// over every 0/1 pattern on a grid).
TEST(CounterexampleSearch, SeparatedCopiesAgreeWithTheTwoCopyMilpAndEnumeration) {
  std::size_t separated = 0, falsified = 0;
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    const Network net = tiny_net(200 + seed, 3, 1);  // X_0 continuous in [-1, 1], X_1, X_2 binary
    std::string text;
    for (const std::string x : {"X_", "Xp_"}) text += box_decl(x, 1) + binary_decl(x, 1, 2);
    const int steps = 400;
    const double slack = 2 * lipschitz(to_relu_chain(net)) / steps;
    double hi = -1e300, lo = 1e300;
    for (int pattern = 0; pattern < 4; ++pattern)
      for (int i = 0; i <= steps; ++i) {
        const double y = evaluate(net, Vector{{-1 + i * 2.0 / steps, double(pattern & 1), double(pattern >> 1)}})[0];
        hi = std::max(hi, y), lo = std::min(lo, y);
      }
    const double t = seed % 2 ? hi - lo + slack + 0.01 : hi - lo - 0.05;
    const LinearProperty p = parse(text + "(declare-const Y_0 Real) (declare-const Yp_0 Real)(assert (>= (- Y_0 Yp_0) " +
                                       std::to_string(t) + "))",
                                   3, 1);
    for (bool separate : {true, false}) {
      SearchOptions so;
      so.max_counterexamples = 3;
      so.separate_copies = separate;
      so.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      const SearchResult r = find_counterexamples(net, p, so);
      const std::string what = "seed " + std::to_string(seed) + (separate ? " separated" : " milp") + ": " + r.detail;
      if (seed % 2) {
        EXPECT_NE(r.verdict, Verdict::Falsified) << what;
        separated += separate && r.verdict == Verdict::Verified &&
                     r.detail.find("1 by separating the copies") != std::string::npos;
      } else {
        EXPECT_NE(r.verdict, Verdict::Verified) << what;
        falsified += r.verdict == Verdict::Falsified;
      }
      for (const LinearCounterexample& c : r.counterexamples)
        EXPECT_TRUE(violated_case(p, evaluate_copies(net, c.point.x))) << what;
    }
  }
  EXPECT_GT(separated, 0u) << "no property was proved by separating the copies";
  EXPECT_GT(falsified, 0u);
}

TEST(CounterexampleSearch, ChecksDimensions) {
  const Network net = tiny_net(3, 2, 2);
  const LinearProperty p = parse(box_decl("X_", 3) + "(declare-const Y_0 Real) (assert (>= Y_0 0))", 3, 1);
  EXPECT_THROW(find_counterexamples(net, p, {}), InputError);
}

}  // namespace
}  // namespace nncert
