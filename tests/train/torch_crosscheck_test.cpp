// Independent oracle for the whole training step: PyTorch (Debian's python3-torch, float64)
// replays the same k Adam steps from the same initial weights and batches (BatchNorm in train
// mode, class-weighted cross-entropy, L2 on weights, L1 on gammas); every tensor and running
// statistic must agree to 1e-6 relative. Skips cleanly when /usr/bin/python3 cannot import torch.
#include "certifier/train/architecture.hpp"
#include "certifier/train/trainer.hpp"
#include "tests/test_support.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <random>

namespace nncert {
namespace {

using nlohmann::json;

json rows(const Matrix& M) {  // row-major nested lists
  json j = json::array();
  for (Eigen::Index r = 0; r < M.rows(); ++r) {
    json row = json::array();
    for (Eigen::Index c = 0; c < M.cols(); ++c) row.push_back(M(r, c));
    j.push_back(row);
  }
  return j;
}
json list(const Vector& v) { return std::vector<double>(v.data(), v.data() + v.size()); }
Matrix matrix(const json& j) {
  Matrix M(static_cast<Eigen::Index>(j.size()), static_cast<Eigen::Index>(j[0].size()));
  for (Eigen::Index r = 0; r < M.rows(); ++r)
    for (Eigen::Index c = 0; c < M.cols(); ++c) M(r, c) = j[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)];
  return M;
}
Vector vector(const json& j) {
  const std::vector<double> v = j;
  return Eigen::Map<const Vector>(v.data(), static_cast<Eigen::Index>(v.size()));
}
double rel(const Matrix& a, const Matrix& b) { return (a - b).norm() / std::max(a.norm() + b.norm(), 1e-300); }

TEST(TorchCrossCheck, AdamStepsMatchPyTorch) {
  if (std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "/usr/bin/python3 cannot import torch (Debian's python3-torch); skipping the PyTorch cross-check";
  Network net = make_mlp({6, 8, 5, 3}, true, 7);
  // Non-trivial BatchNorm parameters, so gamma/beta/running statistics are all exercised.
  std::mt19937_64 rng(5);
  std::normal_distribution<double> g(0.0, 1.0);
  for (Layer& l : net.layers)
    if (auto* bn = std::get_if<BatchNorm>(&l)) {
      bn->gamma = Vector::NullaryExpr(bn->gamma.size(), [&] { return 1.0 + 0.3 * g(rng); });
      bn->beta = Vector::NullaryExpr(bn->beta.size(), [&] { return 0.3 * g(rng); });
    }
  TrainConfig cfg;
  cfg.adam = {3e-2, 0.8, 0.99, 1e-7};
  cfg.weight_decay = 1e-2;
  cfg.slim_l1 = 1e-3;
  cfg.class_weights = Vector{{0.5, 1.0, 2.0}};
  cfg.bn_momentum = 0.2;

  json in{{"lr", cfg.adam.lr}, {"beta1", cfg.adam.beta1}, {"beta2", cfg.adam.beta2}, {"eps", cfg.adam.eps},
          {"weight_decay", cfg.weight_decay}, {"slim_l1", cfg.slim_l1}, {"momentum", cfg.bn_momentum},
          {"class_weights", list(cfg.class_weights)}};
  for (const Layer& l : net.layers) {
    if (const auto* d = std::get_if<Dense>(&l))
      in["layers"].push_back({{"kind", "Dense"}, {"W", rows(d->W)}, {"b", list(d->b)}});
    else if (const auto* bn = std::get_if<BatchNorm>(&l))
      in["layers"].push_back({{"kind", "BatchNorm"}, {"gamma", list(bn->gamma)}, {"beta", list(bn->beta)},
                              {"mean", list(bn->mean)}, {"var", list(bn->var)}, {"eps", bn->eps}});
    else
      in["layers"].push_back({{"kind", "ReLU"}});
  }
  Optimizer opt(cfg.adam, net);
  constexpr int kSteps = 12;
  for (int k = 0; k < kSteps; ++k) {
    const Matrix X = Matrix::NullaryExpr(6, 10, [&] { return g(rng); });
    std::vector<int> labels(10);
    for (int& y : labels) y = static_cast<int>(rng() % 3);
    in["batches"].push_back({{"X", rows(X.transpose())}, {"labels", labels}});
    train_step(net, opt, X, labels, Matrix(), cfg, cfg.adam.lr);
  }

  test::TempDir tmp;
  std::ofstream(tmp / "in.json") << in.dump();
  const std::string script = (test::source_dir() / "tests/train/torch_adam_check.py").string();
  const std::string cmd = "/usr/bin/python3 " + script + " " + (tmp / "in.json").string() + " " + (tmp / "out.json").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const json out = json::parse(std::ifstream(tmp / "out.json"));
  ASSERT_EQ(out["layers"].size(), net.layers.size());
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const json& t = out["layers"][i];
    if (const auto* d = std::get_if<Dense>(&net.layers[i])) {
      EXPECT_LT(rel(d->W, matrix(t["W"])), 1e-6) << "layer " << i << " W";
      EXPECT_LT(rel(d->b, vector(t["b"])), 1e-6) << "layer " << i << " b";
      // The weights really moved: a vacuous comparison would also pass.
      EXPECT_GT(rel(d->W, matrix(in["layers"][i]["W"])), 1e-3);
    } else if (const auto* bn = std::get_if<BatchNorm>(&net.layers[i])) {
      EXPECT_LT(rel(bn->gamma, vector(t["gamma"])), 1e-6) << "layer " << i << " gamma";
      EXPECT_LT(rel(bn->beta, vector(t["beta"])), 1e-6) << "layer " << i << " beta";
      EXPECT_LT(rel(bn->mean, vector(t["mean"])), 1e-6) << "layer " << i << " running mean";
      EXPECT_LT(rel(bn->var, vector(t["var"])), 1e-6) << "layer " << i << " running var";
    }
  }
}

}  // namespace
}  // namespace nncert
