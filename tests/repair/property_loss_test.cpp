// The property penalty: its gradient against finite differences of its value, and training with
// it against training without it, judged on a dense grid of the precondition (the oracle).
#include "certifier/repair/property_loss.hpp"
#include "certifier/train/architecture.hpp"
#include "certifier/train/layer_stack.hpp"
#include "certifier/train/trainer.hpp"
#include "tests/repair/sum_task.hpp"

#include <gtest/gtest.h>

#include <random>

namespace nncert {
namespace {

// Unsafe: x0 <= 0.3 and y >= 0.8 (the data reach 1.3 there).
LinearProperty cap_property() { return test::cap_property(0.3, 0.8); }

// Share of a 61 x 201 grid over the precondition where the network's output reaches the cap.
double unsafe_share(const Network& net) {
  int bad = 0, all = 0;
  for (int i = 0; i <= 60; ++i)
    for (int j = 0; j <= 200; ++j, ++all) bad += evaluate(net, Vector{{0.3 * i / 60, j / 200.0}})[0] >= 0.8;
  return static_cast<double>(bad) / all;
}

TEST(PropertyLoss, GradientMatchesFiniteDifferences) {
  const LinearProperty p = cap_property();
  PropertyLossOptions o;
  o.pool = 64;
  o.per_batch = 64;
  o.margin = 0.3;  // most points penalised, so the gradient is not trivially zero
  const PropertyLoss loss(p, o, 7);
  Network net = make_mlp({2, 6, 1}, false, 3);
  std::get<Dense>(net.layers.back()).b[0] = 0.7;  // outputs near the cap
  PropertyLoss first = loss;  // copies: the same points, the same draws
  Network grads = zeros_like(net);
  const double value = first(net, grads);
  ASSERT_GT(value, 0);
  const auto params = parameters(net);
  const auto g = parameters(grads);
  double max_err = 0, max_grad = 0;
  for (std::size_t t = 0; t < params.size(); ++t)
    for (Eigen::Index i = 0; i < params[t].size; ++i) {
      const double h = 1e-7, saved = params[t].data[i];
      const auto value_at = [&](double w) {
        params[t].data[i] = w;
        PropertyLoss again = loss;
        Network unused = zeros_like(net);
        return again(net, unused);
      };
      const double slope = (value_at(saved + h) - value_at(saved - h)) / (2 * h);
      params[t].data[i] = saved;
      max_err = std::max(max_err, std::abs(slope - g[t].data[i]));
      max_grad = std::max(max_grad, std::abs(g[t].data[i]));
    }
  EXPECT_GT(max_grad, 1e-3);
  EXPECT_LT(max_err, 1e-4 * std::max(1.0, max_grad));
}

TEST(PropertyLoss, TrainingWithItLeavesTheUnsafeRegion) {
  const LinearProperty p = cap_property();
  const Dataset data = test::sum_data(800, 1, 0), validation = test::sum_data(200, 2, 0);
  TrainConfig c;
  c.loss = LossKind::MeanSquaredError;
  c.epochs = 60;
  c.batch = 32;
  c.adam.lr = 0.01;
  c.seed = 4;
  const Network start = make_mlp({2, 12, 12, 1}, false, 9);
  const Network plain = train(start, data, &validation, c).network;
  PropertyLossOptions o;
  o.margin = 0.02;
  PropertyLoss loss(p, o, 11);
  TrainHooks hooks;
  hooks.penalty = [&](const Network& n, Network& g) { return loss(n, g); };
  const Network guarded = train(start, data, &validation, c, {}, hooks).network;
  EXPECT_GT(unsafe_share(plain), 0.2) << "the data themselves violate: without the penalty the network does";
  EXPECT_LT(unsafe_share(guarded), 0.01);
  // Outside the precondition the penalty does not apply: the fit there stays good.
  double err = 0;
  for (int j = 0; j <= 100; ++j) err = std::max(err, std::abs(evaluate(guarded, Vector{{0.8, j / 100.0}})[0] - (0.8 + j / 100.0)));
  EXPECT_LT(err, 0.25);
}

}  // namespace
}  // namespace nncert
