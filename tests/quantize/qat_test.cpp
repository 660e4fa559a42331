// Quantization-aware fine-tuning: the straight-through estimator must keep or improve the
// quantized accuracy PTQ reaches under the same plan, and the forward weights it trains on must
// be exactly the grid values the QNetwork ends up with.
#include "certifier/quantize/agreement.hpp"
#include "certifier/quantize/ptq.hpp"
#include "certifier/quantize/qat.hpp"
#include "certifier/train/architecture.hpp"
#include "tests/test_support.hpp"

#include <cmath>
#include <random>

namespace nncert {
namespace {

// Four classes of 16 integer features: noisy prototypes, clipped to 0..255.
Dataset blobs(std::uint64_t seed, std::size_t n) {
  std::mt19937_64 rng(seed);
  std::mt19937_64 proto_rng(99);  // the same prototypes for train and test
  std::uniform_int_distribution<int> pixel(0, 255);
  std::vector<std::vector<int>> proto(4, std::vector<int>(16));
  for (auto& p : proto)
    for (auto& v : p) v = pixel(proto_rng);
  std::normal_distribution<double> noise(0, 60);
  Dataset d;
  d.name = "blobs";
  d.num_classes = 4;
  d.raw = Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic>(16, static_cast<Eigen::Index>(n));
  for (std::size_t i = 0; i < n; ++i) {
    const int c = static_cast<int>(i % 4);
    d.labels.push_back(c);
    for (int k = 0; k < 16; ++k)
      (*d.raw)(k, static_cast<Eigen::Index>(i)) =
          std::clamp<std::int64_t>(std::llround(proto[static_cast<std::size_t>(c)][static_cast<std::size_t>(k)] + noise(rng)), 0, 255);
  }
  d.X = d.raw->cast<double>() / 255.0;
  return d;
}

TEST(Qat, KeepsOrImprovesLowBitAccuracy) {
  const Dataset train_data = blobs(1, 2000), test_data = blobs(2, 1000);
  TrainConfig config;
  config.epochs = 15;
  config.seed = 5;
  const Network net = train(make_mlp({16, 12, 4}, false, 5), train_data, config).network;
  for (int bits : {3, 4}) {
    SCOPED_TRACE("bits " + std::to_string(bits));
    PtqOptions o;
    o.bits = bits;
    fit_input_grid(train_data, o);
    const QuantPlan plan = calibrated_plan(net, train_data.X, o);
    const QNetwork ptq = quantize_with_plan(net, plan);
    const Agreement before = compare_predictions(net, ptq, test_data);
    TrainConfig qat_config;
    qat_config.epochs = 5;
    qat_config.seed = 6;
    qat_config.adam.lr = 1e-3;
    const QatResult r = quantization_aware_training(net, plan, train_data, qat_config);
    ASSERT_EQ(r.history.size(), 5u);
    ASSERT_EQ(check_qnetwork(r.qnetwork), "");
    const Agreement after = compare_predictions(net, r.qnetwork, test_data);
    EXPECT_GE(after.quantized_accuracy(), before.quantized_accuracy())
        << "float " << before.float_accuracy() << " ptq " << before.quantized_accuracy();
    // The weights trained on in the forward pass are exactly the QNetwork's grid values.
    const Network forward = fake_quantize(r.network, plan);
    const Network from_q = dequantize(r.qnetwork, plan.input_divisor);
    ASSERT_EQ(forward.layers.size(), from_q.layers.size());
    for (std::size_t l = 0; l < forward.layers.size(); ++l)
      if (const auto* d = std::get_if<Dense>(&forward.layers[l])) {
        EXPECT_EQ(d->W, std::get<Dense>(from_q.layers[l]).W);
        EXPECT_EQ(d->b, std::get<Dense>(from_q.layers[l]).b);
      }
  }
}

}  // namespace
}  // namespace nncert
