// Soundness of interval and DeepPoly bounds against 10^4 concrete points per box (the oracle is
// plain evaluation), DeepPoly never looser than interval, and bounds under ReLU splits.
#include "certifier/verify/deeppoly.hpp"
#include "certifier/verify/interval.hpp"
#include "tests/core/random_nets.hpp"

#include <gtest/gtest.h>

#include <random>

namespace nncert {
namespace {

// Pre-activations of every layer for the samples in X (one per column), by plain evaluation.
std::vector<Matrix> layer_values(const ReluChain& chain, const Matrix& X) {
  std::vector<Matrix> out;
  Matrix a = X;
  for (const Dense& d : chain.layers) {
    Matrix z = (d.W * a).colwise() + d.b;
    a = z.cwiseMax(0.0);
    out.push_back(std::move(z));
  }
  return out;
}

Matrix sample_box(std::mt19937_64& rng, const Box& box, int n) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const auto d = box.lo.size();
  Matrix X(d, n);
  for (int j = 0; j < n; ++j)
    for (Eigen::Index i = 0; i < d; ++i) {
      // A fifth of the coordinates sit exactly on a face: vertices are where bounds are tight.
      const double t = u(rng);
      const double s = t < 0.1 ? 0.0 : t < 0.2 ? 1.0 : u(rng);
      X(i, j) = box.lo[i] + s * (box.hi[i] - box.lo[i]);
    }
  return X;
}

struct Case {
  std::vector<int> widths;
  double radius;
};

class BoundsSoundness : public ::testing::TestWithParam<int> {};

TEST_P(BoundsSoundness, RandomPointsInsideBoundsAndDeepPolyTighter) {
  const int seed = GetParam();
  std::mt19937_64 rng(static_cast<std::uint64_t>(seed));
  const std::vector<Case> cases{{{2, 6, 6, 2}, 0.5}, {{4, 10, 10, 10, 3}, 0.3}, {{5, 20, 20, 5}, 0.1},
                                {{8, 16, 16, 16, 16, 4}, 1.0}};
  const Case& c = cases[static_cast<std::size_t>(seed) % cases.size()];
  const Network net = test::random_float_network(rng, c.widths);
  const ReluChain chain = to_relu_chain(net);
  std::normal_distribution<double> g(0.0, 1.0);
  const Vector center = Vector::NullaryExpr(c.widths[0], [&] { return g(rng); });
  const Box box{(center.array() - c.radius).matrix(), (center.array() + c.radius).matrix()};

  DeepPolySpec spec{Matrix::NullaryExpr(3, c.widths.back(), [&] { return g(rng); }),
                    Vector::NullaryExpr(3, [&] { return g(rng); })};
  const auto ibp = interval_bounds(chain, box);
  const DeepPolyResult dp = deeppoly(chain, box, &spec);
  ASSERT_FALSE(dp.infeasible);
  ASSERT_EQ(dp.pre.size(), ibp.size());

  const Matrix X = sample_box(rng, box, 10000);
  const auto values = layer_values(chain, X);
  const Matrix Y = evaluate(net, X);  // the concrete, unfolded network
  for (std::size_t l = 0; l < ibp.size(); ++l) {
    for (Eigen::Index i = 0; i < values[l].rows(); ++i) {
      const double lo = values[l].row(i).minCoeff(), hi = values[l].row(i).maxCoeff();
      EXPECT_LE(ibp[l].lo[i], lo) << "layer " << l << " neuron " << i;
      EXPECT_GE(ibp[l].hi[i], hi) << "layer " << l << " neuron " << i;
      EXPECT_LE(dp.pre[l].lo[i], lo) << "layer " << l << " neuron " << i;
      EXPECT_GE(dp.pre[l].hi[i], hi) << "layer " << l << " neuron " << i;
      EXPECT_GE(dp.pre[l].lo[i], ibp[l].lo[i]);
      EXPECT_LE(dp.pre[l].hi[i], ibp[l].hi[i]);
    }
  }
  // Output bounds hold for the unfolded network too (folding is exact up to ~1e-15).
  for (Eigen::Index i = 0; i < Y.rows(); ++i) {
    EXPECT_LE(dp.pre.back().lo[i], Y.row(i).minCoeff() + 1e-9);
    EXPECT_GE(dp.pre.back().hi[i], Y.row(i).maxCoeff() - 1e-9);
  }
  const Matrix S = (spec.C * Y).colwise() + spec.d;
  const Vector spec_ibp = interval_lower(spec.C, spec.d, ibp.back());
  for (Eigen::Index r = 0; r < S.rows(); ++r) {
    EXPECT_LE(dp.spec_lo[r], S.row(r).minCoeff() + 1e-9);
    EXPECT_GE(dp.spec_lo[r], spec_ibp[r]);
    // The recorded input-level linear lower bound is itself valid at every point.
    const Vector lin = (dp.spec_x_coef.row(r) * X).transpose().array() + dp.spec_x_const[r];
    EXPECT_TRUE(((lin - S.row(r).transpose()).array() <= 1e-9).all());
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, BoundsSoundness, ::testing::Range(0, 16));

TEST(DeepPoly, StrictlyTighterThanIntervalOnDeepNets) {
  std::mt19937_64 rng(7);
  double dp_width = 0, ibp_width = 0;
  for (int k = 0; k < 5; ++k) {
    const Network net = test::random_float_network(rng, {6, 30, 30, 30, 4});
    const ReluChain chain = to_relu_chain(net);
    const Box box{Vector::Constant(6, -0.2), Vector::Constant(6, 0.2)};
    const auto ibp = interval_bounds(chain, box);
    const auto dp = deeppoly(chain, box);
    dp_width += (dp.pre.back().hi - dp.pre.back().lo).sum();
    ibp_width += (ibp.back().hi - ibp.back().lo).sum();
  }
  EXPECT_LT(dp_width, 0.9 * ibp_width);
}

TEST(DeepPoly, SplitsRestrictToTheSubdomain) {
  std::mt19937_64 rng(3);
  const Network net = test::random_float_network(rng, {3, 12, 12, 2});
  const ReluChain chain = to_relu_chain(net);
  const Box box{Vector::Constant(3, -1.0), Vector::Constant(3, 1.0)};
  const auto base = deeppoly(chain, box);
  // Split the first unstable neuron of layer 0 both ways; points of each side obey its bounds.
  Eigen::Index j = -1;
  for (Eigen::Index i = 0; i < base.pre[0].lo.size() && j < 0; ++i)
    if (base.pre[0].lo[i] < 0 && base.pre[0].hi[i] > 0) j = i;
  ASSERT_GE(j, 0);
  const Matrix X = sample_box(rng, box, 10000);
  const auto values = layer_values(chain, X);
  for (signed char side : {1, -1}) {
    ReluSplits splits(chain.layers.size() - 1);
    splits[0].assign(static_cast<std::size_t>(chain.layers[0].b.size()), 0);
    splits[0][static_cast<std::size_t>(j)] = side;
    const auto dp = deeppoly(chain, box, nullptr, &splits);
    ASSERT_FALSE(dp.infeasible);
    for (Eigen::Index s = 0; s < X.cols(); ++s) {
      if ((values[0](j, s) >= 0) != (side > 0)) continue;
      for (std::size_t l = 0; l < values.size(); ++l)
        for (Eigen::Index i = 0; i < values[l].rows(); ++i) {
          ASSERT_LE(dp.pre[l].lo[i], values[l](i, s));
          ASSERT_GE(dp.pre[l].hi[i], values[l](i, s));
        }
    }
  }
}

}  // namespace
}  // namespace nncert
