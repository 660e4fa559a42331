// The least output shift that repairs a counterexample, against brute force over a grid of
// shifts (two outputs), the CEGIS paper's closed forms for its P1 and P2, and the sampler's
// promise that every kept point satisfies pre and post.
#include "certifier/repair/output_repair.hpp"
#include "certifier/repair/sampling.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

namespace nncert {
namespace {

LinearProperty parse(const std::string& text, std::size_t inputs, std::size_t outputs) {
  return linear_property_from_vnnlib(parse_vnnlib(text, "t.vnnlib", inputs, outputs), "t.vnnlib");
}

const std::string kOneInput = "(declare-const X_0 Real) (assert (<= 0 X_0)) (assert (<= X_0 1))\n";

// Random unsafe regions over two outputs: 1-3 cases, each a conjunction of 1-2 atoms.
std::string random_region(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(-1, 1);
  std::uniform_int_distribution<int> cases(1, 3), atoms(1, 2);
  std::string s = "(declare-const Y_0 Real) (declare-const Y_1 Real)\n(assert (or";
  const int nc = cases(rng);
  for (int c = 0; c < nc; ++c) {
    s += " (and";
    const int na = atoms(rng);
    for (int a = 0; a < na; ++a)
      s += " (<= (+ (* " + std::to_string(u(rng)) + " Y_0) (* " + std::to_string(u(rng)) + " Y_1)) " +
           std::to_string(u(rng)) + ")";
    s += ")";
  }
  return s + "))";
}

TEST(OutputRepair, IsTheLeastShiftOnAGrid) {
  std::mt19937_64 rng(7);
  int compared = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const LinearProperty p = parse(kOneInput + random_region(rng), 1, 2);
    const Vector x = Vector::Constant(1, 0.5);
    std::uniform_real_distribution<double> u(-1, 1);
    Assignment a{{x}, {Vector(Vector::NullaryExpr(2, [&] { return u(rng); }))}};
    const OutputRepairOptions opts{1e-3, 4096};
    const auto r = repair_outputs(p, a, opts);
    // Brute force: every grid shift whose result is outside every case by the margin.
    struct Row { double a0, a1, need; };  // a0 * s0 + a1 * s1 >= need escapes the atom
    std::vector<std::vector<Row>> cases;
    for (const LinearCase& c : p.cases) {
      std::vector<Row> rows;
      for (const LinearAtom& atom : c.outputs) {
        Row row{0, 0, atom.rhs + opts.margin - lhs(atom, a)};
        for (const auto& [v, coef] : atom.terms) (v.index == 0 ? row.a0 : row.a1) += coef;
        rows.push_back(row);
      }
      cases.push_back(rows);
    }
    const double R = 3, h = 0.01;
    double best = std::numeric_limits<double>::infinity();
    for (double s0 = -R; s0 <= R; s0 += h)
      for (double s1 = -R; s1 <= R; s1 += h) {
        bool ok = true;
        for (const auto& rows : cases) {
          bool escaped = false;
          for (const Row& row : rows) escaped |= row.a0 * s0 + row.a1 * s1 >= row.need;
          ok = ok && escaped;
        }
        if (ok) best = std::min(best, s0 * s0 + s1 * s1);
      }
    if (!r) {
      EXPECT_FALSE(std::isfinite(best)) << "trial " << trial << ": the grid found a repair the QP missed";
      continue;
    }
    EXPECT_FALSE(violated_case(p, Assignment{{x}, r->y})) << "trial " << trial;
    if (!std::isfinite(best)) continue;  // the optimum lies beyond the grid's range
    ++compared;
    EXPECT_LE(r->cost, best + 1e-9) << "trial " << trial;  // never worse than any grid point
    // The grid gets close (a thin wedge of the feasible set may hide the grid points nearest the
    // optimum; 5 grid steps is enough for these random instances).
    const double d = 5 * h;
    EXPECT_GE(r->cost, best - 2 * std::sqrt(best) * d - d * d) << "trial " << trial;
    // The repaired outputs leave every case by the margin, as asked.
    for (const LinearCase& c : p.cases) {
      double escape = -1e300;
      for (const LinearAtom& atom : c.outputs) escape = std::max(escape, lhs(atom, Assignment{{x}, r->y}) - atom.rhs);
      EXPECT_GE(escape, opts.margin - 1e-7) << "trial " << trial;
    }
  }
  EXPECT_GT(compared, 30);
}

// P1 of the paper on 4 outputs: unsafe when y_1 >= y_j + 1e-4 for some j (mop = 1).
TEST(OutputRepair, MatchesThePapersClosedFormForP1) {
  std::string text = kOneInput;
  for (int j = 0; j < 4; ++j) text += "(declare-const Y_" + std::to_string(j) + " Real)\n";
  text += "(assert (or";
  for (int j : {0, 2, 3}) text += " (>= (- Y_1 Y_" + std::to_string(j) + ") 0.0001)";
  text += "))";
  const LinearProperty p = parse(text, 1, 4);
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.2, 1.0);
  for (int trial = 0; trial < 50; ++trial) {
    Assignment a{{Vector::Constant(1, 0.3)}, {Vector(Vector::NullaryExpr(4, [&] { return u(rng); }))}};
    const Vector y = a.y[0];
    // Closed form (water filling): mop and the outputs below the common level t meet at t, where
    // t is the mean of y_mop and exactly those outputs below it.
    std::vector<int> S;
    for (int j : {0, 2, 3})
      if (y[j] < y[1]) S.push_back(j);
    double t = y[1];
    for (;;) {
      double sum = y[1];
      for (int j : S) sum += y[j];
      t = sum / (1.0 + static_cast<double>(S.size()));
      std::vector<int> below;
      for (int j : S)
        if (y[j] < t) below.push_back(j);
      if (below.size() == S.size()) break;
      S = below;
    }
    Vector expect = y;
    expect[1] = t;
    for (int j : S) expect[j] = t;
    const auto r = repair_outputs(p, a, {1e-4, 4096});  // margin 1e-4: repaired to y_1 <= y_j exactly
    ASSERT_TRUE(r);
    EXPECT_LE((r->y[0] - expect).cwiseAbs().maxCoeff(), 1e-6) << "trial " << trial;
  }
}

// P2: unsafe when y_1 >= y'_1 + 1e-4; both move to the midpoint.
TEST(OutputRepair, MatchesThePapersClosedFormForP2) {
  const LinearProperty p = parse(kOneInput + "(declare-const Xp_0 Real) (assert (<= 0 Xp_0)) (assert (<= Xp_0 1))"
                                             "(declare-const Y_0 Real) (declare-const Y_1 Real)"
                                             "(declare-const Yp_0 Real) (declare-const Yp_1 Real)"
                                             "(assert (>= (- Y_1 Yp_1) 0.0001))",
                                 1, 2);
  Assignment a{{Vector::Constant(1, 0.1), Vector::Constant(1, 0.2)}, {Vector{{0.5, 0.9}}, Vector{{0.4, 0.3}}}};
  const auto r = repair_outputs(p, a, {1e-4, 4096});
  ASSERT_TRUE(r);
  EXPECT_NEAR(r->y[0][1], 0.6, 1e-7);
  EXPECT_NEAR(r->y[1][1], 0.6, 1e-7);
  EXPECT_DOUBLE_EQ(r->y[0][0], 0.5);
  EXPECT_DOUBLE_EQ(r->y[1][0], 0.4);
}

TEST(OutputRepair, SaysWhenNothingCanRepair) {
  // Unsafe: y_0 <= 1 or y_0 >= 0 (every y_0): no output satisfies the postcondition.
  const LinearProperty p = parse(kOneInput + "(declare-const Y_0 Real) (assert (or (<= Y_0 1) (>= Y_0 0)))", 1, 1);
  EXPECT_FALSE(repair_outputs(p, Assignment{{Vector::Constant(1, 0.5)}, {Vector::Constant(1, 0.5)}}));
}

TEST(Sampling, KeepsOnlyPointsThatSatisfyPreAndPost) {
  // Pre: X_0 <= 0.5 (of [0, 1]); unsafe: Y_0 >= 0.
  const LinearProperty p = parse("(declare-const X_0 Real) (declare-const X_1 Int) (declare-const Y_0 Real)"
                                 "(assert (<= 0 X_0)) (assert (<= X_0 0.5)) (assert (<= 0 X_1)) (assert (<= X_1 1))"
                                 "(assert (>= Y_0 0))",
                                 2, 1);
  std::mt19937_64 rng(1);
  const Assignment repaired{{Vector{{0.45, 1.0}}}, {Vector::Constant(1, -0.05)}};
  const auto kept = sample_around(p, property_domain(p), repaired, {400, 0.1, 0.1}, rng);
  EXPECT_GT(kept.size(), 50u);
  EXPECT_LT(kept.size(), 400u);  // noise pushes some outputs into the unsafe region: dropped
  for (const Assignment& s : kept) {
    EXPECT_TRUE(in_precondition(p, p.cases[0], s.x));
    EXPECT_LT(s.y[0][0], 0.0);
    EXPECT_EQ(s.x[0][1], 1.0);  // integer inputs are never perturbed
  }
}

}  // namespace
}  // namespace nncert
