// Network slimming (Liu et al.): removing zero-gamma neurons leaves the function unchanged
// (oracle: evaluate() of the unpruned network), ratios remove the globally smallest |gamma|,
// layers shrink consistently, and networks without BatchNorm are refused.
#include "certifier/core/error.hpp"
#include "certifier/prune/slimming.hpp"
#include "certifier/train/architecture.hpp"

#include <gtest/gtest.h>

#include <random>

namespace nncert {
namespace {

SlimmingOptions ratio(double r) {
  SlimmingOptions o;
  o.ratio = r;
  return o;
}
SlimmingOptions threshold(double t) {
  SlimmingOptions o;
  o.threshold = t;
  return o;
}

Network random_bn_net(std::uint64_t seed) {
  Network net = make_mlp({6, 12, 10, 4}, true, seed);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  std::uniform_real_distribution<double> pos(0.5, 2.0);
  for (Layer& l : net.layers) {
    if (auto* bn = std::get_if<BatchNorm>(&l)) {
      const auto n = bn->gamma.size();
      bn->gamma = Vector::NullaryExpr(n, [&] { return g(rng); });
      bn->beta = Vector::NullaryExpr(n, [&] { return g(rng); });  // both signs: relu(beta) matters
      bn->mean = Vector::NullaryExpr(n, [&] { return g(rng); });
      bn->var = Vector::NullaryExpr(n, [&] { return pos(rng); });
    } else if (auto* d = std::get_if<Dense>(&l)) {
      d->b = Vector::NullaryExpr(d->b.size(), [&] { return g(rng); });
    }
  }
  return net;
}

TEST(Slimming, RemovingZeroGammaNeuronsKeepsTheFunction) {
  Network net = random_bn_net(1);
  auto& bn1 = std::get<BatchNorm>(net.layers[1]);
  auto& bn2 = std::get<BatchNorm>(net.layers[4]);
  for (int j : {0, 3, 4, 9}) bn1.gamma[j] = 0.0;
  for (int j : {2, 7}) bn2.gamma[j] = 0.0;
  std::vector<SlimmedLayer> report;
  const Network slimmed = slim(net, threshold(0.0), &report);
  EXPECT_EQ(check_network(slimmed), "");
  EXPECT_EQ(layer_widths(slimmed), (std::vector<std::size_t>{6, 8, 8, 8, 8, 8, 8, 4}));
  ASSERT_EQ(report.size(), 2u);
  EXPECT_EQ(report[0].after, 8u);
  EXPECT_EQ(report[1].after, 8u);
  EXPECT_EQ(hidden_neurons(slimmed), 16u);
  std::mt19937_64 rng(2);
  std::normal_distribution<double> g(0.0, 2.0);
  const Matrix X = Matrix::NullaryExpr(6, 500, [&] { return g(rng); });
  const Matrix y0 = evaluate(net, X), y1 = evaluate(slimmed, X);
  EXPECT_LT((y0 - y1).cwiseAbs().maxCoeff(), 1e-12 * (1 + y0.cwiseAbs().maxCoeff()));
}

TEST(Slimming, RatioRemovesTheGloballySmallestGammas) {
  const Network net = random_bn_net(3);
  const Network slimmed = slim(net, ratio(0.5));
  EXPECT_EQ(hidden_neurons(slimmed), 11u);  // floor(0.5 * 22) of the 22 hidden neurons removed
  // Oracle: the kept |gamma| are exactly the 11 largest of all 22.
  std::vector<double> all, kept;
  for (std::size_t i : {1u, 4u}) {
    const Vector& g = std::get<BatchNorm>(net.layers[i]).gamma;
    for (double v : std::vector<double>(g.data(), g.data() + g.size())) all.push_back(std::abs(v));
    const Vector& h = std::get<BatchNorm>(slimmed.layers[i]).gamma;
    for (double v : std::vector<double>(h.data(), h.data() + h.size())) kept.push_back(std::abs(v));
  }
  std::sort(all.rbegin(), all.rend());
  std::sort(kept.rbegin(), kept.rend());
  all.resize(11);
  EXPECT_EQ(kept, all);
  EXPECT_EQ(check_network(slimmed), "");
}

TEST(Slimming, EveryLayerKeepsANeuron) {
  Network net = random_bn_net(4);
  std::get<BatchNorm>(net.layers[1]).gamma.setConstant(1e-9);  // the whole first layer is "unimportant"
  const Network slimmed = slim(net, ratio(0.6));
  EXPECT_GE(std::get<BatchNorm>(slimmed.layers[1]).gamma.size(), 1);
  EXPECT_EQ(check_network(slimmed), "");
}

TEST(Slimming, RefusesNetworksWithoutBatchNorm) {
  EXPECT_THROW(slim(make_mlp({4, 8, 3}, false, 1), ratio(0.5)), InputError);
  EXPECT_THROW(slim(random_bn_net(1), SlimmingOptions{}), InputError);
  EXPECT_THROW(slim(random_bn_net(1), ratio(1.0)), InputError);
}

}  // namespace
}  // namespace nncert
