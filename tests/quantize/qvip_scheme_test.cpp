// The QVIP scheme against QVIP's own 13 networks (../shared/data/qvip, on-grid ONNX weights):
// the integers must come back exactly (oracle: weight * 2^(Q-1) is an integer, bias * 2^(Q-2)
// too), and the QNetwork must classify exactly like an independent exact-double evaluation of
// QVIP's semantics, matching the task counts #S of QVIP's Table 2 where the data README has them.
#include "certifier/core/error.hpp"
#include "certifier/core/network.hpp"
#include "certifier/core/qnetwork.hpp"
#include "certifier/quantize/agreement.hpp"
#include "certifier/quantize/qvip_scheme.hpp"
#include "formats/dataset.hpp"
#include "formats/onnx.hpp"
#include "tests/test_support.hpp"

#include <cmath>

namespace nncert {
namespace {

using test::shared_data;

struct QvipNet {
  std::string file;
  int q;
};

const std::vector<QvipNet> kNets{
    {"mnist_1blk_64_q4.onnx", 4},       {"mnist_1blk_64_q6.onnx", 6},       {"mnist_1blk_64_q8.onnx", 8},
    {"mnist_1blk_64_q10.onnx", 10},     {"mnist_1blk_100_q4.onnx", 4},      {"mnist_1blk_100_q6.onnx", 6},
    {"mnist_1blk_100_q8.onnx", 8},      {"mnist_1blk_100_q10.onnx", 10},    {"mnist_2blk_64_32_q4.onnx", 4},
    {"mnist_2blk_64_32_q6.onnx", 6},    {"mnist_2blk_64_32_q8.onnx", 8},    {"mnist_2blk_64_32_q10.onnx", 10},
    {"fashion-mnist_1blk_64_q6.onnx", 6}};

// QVIP's semantics evaluated in doubles, independently of the integer evaluator: every value is
// a dyadic rational with under 40 significant bits here, so each sum is exact.
std::size_t oracle_predict(const Network& folded, int q, const std::vector<std::int64_t>& pixels) {
  Vector x(static_cast<Eigen::Index>(pixels.size()));
  for (std::size_t i = 0; i < pixels.size(); ++i) x[static_cast<Eigen::Index>(i)] = static_cast<double>(pixels[i]) / 256.0;
  std::vector<const Dense*> dense;
  for (const auto& l : folded.layers)
    if (const auto* d = std::get_if<Dense>(&l)) dense.push_back(d);
  for (std::size_t l = 0; l < dense.size(); ++l) {
    const bool last = l + 1 == dense.size();
    Vector acc = dense[l]->W * x + dense[l]->b;
    const double lo = last ? -std::ldexp(1.0, q - 1) : 0, hi = last ? std::ldexp(1.0, q - 1) - 1 : std::ldexp(1.0, q) - 1;
    for (Eigen::Index j = 0; j < acc.size(); ++j)
      acc[j] = std::clamp(std::floor(std::ldexp(acc[j], q - 2) + 0.5), lo, hi) / std::ldexp(1.0, q - 2);
    x = acc;
  }
  return static_cast<std::size_t>(argmax_first(x));
}

TEST(QvipScheme, ThirteenNetworksGiveBackQvipIntegersAndClassifyExactly) {
  NNCERT_REQUIRE_SHARED_DATA("qvip");
  NNCERT_REQUIRE_SHARED_DATA("mnist");
  const Dataset mnist = load_dataset((shared_data() / "mnist" / "mnist_test_100.csv").string());
  for (const auto& [file, q] : kNets) {
    SCOPED_TRACE(file);
    const Network folded = fold(load_onnx((shared_data() / "qvip" / file).string()));
    const QuantPlan plan = qvip_plan(folded, q);
    EXPECT_EQ(clamped_parameters(folded, plan), 0u);
    const QNetwork qn = quantize_with_plan(folded, plan);
    ASSERT_EQ(check_qnetwork(qn), "");
    EXPECT_EQ(qn.cx, (QConfig{false, 8, 8}));
    std::vector<const Dense*> dense;
    for (const auto& l : folded.layers)
      if (const auto* d = std::get_if<Dense>(&l)) dense.push_back(d);
    ASSERT_EQ(qn.layers.size(), dense.size());
    for (std::size_t l = 0; l < dense.size(); ++l) {
      const QLayer& layer = qn.layers[l];
      const bool last = l + 1 == dense.size();
      EXPECT_EQ(layer.cw, (QConfig{true, q, q - 1}));
      EXPECT_EQ(layer.cb, (QConfig{true, q, q - 2}));
      EXPECT_EQ(layer.cy, (QConfig{last, q, q - 2}));
      EXPECT_EQ(layer.relu, !last);
      std::size_t mismatches = 0;
      for (Eigen::Index r = 0; r < dense[l]->W.rows(); ++r) {
        for (Eigen::Index c = 0; c < dense[l]->W.cols(); ++c) {
          const double w = std::ldexp(dense[l]->W(r, c), q - 1);
          mismatches += w != std::round(w) || layer.weight(static_cast<std::size_t>(r), static_cast<std::size_t>(c)) !=
                                                  static_cast<std::int64_t>(w);
        }
        const double b = std::ldexp(dense[l]->b[r], q - 2);
        mismatches += b != std::round(b) || layer.b[static_cast<std::size_t>(r)] != static_cast<std::int64_t>(b);
      }
      EXPECT_EQ(mismatches, 0u) << "layer " << l;
    }
    if (file.rfind("mnist", 0) != 0) continue;
    const auto predicted = predict_all(qn, mnist);
    std::size_t correct = 0, oracle_correct = 0, disagree = 0;
    for (std::size_t i = 0; i < mnist.size(); ++i) {
      const std::size_t o = oracle_predict(folded, q, mnist.raw_sample(i));
      const auto label = static_cast<std::size_t>(mnist.labels[i]);
      correct += predicted[i] == label;
      oracle_correct += o == label;
      disagree += o != predicted[i];
    }
    EXPECT_EQ(disagree, 0u);
    EXPECT_EQ(correct, oracle_correct);
    // QVIP Table 2, #S: P1-6 99 of images 0-99, P2-6 98 of 0-99, P3-6 50 of 0-49.
    if (file == "mnist_1blk_64_q6.onnx") {
      EXPECT_EQ(correct, 99u);
    }
    if (file == "mnist_1blk_100_q6.onnx") {
      EXPECT_EQ(correct, 98u);
    }
    if (file == "mnist_2blk_64_32_q6.onnx") {
      std::size_t first50 = 0;
      for (std::size_t i = 0; i < 50; ++i) first50 += predicted[i] == static_cast<std::size_t>(mnist.labels[i]);
      EXPECT_EQ(first50, 50u);
    }
  }
}

TEST(QvipScheme, P46MatchesTable2CountsOnFashionMnist) {
  NNCERT_REQUIRE_SHARED_DATA("qvip");
  NNCERT_REQUIRE_FASHION_MNIST();
  const Network folded = fold(load_onnx((shared_data() / "qvip" / "fashion-mnist_1blk_64_q6.onnx").string()));
  const QNetwork qn = quantize_with_plan(folded, qvip_plan(folded, 6));
  const Dataset test = load_dataset("fashion-mnist", "test");
  const auto predicted = predict_all(qn, test);
  auto correct = [&](std::size_t a, std::size_t b) {
    std::size_t n = 0;
    for (std::size_t i = a; i <= b; ++i) n += predicted[i] == static_cast<std::size_t>(test.labels[i]);
    return n;
  };
  EXPECT_EQ(correct(0, 99), 87u);
  EXPECT_EQ(correct(100, 199), 90u);
  EXPECT_EQ(correct(200, 249), 43u);
  EXPECT_EQ(correct(300, 349), 44u);
  EXPECT_NEAR(static_cast<double>(correct(0, 9999)) / 10000.0, 0.856, 0.0005);  // QVIP Table 1
  std::size_t disagree = 0;
  for (std::size_t i = 0; i < 1000; ++i) disagree += oracle_predict(folded, 6, test.raw_sample(i)) != predicted[i];
  EXPECT_EQ(disagree, 0u);
}

TEST(QvipScheme, RejectsBitsOutsideFourToTen) {
  Network net;
  net.input_size = 2;
  net.layers.emplace_back(Dense{Matrix::Zero(1, 2), Vector::Zero(1)});
  EXPECT_THROW(qvip_plan(net, 3), InputError);
  EXPECT_THROW(qvip_plan(net, 11), InputError);
  EXPECT_EQ(qvip_plan(net, 4).layers.size(), 1u);
}

}  // namespace
}  // namespace nncert
