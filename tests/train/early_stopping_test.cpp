// Training with a given validation set and the CEGIS paper's early stopping (initial_baseline):
// val_loss is the validation set's loss as evaluate_dataset computes it, an untrained network
// nothing can beat is returned unchanged after patience + 1 epochs, and an improving run returns
// its best epoch's network.
#include "certifier/core/digest.hpp"
#include "certifier/core/error.hpp"
#include "certifier/train/architecture.hpp"
#include "certifier/train/trainer.hpp"

#include <gtest/gtest.h>

#include <random>

namespace nncert {
namespace {

// y = A x + noise, x ~ N(0, 1)^3.
Dataset linear(std::size_t n, std::uint64_t seed, double noise = 0.1) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  Dataset d;
  d.name = "linear" + std::to_string(seed);
  d.X = Matrix::NullaryExpr(3, static_cast<Eigen::Index>(n), [&] { return g(rng); });
  const Matrix A{{1.0, -2.0, 0.5}, {0.0, 1.0, 1.0}};
  d.targets = A * d.X + noise * Matrix::NullaryExpr(2, static_cast<Eigen::Index>(n), [&] { return g(rng); });
  return d;
}

TrainConfig mse_config() {
  TrainConfig cfg;
  cfg.loss = LossKind::MeanSquaredError;
  cfg.epochs = 8;
  cfg.batch = 20;
  cfg.adam.lr = 1e-2;
  cfg.seed = 4;
  return cfg;
}

TEST(TrainWithValidation, ReportsTheGivenSetsLoss) {
  const Dataset train_set = linear(200, 1), val = linear(50, 2);
  const TrainConfig cfg = mse_config();  // patience 0: the last network is returned
  const TrainResult r = train(make_mlp({3, 8, 2}, false, 1), train_set, &val, cfg);
  ASSERT_EQ(r.history.size(), cfg.epochs);
  ASSERT_TRUE(r.history.back().val_loss);
  EXPECT_DOUBLE_EQ(*r.history.back().val_loss, evaluate_dataset(r.network, val, cfg).loss);
  EXPECT_LT(*r.history.back().val_loss, *r.history.front().val_loss);
  EXPECT_FALSE(r.initial_val_loss);
  // The default behaviour is unchanged: nullptr is the old overload, bit for bit.
  EXPECT_EQ(digest(train(make_mlp({3, 8, 2}, false, 1), train_set, nullptr, cfg).network),
            digest(train(make_mlp({3, 8, 2}, false, 1), train_set, cfg).network));
}

TEST(TrainWithValidation, UntrainedNetworkNothingBeatsIsReturned) {
  const Network init = make_mlp({3, 8, 2}, false, 3);
  const Dataset train_set = linear(200, 1);
  Dataset val = linear(50, 2);
  val.targets = evaluate(init, val.X);  // the initial network is exact on it: loss 0
  TrainConfig cfg = mse_config();
  cfg.epochs = 50;
  cfg.patience = 2;
  cfg.initial_baseline = true;
  const TrainResult r = train(init, train_set, &val, cfg);
  ASSERT_TRUE(r.initial_val_loss);
  EXPECT_EQ(*r.initial_val_loss, 0.0);
  EXPECT_EQ(r.best_epoch, 0u);
  EXPECT_TRUE(r.stopped_early);
  EXPECT_EQ(r.history.size(), 3u) << "stops once the counter exceeds patience: patience + 1 epochs";
  EXPECT_EQ(digest(r.network), digest(init));
}

TEST(TrainWithValidation, ImprovingRunReturnsItsBestEpoch) {
  const Network init = make_mlp({3, 16, 2}, false, 5);
  const Dataset train_set = linear(60, 1, 1.0), val = linear(60, 2, 1.0);  // noisy: it overfits eventually
  TrainConfig cfg = mse_config();
  cfg.epochs = 400;
  cfg.batch = 10;
  cfg.patience = 4;
  cfg.initial_baseline = true;
  const TrainResult r = train(init, train_set, &val, cfg);
  ASSERT_GT(r.best_epoch, 0u);
  double best = *r.initial_val_loss;
  for (const auto& s : r.history) best = std::min(best, *s.val_loss);
  EXPECT_EQ(*r.history[r.best_epoch - 1].val_loss, best);
  EXPECT_LT(best, *r.initial_val_loss);
  EXPECT_DOUBLE_EQ(evaluate_dataset(r.network, val, cfg).loss, best);
  ASSERT_TRUE(r.stopped_early);
  EXPECT_EQ(r.history.size(), r.best_epoch + cfg.patience + 1);
}

TEST(TrainWithValidation, BadInputIsInputError) {
  const Dataset train_set = linear(40, 1);
  const Network net = make_mlp({3, 4, 2}, false, 1);
  auto fails = [&](const Dataset* val, const TrainConfig& c, const std::string& needle) {
    try {
      train(net, train_set, val, c);
      ADD_FAILURE() << "no error for " << needle;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  const Dataset val = linear(10, 2);
  TrainConfig split = mse_config();
  split.validation_split = 0.2;
  fails(&val, split, "no validation split");
  TrainConfig paper = mse_config();
  paper.initial_baseline = true;
  fails(nullptr, paper, "needs a validation set");
  Dataset wide = val;
  wide.X = Matrix::Zero(4, 10);
  fails(&wide, mse_config(), "features");
  Dataset short_targets = val;
  short_targets.targets = Matrix::Zero(1, 10);
  fails(&short_targets, mse_config(), "target columns");
}

}  // namespace
}  // namespace nncert
