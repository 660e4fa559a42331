// Trainer, Adam, losses and architectures on tiny synthetic data: learning separable classes
// and a linear map, seeded determinism (bitwise), early stopping keeping the best epoch,
// schedules, and every bad input the issue names.
#include "certifier/core/digest.hpp"
#include "certifier/core/error.hpp"
#include "certifier/train/adam.hpp"
#include "certifier/train/architecture.hpp"
#include "certifier/train/layer_stack.hpp"
#include "certifier/train/losses.hpp"
#include "certifier/train/trainer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace nncert {
namespace {

// Three Gaussian blobs in 4-D, well separated: any sane trainer reaches ~100%.
Dataset blobs(std::size_t n, std::uint64_t seed, double spread = 0.3) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, spread);
  const Matrix centres{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 0}};
  Dataset d;
  d.name = "blobs";
  d.num_classes = 3;
  d.X.resize(4, static_cast<Eigen::Index>(n));
  for (std::size_t i = 0; i < n; ++i) {
    const int c = static_cast<int>(i % 3);
    d.labels.push_back(c);
    for (int f = 0; f < 4; ++f) d.X(f, static_cast<Eigen::Index>(i)) = centres(f, c) + g(rng);
  }
  return d;
}

TEST(Architecture, ParsesAndBuilds) {
  EXPECT_EQ(parse_architecture("784:64:32:16:10"), (std::vector<std::size_t>{784, 64, 32, 16, 10}));
  for (const char* bad : {"", "784", "784:", ":10", "784:0:10", "784:x:10", "784:-3:10", "7 84:10"})
    EXPECT_THROW(parse_architecture(bad), InputError) << bad;
  const Network net = make_mlp({784, 64, 10}, true, 1);
  ASSERT_EQ(net.layers.size(), 4u);  // Dense BN ReLU Dense
  EXPECT_TRUE(std::holds_alternative<BatchNorm>(net.layers[1]));
  EXPECT_EQ(layer_widths(net), (std::vector<std::size_t>{784, 64, 64, 64, 10}));
  EXPECT_EQ(make_mlp({784, 64, 10}, false, 1).layers.size(), 3u);
  EXPECT_EQ(check_network(net), "");
}

TEST(Architecture, HeInitialisationStatistics) {
  // He et al.: W ~ N(0, 2 / fan_in). 784 x 256 samples: mean and std within a few standard errors.
  const Network net = make_mlp({784, 256, 10}, false, 42);
  const Matrix& W = std::get<Dense>(net.layers[0]).W;
  const double n = static_cast<double>(W.size());
  const double mean = W.mean();
  const double sd = std::sqrt((W.array() - mean).square().sum() / n);
  const double expected = std::sqrt(2.0 / 784);
  EXPECT_LT(std::abs(mean), 5 * expected / std::sqrt(n));
  EXPECT_NEAR(sd / expected, 1.0, 0.01);
  EXPECT_EQ(digest(make_mlp({784, 256, 10}, false, 42)), digest(net));
  EXPECT_NE(digest(make_mlp({784, 256, 10}, false, 43)), digest(net));
}

TEST(Losses, CrossEntropyMatchesTheFormula) {
  const Matrix z{{1.0, -2.0}, {3.0, 0.5}, {0.0, 1000.0}};
  const std::vector<int> y{1, 0};
  const double l0 = -std::log(std::exp(3.0) / (std::exp(1.0) + std::exp(3.0) + 1.0));
  const double l1 = -(-2.0 - 1000.0);  // log-sum-exp is 1000 to double precision
  EXPECT_NEAR(cross_entropy(z, y).value, (l0 + l1) / 2, 1e-12);
  const Vector w{{0.5, 2.0, 1.0}};
  EXPECT_NEAR(cross_entropy(z, y, w).value, (2.0 * l0 + 0.5 * l1) / 2.5, 1e-12);
  EXPECT_NEAR(mean_squared_error(Matrix{{1, 2}}, Matrix{{0, 4}}).value, 2.5, 1e-15);
}

TEST(Losses, BalancedWeightsAreInverseFrequencies) {
  // The elevator case study's 112 / 820 / 1585 imbalance.
  std::vector<int> labels;
  labels.insert(labels.end(), 112, 0);
  labels.insert(labels.end(), 820, 1);
  labels.insert(labels.end(), 1585, 2);
  const Vector w = balanced_class_weights(labels, 3);
  EXPECT_NEAR(w[0], 2517.0 / (3 * 112), 1e-12);
  EXPECT_NEAR(w[2], 2517.0 / (3 * 1585), 1e-12);
  EXPECT_NEAR(w[0] * 112, w[1] * 820, 1e-9);  // every class carries the same total weight
  EXPECT_EQ(parse_class_weights("1,2,3", labels, 3), (Vector{{1.0, 2.0, 3.0}}));
  EXPECT_THROW(parse_class_weights("1,2", labels, 3), InputError);
  EXPECT_THROW(parse_class_weights("1,x,2", labels, 3), InputError);
  EXPECT_EQ(parse_class_weights("none", labels, 3).size(), 0);
}

TEST(Adam, FirstStepMovesEachWeightByLrTimesSign) {
  // Bias correction makes step 1 exactly lr * g / (|g| + eps) per entry (Kingma & Ba §3).
  Network net{2, {Dense{Matrix{{1.0, -1.0}}, Vector{{0.5}}}}};
  Network g{2, {Dense{Matrix{{0.3, -2.0}}, Vector{{0.0}}}}};
  AdamConfig cfg;
  cfg.eps = 1e-7;
  Adam adam(cfg, net);
  adam.step(net, g, 0.01);
  const auto& d = std::get<Dense>(net.layers[0]);
  EXPECT_NEAR(d.W(0, 0), 1.0 - 0.01 * 0.3 / (0.3 + 1e-7), 1e-15);
  EXPECT_NEAR(d.W(0, 1), -1.0 + 0.01 * 2.0 / (2.0 + 1e-7), 1e-15);
  EXPECT_EQ(d.b[0], 0.5);
}

TEST(Trainer, LearnsSeparableClasses) {
  const Dataset train_set = blobs(600, 1), test_set = blobs(300, 2);
  TrainConfig cfg;
  cfg.epochs = 15;
  cfg.batch = 32;
  cfg.seed = 3;
  cfg.adam.lr = 1e-2;
  cfg.validation_split = 0.2;
  std::size_t epochs_seen = 0;
  TrainHooks hooks;
  hooks.on_epoch = [&](const EpochStats& s) { EXPECT_EQ(s.epoch, ++epochs_seen); };
  const TrainResult r = train(make_mlp({4, 16, 8, 3}, true, 5), train_set, cfg, {}, hooks);
  EXPECT_EQ(epochs_seen, 15u);
  ASSERT_EQ(r.history.size(), 15u);
  EXPECT_LT(r.history.back().train_loss, r.history.front().train_loss);
  ASSERT_TRUE(r.history.back().val_accuracy.has_value());
  const Evaluation e = evaluate_dataset(r.network, test_set, cfg);
  EXPECT_GT(e.accuracy, 0.97);
  ASSERT_EQ(e.per_class_accuracy.size(), 3u);
  for (double a : e.per_class_accuracy) EXPECT_GT(a, 0.9);
}

TEST(Trainer, LearnsALinearMapWithMse) {
  std::mt19937_64 rng(9);
  std::normal_distribution<double> g(0.0, 1.0);
  Dataset d;
  d.name = "linear";
  d.X = Matrix::NullaryExpr(3, 400, [&] { return g(rng); });
  const Matrix A{{1.0, -2.0, 0.5}, {0.0, 1.0, 1.0}};
  d.targets = A * d.X;
  TrainConfig cfg;
  cfg.loss = LossKind::MeanSquaredError;
  cfg.epochs = 60;
  cfg.batch = 20;
  cfg.adam.lr = 2e-2;
  cfg.schedule = Schedule::Cosine;
  const TrainResult r = train(make_mlp({3, 2}, false, 1), d, cfg);
  EXPECT_LT(r.history.back().train_loss, 1e-4);
  EXPECT_LT((std::get<Dense>(r.network.layers[0]).W - A).cwiseAbs().maxCoeff(), 1e-2);
}

TEST(Trainer, SameSeedGivesBitwiseIdenticalModel) {
  const Dataset d = blobs(300, 4);
  TrainConfig cfg;
  cfg.epochs = 3;
  cfg.batch = 16;
  cfg.seed = 11;
  cfg.validation_split = 0.1;
  cfg.weight_decay = 1e-3;
  cfg.slim_l1 = 1e-3;
  const Network init = make_mlp({4, 32, 16, 3}, true, 11);
  const Network a = train(init, d, cfg).network, b = train(init, d, cfg).network;
  EXPECT_EQ(digest(a), digest(b));
  cfg.seed = 12;
  EXPECT_NE(digest(train(init, d, cfg).network), digest(a));
}

TEST(Trainer, TwoThreadsAreDeterministicToo) {
  // Products large enough to be split across threads (see layer_stack.cpp).
  std::mt19937_64 rng(8);
  std::normal_distribution<double> g(0.0, 1.0);
  Dataset d;
  d.name = "wide";
  d.num_classes = 3;
  d.X = Matrix::NullaryExpr(200, 256, [&] { return g(rng); });
  for (Eigen::Index i = 0; i < d.X.cols(); ++i) d.labels.push_back(static_cast<int>(i % 3));
  TrainConfig cfg;
  cfg.epochs = 2;
  cfg.batch = 64;
  const int saved = Eigen::nbThreads();
  Eigen::setNbThreads(2);
  const Network init = make_mlp({200, 128, 3}, true, 3);
  const std::string a = digest(train(init, d, cfg).network), b = digest(train(init, d, cfg).network);
  Eigen::setNbThreads(saved);
  EXPECT_EQ(a, b);
}

TEST(Trainer, IdentityTransformHookChangesNothing) {
  const Dataset d = blobs(200, 4);
  TrainConfig cfg;
  cfg.epochs = 2;
  cfg.batch = 16;
  TrainHooks hooks;
  hooks.transform = [](const Network& n) { return n; };
  const Network init = make_mlp({4, 8, 3}, true, 2);
  EXPECT_EQ(digest(train(init, d, cfg, {}, hooks).network), digest(train(init, d, cfg).network));
}

TEST(Trainer, EarlyStoppingKeepsTheBestEpoch) {
  // Random labels: the validation loss must rise once the network memorises the training part.
  Dataset d = blobs(120, 5, 1.0);
  std::mt19937_64 rng(1);
  for (int& y : d.labels) y = static_cast<int>(rng() % 3);
  TrainConfig cfg;
  cfg.epochs = 300;
  cfg.batch = 8;
  cfg.adam.lr = 1e-2;
  cfg.validation_split = 0.3;
  cfg.patience = 3;
  const TrainResult r = train(make_mlp({4, 64, 64, 3}, false, 1), d, cfg);
  EXPECT_TRUE(r.stopped_early);
  ASSERT_LT(r.history.size(), 300u);
  EXPECT_EQ(r.history.size(), r.best_epoch + 3);
  double best = 1e300;
  for (const auto& s : r.history) best = std::min(best, *s.val_loss);
  EXPECT_EQ(*r.history[r.best_epoch - 1].val_loss, best);
  // The returned network is that epoch's: the same run stopped after best_epoch epochs.
  TrainConfig shorter = cfg;
  shorter.epochs = r.best_epoch;
  shorter.patience = 0;
  EXPECT_EQ(digest(train(make_mlp({4, 64, 64, 3}, false, 1), d, shorter).network), digest(r.network));
}

TEST(Trainer, Schedules) {
  TrainConfig cfg;
  cfg.adam.lr = 0.1;
  cfg.epochs = 9;
  EXPECT_EQ(learning_rate(cfg, 8), 0.1);
  cfg.schedule = Schedule::Step;
  EXPECT_DOUBLE_EQ(learning_rate(cfg, 2), 0.1);
  EXPECT_DOUBLE_EQ(learning_rate(cfg, 3), 0.01);
  EXPECT_DOUBLE_EQ(learning_rate(cfg, 6), 0.001);
  cfg.schedule = Schedule::Cosine;
  EXPECT_DOUBLE_EQ(learning_rate(cfg, 0), 0.1);
  EXPECT_NEAR(learning_rate(cfg, 4), 0.05 * (1 + std::cos(M_PI * 4 / 9)), 1e-15);
}

TEST(Trainer, BadInputIsInputError) {
  const Dataset d = blobs(30, 1);
  const Network net = make_mlp({4, 8, 3}, true, 1);
  TrainConfig cfg;
  cfg.epochs = 1;
  auto fails = [&](const Network& n, const Dataset& data, const TrainConfig& c, const std::string& needle) {
    try {
      train(n, data, c);
      ADD_FAILURE() << "no error for " << needle;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  fails(make_mlp({5, 8, 3}, true, 1), d, cfg, "features");
  fails(make_mlp({4, 8, 10}, true, 1), d, cfg, "classes");
  Dataset empty = d;
  empty.X.resize(4, 0);
  empty.labels.clear();
  fails(net, empty, cfg, "empty");
  Dataset bad_label = d;
  bad_label.labels[7] = 3;
  fails(net, bad_label, cfg, "label 3");
  bad_label.labels[7] = -1;
  fails(net, bad_label, cfg, "label -1");
  Dataset nan = d;
  nan.X(2, 5) = std::nan("");
  fails(net, nan, cfg, "sample 5 feature 2");
  TrainConfig c = cfg;
  c.batch = 0;
  fails(net, d, c, "batch");
  c = cfg;
  c.epochs = 0;
  fails(net, d, c, "epochs");
  c = cfg;
  c.validation_split = 1.0;
  fails(net, d, c, "val-split");
  c = cfg;
  c.adam.lr = -1;
  fails(net, d, c, "lr");
  c = cfg;
  c.loss = LossKind::MeanSquaredError;
  Dataset regression = d;
  regression.labels.clear();
  regression.targets = Matrix::Zero(2, 30);
  fails(net, regression, c, "target");
}

}  // namespace
}  // namespace nncert
