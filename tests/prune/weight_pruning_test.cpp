// Weight pruning (Han et al.): the right count is zeroed, the survivors are the largest
// magnitudes (per layer or globally), and the masks survive fine-tuning.
#include "certifier/core/error.hpp"
#include "certifier/prune/weight_pruning.hpp"
#include "certifier/train/architecture.hpp"
#include "certifier/train/trainer.hpp"

#include <gtest/gtest.h>

#include <random>

namespace nncert {
namespace {

WeightPruningOptions sparsity(double s, bool global = false, bool include_output = true) {
  WeightPruningOptions o;
  o.sparsity = s;
  o.global = global;
  o.include_output = include_output;
  return o;
}
WeightPruningOptions threshold(double t) {
  WeightPruningOptions o;
  o.threshold = t;
  return o;
}

std::vector<const Matrix*> dense_weights(const Network& net) {
  std::vector<const Matrix*> out;
  for (const Layer& l : net.layers)
    if (const auto* d = std::get_if<Dense>(&l)) out.push_back(&d->W);
  return out;
}

// Oracle: every kept |w| is >= every pruned original |w| (in the given group of layers).
void expect_largest_kept(const std::vector<const Matrix*>& before, const std::vector<const Matrix*>& after) {
  double max_pruned = 0, min_kept = 1e300;
  for (std::size_t l = 0; l < before.size(); ++l)
    for (Eigen::Index k = 0; k < before[l]->size(); ++k) {
      const double w = std::abs(before[l]->data()[k]);
      if (after[l]->data()[k] == 0)
        max_pruned = std::max(max_pruned, w);
      else {
        min_kept = std::min(min_kept, w);
        EXPECT_EQ(after[l]->data()[k], before[l]->data()[k]);  // survivors are untouched
      }
    }
  EXPECT_LE(max_pruned, min_kept);
}

TEST(WeightPruning, PerLayerSparsityKeepsTheLargest) {
  const Network net = make_mlp({20, 16, 8, 3}, true, 1);
  Network pruned = net;
  const auto masks = prune_weights(pruned, sparsity(0.7));
  ASSERT_EQ(masks.size(), 3u);
  const auto before = dense_weights(net), after = dense_weights(pruned);
  for (std::size_t l = 0; l < before.size(); ++l) {
    const auto expected_zero = std::llround(0.7 * static_cast<double>(before[l]->size()));
    EXPECT_EQ((after[l]->array() == 0).count(), expected_zero) << "layer " << l;
    expect_largest_kept({before[l]}, {after[l]});
    EXPECT_EQ(masks[l].mask, (after[l]->array() != 0).cast<double>().matrix());
  }
}

TEST(WeightPruning, GlobalSparsityAndThreshold) {
  const Network net = make_mlp({20, 16, 8, 3}, false, 2);
  Network pruned = net;
  prune_weights(pruned, sparsity(0.5, true));
  const auto before = dense_weights(net), after = dense_weights(pruned);
  EXPECT_EQ(nonzero_weights(pruned), static_cast<std::size_t>(20 * 16 + 16 * 8 + 8 * 3) / 2);
  EXPECT_NEAR(weight_sparsity(pruned), 0.5, 1e-12);
  expect_largest_kept(before, after);
  // Global differs from per layer: the small-fan-in layers have larger He weights, so keep more.
  const double first = static_cast<double>((after[0]->array() == 0).count()) / static_cast<double>(after[0]->size());
  const double last = static_cast<double>((after[2]->array() == 0).count()) / static_cast<double>(after[2]->size());
  EXPECT_GT(first, last);

  Network thresholded = net;
  prune_weights(thresholded, threshold(0.2));
  for (const Matrix* W : dense_weights(thresholded))
    for (Eigen::Index k = 0; k < W->size(); ++k) EXPECT_TRUE(W->data()[k] == 0 || std::abs(W->data()[k]) >= 0.2);
  expect_largest_kept(before, dense_weights(thresholded));

  Network keep_out = net;
  prune_weights(keep_out, sparsity(0.9, false, false));
  EXPECT_EQ(*dense_weights(keep_out)[2], *before[2]);

  EXPECT_THROW(prune_weights(keep_out, WeightPruningOptions{}), InputError);
  EXPECT_THROW(prune_weights(keep_out, sparsity(1.0)), InputError);
  EXPECT_THROW(prune_weights(keep_out, [] { auto o = sparsity(0.5); o.threshold = 0.1; return o; }()), InputError);
}

TEST(WeightPruning, MasksSurviveFineTuning) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> g(0.0, 1.0);
  Dataset d;
  d.name = "synthetic";
  d.num_classes = 3;
  d.X = Matrix::NullaryExpr(10, 300, [&] { return g(rng); });
  for (Eigen::Index i = 0; i < d.X.cols(); ++i) d.labels.push_back(d.X(0, i) > 0.5 ? 0 : (d.X(1, i) > 0 ? 1 : 2));
  TrainConfig cfg;
  cfg.epochs = 3;
  cfg.batch = 16;
  cfg.adam.lr = 1e-2;
  cfg.weight_decay = 1e-2;  // decay must not revive pruned weights either
  Network net = train(make_mlp({10, 16, 8, 3}, true, 4), d, cfg).network;
  const auto masks = prune_weights(net, sparsity(0.6));
  const Network pruned = net;
  const Network tuned = train(pruned, d, cfg, masks).network;
  const auto p = dense_weights(pruned), t = dense_weights(tuned);
  std::size_t moved = 0;
  for (std::size_t l = 0; l < p.size(); ++l)
    for (Eigen::Index k = 0; k < p[l]->size(); ++k) {
      if (p[l]->data()[k] == 0) {
        EXPECT_EQ(t[l]->data()[k], 0.0) << "layer " << l << " weight " << k << " revived";
      }
      moved += p[l]->data()[k] != t[l]->data()[k];
    }
  EXPECT_GT(moved, 100u);  // fine-tuning did train the survivors
  EXPECT_EQ(nonzero_weights(tuned), nonzero_weights(pruned));
}

}  // namespace
}  // namespace nncert
