// Float IR: evaluation against a loop-based oracle, BatchNorm/Normalize folding, parameter
// count, first-index argmax.
#include "certifier/core/network.hpp"

#include "certifier/core/overloaded.hpp"
#include "random_nets.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace nncert {
namespace {

// Independent oracle: plain loops over std::vector, no Eigen expressions.
std::vector<double> loop_evaluate(const Network& net, std::vector<double> x) {
  for (const auto& layer : net.layers) {
    std::visit(Overloaded{[&](const Dense& d) {
                            std::vector<double> y(static_cast<std::size_t>(d.W.rows()));
                            for (Eigen::Index r = 0; r < d.W.rows(); ++r) {
                              double s = d.b[r];
                              for (Eigen::Index c = 0; c < d.W.cols(); ++c) s += d.W(r, c) * x[static_cast<std::size_t>(c)];
                              y[static_cast<std::size_t>(r)] = s;
                            }
                            x = y;
                          },
                          [&](const BatchNorm& bn) {
                            for (std::size_t i = 0; i < x.size(); ++i) {
                              const auto k = static_cast<Eigen::Index>(i);
                              x[i] = bn.gamma[k] * (x[i] - bn.mean[k]) / std::sqrt(bn.var[k] + bn.eps) + bn.beta[k];
                            }
                          },
                          [&](const ReLU&) {
                            for (auto& v : x) v = v > 0 ? v : 0;
                          },
                          [&](const Normalize& nz) {
                            for (std::size_t i = 0; i < x.size(); ++i) {
                              const auto k = static_cast<Eigen::Index>(i);
                              x[i] = (x[i] - nz.mean[k]) / nz.std[k];
                            }
                          }},
               layer);
  }
  return x;
}

TEST(Network, BatchedEvaluationMatchesLoopOracle) {
  std::mt19937_64 rng(1);
  for (int trial = 0; trial < 20; ++trial) {
    const Network net = test::random_float_network(rng, {5, 7, 6, 3});
    ASSERT_EQ(check_network(net), "");
    const Matrix X = Matrix::Random(5, 16) * 3;
    const Matrix Y = evaluate(net, X);
    ASSERT_EQ(Y.rows(), 3);
    for (Eigen::Index n = 0; n < X.cols(); ++n) {
      const Vector col = X.col(n);
      const auto expect = loop_evaluate(net, std::vector<double>(col.data(), col.data() + col.size()));
      for (Eigen::Index o = 0; o < 3; ++o)
        EXPECT_NEAR(Y(o, n), expect[static_cast<std::size_t>(o)], 1e-12 * std::max(1.0, std::abs(Y(o, n))));
    }
  }
}

TEST(Network, FoldingLeavesOnlyDenseAndReluAndKeepsOutputs) {
  std::mt19937_64 rng(2);
  for (int trial = 0; trial < 50; ++trial) {
    const Network net = test::random_float_network(rng, {6, 9, 8, 7, 4});
    const Network folded = fold(net);
    ASSERT_EQ(check_network(folded), "");
    for (const auto& layer : folded.layers)
      EXPECT_TRUE(std::holds_alternative<Dense>(layer) || std::holds_alternative<ReLU>(layer)) << layer_kind(layer);
    const Matrix X = Matrix::Random(6, 32) * 4;
    const Matrix a = evaluate(net, X), b = evaluate(folded, X);
    for (Eigen::Index i = 0; i < a.size(); ++i)
      EXPECT_NEAR(a(i), b(i), 1e-12 * std::max(1.0, std::abs(a(i))));
  }
}

TEST(Network, FoldingHandlesDiagonalOnlyRunsAndAdjacentDense) {
  // ReLU, then BN with no Dense after it: the BN must become a diagonal Dense layer.
  Network net{2, {Dense{Matrix{{1, -2}, {3, 4}}, Vector{{0.5, -1}}}, Dense{Matrix{{2, 0}, {1, 1}}, Vector{{0, 1}}},
                  ReLU{}, BatchNorm{Vector{{2, 3}}, Vector{{1, -1}}, Vector{{0.5, 0.25}}, Vector{{4, 1}}, 0.0}}};
  const Network folded = fold(net);
  ASSERT_EQ(folded.layers.size(), 3u);  // Dense (merged), ReLU, Dense (from BN)
  const Matrix X = Matrix::Random(2, 10);
  EXPECT_TRUE(evaluate(net, X).isApprox(evaluate(folded, X), 1e-14));
}

TEST(Network, ParameterCountAndWidths) {
  Network net{784, {Dense{Matrix::Zero(64, 784), Vector::Zero(64)}, ReLU{},
                    BatchNorm{Vector::Ones(64), Vector::Zero(64), Vector::Zero(64), Vector::Ones(64), 1e-5},
                    Dense{Matrix::Zero(10, 64), Vector::Zero(10)}}};
  EXPECT_EQ(parameter_count(net), 784u * 64 + 64 + 2 * 64 + 64 * 10 + 10);
  EXPECT_EQ(layer_widths(net), (std::vector<std::size_t>{784, 64, 64, 64, 10}));
  EXPECT_EQ(output_size(net), 10u);
}

TEST(Network, CheckRejectsBadShapesAndValues) {
  Network net{3, {Dense{Matrix::Zero(2, 4), Vector::Zero(2)}}};
  EXPECT_NE(check_network(net).find("layer 0 (Dense)"), std::string::npos);
  net.layers[0] = Dense{Matrix::Zero(2, 3), Vector::Zero(3)};
  EXPECT_NE(check_network(net).find("bias"), std::string::npos);
  Matrix W = Matrix::Zero(2, 3);
  W(1, 1) = std::nan("");
  net.layers[0] = Dense{W, Vector::Zero(2)};
  EXPECT_NE(check_network(net).find("NaN"), std::string::npos);
  net.layers[0] = Normalize{Vector::Zero(3), Vector::Zero(3)};
  EXPECT_NE(check_network(net).find("std"), std::string::npos);
  net.layers[0] = BatchNorm{Vector::Ones(3), Vector::Zero(3), Vector::Zero(3), -Vector::Ones(3), 0.5};
  EXPECT_NE(check_network(net).find("var"), std::string::npos);
}

TEST(Network, ArgmaxTakesFirstOfTies) {
  EXPECT_EQ(argmax_first(Vector{{1, 3, 3, 2}}), 1);
  EXPECT_EQ(argmax_first(Vector{{5, 5}}), 0);
}

}  // namespace
}  // namespace nncert
