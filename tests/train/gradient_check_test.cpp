// Gradient check (the oracle for backprop): analytic gradients of every layer kind (Dense,
// BatchNorm in train and eval mode, ReLU away from its kink, Normalize) and every loss against
// central finite differences in double; relative error < 1e-6 per tensor.
#include "certifier/train/layer_stack.hpp"
#include "certifier/train/losses.hpp"

#include <gtest/gtest.h>

#include <random>

namespace nncert {
namespace {

Network tiny_net(std::mt19937_64& rng) {
  std::normal_distribution<double> g(0.0, 1.0);
  std::uniform_real_distribution<double> pos(0.5, 1.5);
  auto vec = [&](int n) { return Vector(Vector::NullaryExpr(n, [&] { return g(rng); })); };
  auto posv = [&](int n) { return Vector(Vector::NullaryExpr(n, [&] { return pos(rng); })); };
  auto mat = [&](int r, int c) { return Matrix(Matrix::NullaryExpr(r, c, [&] { return g(rng) / std::sqrt(c); })); };
  Network net{4, {}};
  net.layers.emplace_back(Normalize{vec(4), posv(4)});
  net.layers.emplace_back(Dense{mat(5, 4), vec(5)});
  net.layers.emplace_back(BatchNorm{posv(5), vec(5), vec(5), posv(5), 1e-5});
  net.layers.emplace_back(ReLU{});
  net.layers.emplace_back(Dense{mat(4, 5), vec(4)});
  net.layers.emplace_back(BatchNorm{posv(4), vec(4), vec(4), posv(4), 1e-3});
  net.layers.emplace_back(ReLU{});
  net.layers.emplace_back(Dense{mat(3, 4), vec(3)});
  return net;
}

struct Problem {
  Matrix X;
  std::vector<int> labels;
  Matrix targets;
  Vector class_weights;
  LossKind loss;
  bool train_mode;
};

double loss_of(const Network& net, const Problem& p, Matrix* dX = nullptr, Network* grads = nullptr) {
  Tape tape;
  const Matrix Y = forward(net, p.X, p.train_mode, tape);
  const LossValue l = p.loss == LossKind::CrossEntropy ? cross_entropy(Y, p.labels, p.class_weights)
                                                       : mean_squared_error(Y, p.targets);
  if (grads) {
    const Matrix d = backward(net, tape, l.grad, *grads, dX != nullptr);
    if (dX) *dX = d;
  }
  return l.value;
}

// Smallest |input| of any ReLU: finite differences are only valid away from the kink.
double min_relu_margin(const Network& net, const Problem& p) {
  Tape tape;
  forward(net, p.X, p.train_mode, tape);
  double m = 1e300;
  for (std::size_t i = 0; i < net.layers.size(); ++i)
    if (std::holds_alternative<ReLU>(net.layers[i])) m = std::min(m, tape.inputs[i].cwiseAbs().minCoeff());
  return m;
}

double relative_error(const Eigen::ArrayXd& a, const Eigen::ArrayXd& b) {
  const double scale = std::max(a.matrix().norm() + b.matrix().norm(), 1e-12);
  return (a - b).matrix().norm() / scale;
}

void check(const Problem& p, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Network net = tiny_net(rng);
  ASSERT_GT(min_relu_margin(net, p), 1e-4) << "seed " << seed << " puts a ReLU input on its kink";
  Network grads = zeros_like(net);
  Matrix dX;
  loss_of(net, p, &dX, &grads);
  const double h = 1e-6;
  auto params = parameters(net);
  auto gviews = parameters(grads);
  ASSERT_EQ(params.size(), 10u);  // 3 Dense x (W, b) + 2 BatchNorm x (gamma, beta)
  for (std::size_t t = 0; t < params.size(); ++t) {
    Eigen::ArrayXd numeric(params[t].size);
    for (Eigen::Index k = 0; k < params[t].size; ++k) {
      double& w = params[t].data[k];
      const double saved = w;
      w = saved + h;
      const double up = loss_of(net, p);
      w = saved - h;
      const double down = loss_of(net, p);
      w = saved;
      numeric[k] = (up - down) / (2 * h);
    }
    const Eigen::ArrayXd analytic = gviews[t].values();
    // A bias feeding a train-mode BatchNorm is cancelled by the batch mean: its gradient is
    // exactly zero, so compare absolutely (relative error of rounding noise means nothing).
    const std::size_t layer = params[t].layer;
    const bool bias_before_bn = p.train_mode && !params[t].weights && std::holds_alternative<Dense>(net.layers[layer]) &&
                                layer + 1 < net.layers.size() && std::holds_alternative<BatchNorm>(net.layers[layer + 1]);
    if (bias_before_bn) {
      EXPECT_LT(analytic.abs().maxCoeff(), 1e-12) << "tensor " << t;
      EXPECT_LT(numeric.abs().maxCoeff(), 1e-8) << "tensor " << t;
      continue;
    }
    EXPECT_LT(relative_error(analytic, numeric), 1e-6)
        << "tensor " << t << " (layer " << params[t].layer << ")";
    EXPECT_GT(numeric.matrix().norm(), 1e-8) << "tensor " << t << " has no gradient: the check would be vacuous";
  }
  // Input gradient: goes through Normalize (and every other layer's backward).
  Problem q = p;
  Eigen::ArrayXd numeric(q.X.size());
  for (Eigen::Index k = 0; k < q.X.size(); ++k) {
    const double saved = q.X.data()[k];
    q.X.data()[k] = saved + h;
    const double up = loss_of(net, q);
    q.X.data()[k] = saved - h;
    const double down = loss_of(net, q);
    q.X.data()[k] = saved;
    numeric[k] = (up - down) / (2 * h);
  }
  EXPECT_LT(relative_error(Eigen::Map<const Eigen::ArrayXd>(dX.data(), dX.size()), numeric), 1e-6) << "input gradient";
}

Problem make_problem(LossKind loss, bool train_mode, bool weighted, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  Problem p;
  p.X = Matrix::NullaryExpr(4, 7, [&] { return g(rng); });
  p.labels = {0, 2, 1, 1, 0, 2, 2};
  p.targets = Matrix::NullaryExpr(3, 7, [&] { return g(rng); });
  if (weighted) p.class_weights = Vector::LinSpaced(3, 0.5, 2.0);
  p.loss = loss;
  p.train_mode = train_mode;
  return p;
}

TEST(GradientCheck, CrossEntropyBatchNormTrainMode) { check(make_problem(LossKind::CrossEntropy, true, false, 1), 11); }
TEST(GradientCheck, WeightedCrossEntropyBatchNormTrainMode) {
  check(make_problem(LossKind::CrossEntropy, true, true, 2), 12);
}
TEST(GradientCheck, MseBatchNormTrainMode) { check(make_problem(LossKind::MeanSquaredError, true, false, 3), 13); }
TEST(GradientCheck, CrossEntropyBatchNormEvalMode) { check(make_problem(LossKind::CrossEntropy, false, true, 4), 14); }
TEST(GradientCheck, MseBatchNormEvalMode) { check(make_problem(LossKind::MeanSquaredError, false, false, 5), 15); }

TEST(GradientCheck, EvalModeForwardEqualsEvaluate) {
  std::mt19937_64 rng(7);
  const Network net = tiny_net(rng);
  const Problem p = make_problem(LossKind::CrossEntropy, false, false, 6);
  Tape tape;
  EXPECT_LT((forward(net, p.X, false, tape) - evaluate(net, p.X)).cwiseAbs().maxCoeff(), 1e-12);
}

TEST(GradientCheck, TrainModeBatchNormNormalisesTheBatch) {
  // Independent oracle: after a train-mode BatchNorm with gamma 1, beta 0 every feature has
  // batch mean 0 and (biased) variance 1 / (1 + eps / var).
  Network net{3, {BatchNorm{Vector::Ones(3), Vector::Zero(3), Vector::Zero(3), Vector::Ones(3), 0.0}}};
  std::mt19937_64 rng(3);
  std::normal_distribution<double> g(5.0, 3.0);
  const Matrix X = Matrix::NullaryExpr(3, 50, [&] { return g(rng); });
  Tape tape;
  const Matrix Y = forward(net, X, true, tape);
  EXPECT_LT(Y.rowwise().mean().cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_LT((Y.array().square().rowwise().mean() - 1.0).abs().maxCoeff(), 1e-12);
  // Running statistics with momentum 1 become the batch's (unbiased variance, as PyTorch).
  update_running_stats(net, tape, 1.0);
  const auto& bn = std::get<BatchNorm>(net.layers[0]);
  const Vector mean = X.rowwise().mean();
  const Vector var = (X.colwise() - mean).array().square().rowwise().sum() / 49.0;
  EXPECT_LT((bn.mean - mean).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_LT((bn.var - var).cwiseAbs().maxCoeff(), 1e-10);
}

}  // namespace
}  // namespace nncert
