// Batched DeepPoly against two oracles: deeppoly() run on each box alone (same bounds up to the
// summation order of the products), and 10^4 concrete points per box inside every bound;
// alpha-CROWN's spec bounds never looser than DeepPoly's, sound on the same points, tighter
// somewhere (the gradient works), and a warm start from the returned slopes loses nothing.
#include "certifier/verify/deeppoly_batch.hpp"
#include "tests/core/random_nets.hpp"

#include <gtest/gtest.h>

#include <random>

namespace nncert {
namespace {

// Sub-boxes of a parent box as input splitting makes them (halvings along random dimensions),
// plus a few unrelated boxes: the batch mixes deep and shallow domains.
std::vector<Box> domains(std::mt19937_64& rng, const Box& parent, int n) {
  std::uniform_int_distribution<Eigen::Index> dim(0, parent.lo.size() - 1);
  std::uniform_int_distribution<int> depth(0, 6), side(0, 1);
  std::vector<Box> out;
  for (int k = 0; k < n; ++k) {
    Box b = parent;
    for (int s = depth(rng); s > 0; --s) {
      const Eigen::Index i = dim(rng);
      const double mid = (b.lo[i] + b.hi[i]) / 2;
      (side(rng) ? b.lo[i] : b.hi[i]) = mid;
    }
    out.push_back(b);
  }
  return out;
}

double tol(double v) { return 1e-9 * (1 + std::abs(v)); }

class BatchEqualsSingle : public ::testing::TestWithParam<int> {};

TEST_P(BatchEqualsSingle, SameBoundsAsOneAtATime) {
  const int seed = GetParam();
  std::mt19937_64 rng(static_cast<std::uint64_t>(seed) + 500);
  const std::vector<std::vector<int>> shapes{{5, 20, 20, 20, 5}, {2, 8, 8, 2}, {3, 16, 3}, {12, 30, 30, 4}, {4, 6}};
  const auto& widths = shapes[static_cast<std::size_t>(seed) % shapes.size()];
  const Network net = test::random_float_network(rng, widths);
  const ReluChain chain = to_relu_chain(net);
  std::normal_distribution<double> g(0.0, 1.0);
  const Box parent{Vector::Constant(widths[0], -0.6), Vector::Constant(widths[0], 0.4)};
  const std::vector<Box> boxes = domains(rng, parent, 37);
  DeepPolySpec spec{Matrix::NullaryExpr(4, widths.back(), [&] { return g(rng); }),
                    Vector::NullaryExpr(4, [&] { return g(rng); })};
  const auto batch = deeppoly_batch(chain, boxes, &spec);
  ASSERT_EQ(batch.size(), boxes.size());
  int unstable = 0;
  for (std::size_t b = 0; b < boxes.size(); ++b) {
    const DeepPolyResult one = deeppoly(chain, boxes[b], &spec);
    ASSERT_EQ(batch[b].infeasible, one.infeasible);
    ASSERT_EQ(batch[b].pre.size(), one.pre.size());
    for (std::size_t l = 0; l < one.pre.size(); ++l)
      for (Eigen::Index i = 0; i < one.pre[l].lo.size(); ++i) {
        EXPECT_NEAR(batch[b].pre[l].lo[i], one.pre[l].lo[i], tol(one.pre[l].lo[i])) << b << " " << l << " " << i;
        EXPECT_NEAR(batch[b].pre[l].hi[i], one.pre[l].hi[i], tol(one.pre[l].hi[i])) << b << " " << l << " " << i;
        unstable += l + 1 < one.pre.size() && one.pre[l].lo[i] < 0 && one.pre[l].hi[i] > 0;
      }
    for (Eigen::Index r = 0; r < spec.C.rows(); ++r)
      EXPECT_NEAR(batch[b].spec_lo[r], one.spec_lo[r], tol(one.spec_lo[r])) << b << " row " << r;
  }
  // The comparison exercised the relaxation, not only stable neurons (one-layer nets have none).
  if (widths.size() > 2) {
    EXPECT_GT(unstable, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, BatchEqualsSingle, ::testing::Range(0, 10));

// 10^4 points of the box (a fifth of the coordinates on a face, where bounds are tight).
Matrix sample(std::mt19937_64& rng, const Box& box) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Matrix X(box.lo.size(), 10000);
  for (Eigen::Index s = 0; s < X.cols(); ++s)
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
      const double t = u(rng);
      X(i, s) = box.lo[i] + (t < 0.1 ? 0.0 : t < 0.2 ? 1.0 : u(rng)) * (box.hi[i] - box.lo[i]);
    }
  return X;
}

// Every spec bound of `r` is below C y + d at every point, and so is its recorded linear bound.
void expect_spec_sound(const Network& net, const DeepPolySpec& spec, const DeepPolyResult& r, const Matrix& X) {
  const Matrix S = (spec.C * evaluate(net, X)).colwise() + spec.d;
  for (Eigen::Index row = 0; row < S.rows(); ++row) {
    EXPECT_LE(r.spec_lo[row], S.row(row).minCoeff() + 1e-9) << "row " << row;
    const Vector lin = (r.spec_x_coef.row(row) * X).transpose().array() + r.spec_x_const[row];
    EXPECT_TRUE(((lin - S.row(row).transpose()).array() <= 1e-9).all()) << "row " << row;
  }
}

TEST(DeepPolyBatch, SampledPointsInsideEveryBound) {
  std::mt19937_64 rng(77);
  const Network net = test::random_float_network(rng, {5, 24, 24, 24, 5});
  const ReluChain chain = to_relu_chain(net);
  std::normal_distribution<double> g(0.0, 1.0);
  const Box parent{Vector::Constant(5, -1.0), Vector::Constant(5, 1.0)};
  const std::vector<Box> boxes = domains(rng, parent, 6);
  DeepPolySpec spec{Matrix::NullaryExpr(3, 5, [&] { return g(rng); }), Vector::NullaryExpr(3, [&] { return g(rng); })};
  const auto batch = deeppoly_batch(chain, boxes, &spec);
  for (std::size_t b = 0; b < boxes.size(); ++b) {
    const Matrix X = sample(rng, boxes[b]);
    Matrix a = X;
    for (std::size_t l = 0; l < chain.depth(); ++l) {
      const Matrix z = (chain.layers[l].W * a).colwise() + chain.layers[l].b;
      for (Eigen::Index i = 0; i < z.rows(); ++i) {
        ASSERT_LE(batch[b].pre[l].lo[i], z.row(i).minCoeff()) << b << " " << l << " " << i;
        ASSERT_GE(batch[b].pre[l].hi[i], z.row(i).maxCoeff()) << b << " " << l << " " << i;
      }
      a = z.cwiseMax(0.0);
    }
    expect_spec_sound(net, spec, batch[b], X);
  }
}

TEST(AlphaCrown, NeverLooserThanDeepPolyAndSound) {
  std::mt19937_64 rng(91);
  double gain = 0;
  for (int k = 0; k < 4; ++k) {
    const Network net = test::random_float_network(rng, {5, 20, 20, 20, 4});
    const ReluChain chain = to_relu_chain(net);
    std::normal_distribution<double> g(0.0, 1.0);
    const Box parent{Vector::Constant(5, -0.5), Vector::Constant(5, 0.5)};
    const std::vector<Box> boxes = domains(rng, parent, 8);
    DeepPolySpec spec{Matrix::NullaryExpr(3, 4, [&] { return g(rng); }), Vector::NullaryExpr(3, [&] { return g(rng); })};
    AlphaCrown ac;
    ac.steps = 10;
    const auto opt = deeppoly_batch(chain, boxes, &spec, &ac);
    ASSERT_EQ(ac.slopes.size(), boxes.size());
    AlphaCrown again = ac;  // warm start from the slopes just found
    const auto warm = deeppoly_batch(chain, boxes, &spec, &again);
    for (std::size_t b = 0; b < boxes.size(); ++b) {
      const DeepPolyResult dp = deeppoly(chain, boxes[b], &spec);
      for (Eigen::Index r = 0; r < spec.C.rows(); ++r) {
        EXPECT_GE(opt[b].spec_lo[r], dp.spec_lo[r] - tol(dp.spec_lo[r])) << k << " " << b << " " << r;
        gain += opt[b].spec_lo[r] - dp.spec_lo[r];
      }
      EXPECT_GE(warm[b].spec_lo.maxCoeff(), opt[b].spec_lo.maxCoeff() - 1e-5 * (1 + std::abs(opt[b].spec_lo.maxCoeff()))) << k << " " << b;
      const Matrix X = sample(rng, boxes[b]);
      expect_spec_sound(net, spec, opt[b], X);
      expect_spec_sound(net, spec, warm[b], X);
    }
  }
  EXPECT_GT(gain, 0);  // the optimisation tightened some bound
}

}  // namespace
}  // namespace nncert
