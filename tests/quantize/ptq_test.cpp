// Post-training quantization against the float network it came from. The oracle is an error
// bound derived here, independently of the quantizer: with x^ the quantized layer input, W^/b^
// the grid weights, W'/b the float ones (layer 0 reads r/2^Fx, so W' = W * 2^Fx / divisor) and
// the float output inside the output grid (+-half a step, which max-abs calibration guarantees
// on its own samples),
//   |y^_j - y_j| <= sum_k |W^_jk - W'_jk| |x^_k| + sum_k |W'_jk| e_k + |b^_j - b_j| + 2^-(Fy+1)
// because rounding moves by at most half a step and clamp and ReLU are 1-Lipschitz.
#include "certifier/core/network.hpp"
#include "certifier/core/qnetwork.hpp"
#include "certifier/quantize/agreement.hpp"
#include "certifier/quantize/ptq.hpp"
#include "certifier/train/architecture.hpp"
#include "certifier/train/trainer.hpp"
#include "formats/dataset.hpp"
#include "tests/core/random_nets.hpp"
#include "tests/test_support.hpp"

#include <cmath>
#include <random>

namespace nncert {
namespace {

Dataset random_pixels(std::mt19937_64& rng, std::size_t features, std::size_t n) {
  std::uniform_int_distribution<int> pixel(0, 255);
  Dataset d;
  d.name = "random";
  d.raw = Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic>(features, n);
  for (Eigen::Index i = 0; i < d.raw->size(); ++i) d.raw->data()[i] = pixel(rng);
  d.X = d.raw->cast<double>() / 255.0;
  return d;
}

void check_error_bound(const Network& net, int bits, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const Network folded = fold(net);
  const Dataset data = random_pixels(rng, net.input_size, 64);
  PtqOptions options;
  options.bits = bits;
  fit_input_grid(data, options);
  ASSERT_EQ(options.cx, (QConfig{false, 8, 8}));
  ASSERT_EQ(options.input_divisor, 255.0);
  const QuantPlan plan = calibrated_plan(folded, data.X, options);
  const QNetwork q = quantize_with_plan(folded, plan);
  ASSERT_EQ(check_qnetwork(q), "");
  std::vector<const Dense*> dense;
  for (const auto& l : folded.layers)
    if (const auto* d = std::get_if<Dense>(&l)) dense.push_back(d);
  double worst_ratio = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto trace = evaluate_trace(q, data.raw_sample(i));
    Vector x = data.X.col(static_cast<Eigen::Index>(i));  // float activations
    Vector e = Vector::Zero(x.size());                     // bound on |x^ - x| in real units
    // Layer 0 reads r / 2^Fx on the QNetwork side: the float side is the same value scaled.
    x *= 255.0 / 256.0;
    for (std::size_t l = 0; l < q.layers.size(); ++l) {
      const QLayer& layer = q.layers[l];
      const int fx = l == 0 ? q.cx.frac : q.layers[l - 1].cy.frac;
      const Matrix Wf = l == 0 ? Matrix(dense[l]->W * (256.0 / 255.0)) : dense[l]->W;
      Vector xq(static_cast<Eigen::Index>(layer.inputs));
      for (std::size_t k = 0; k < layer.inputs; ++k) xq[static_cast<Eigen::Index>(k)] = std::ldexp(static_cast<double>(trace[l][k]), -fx);
      const Vector z = Wf * x + dense[l]->b;
      const Vector y = layer.relu ? Vector(z.cwiseMax(0.0)) : z;
      Vector bound(static_cast<Eigen::Index>(layer.outputs));
      for (std::size_t j = 0; j < layer.outputs; ++j) {
        const auto J = static_cast<Eigen::Index>(j);
        double b = std::ldexp(1.0, -(layer.cy.frac + 1)) +
                   std::abs(std::ldexp(static_cast<double>(layer.b[j]), -layer.cb.frac) - dense[l]->b[J]);
        for (std::size_t k = 0; k < layer.inputs; ++k) {
          const auto K = static_cast<Eigen::Index>(k);
          const double w = std::ldexp(static_cast<double>(layer.weight(j, k)), -layer.cw.frac);
          b += std::abs(w - Wf(J, K)) * std::abs(xq[K]) + std::abs(Wf(J, K)) * e[K];
        }
        bound[J] = b;
        // The precondition: max-abs calibration keeps the float value on the output grid.
        const double scaled = std::ldexp(y[J], layer.cy.frac);
        EXPECT_GE(scaled, static_cast<double>(layer.cy.lo()) - 0.5 - 1e-9);
        EXPECT_LE(scaled, static_cast<double>(layer.cy.hi()) + 0.5 + 1e-9);
        const double actual = std::abs(std::ldexp(static_cast<double>(trace[l + 1][j]), -layer.cy.frac) - y[J]);
        EXPECT_LE(actual, b + 1e-9) << "sample " << i << " layer " << l << " neuron " << j;
        const double range = std::ldexp(static_cast<double>(layer.cy.hi()), -layer.cy.frac);
        worst_ratio = std::max(worst_ratio, actual / range);
      }
      x = y;
      e = bound;
    }
    // And the whole float network (unfolded) agrees with the folded one used above.
    const Vector direct = evaluate(net, Vector(data.X.col(static_cast<Eigen::Index>(i))));
    EXPECT_LE((direct - x).cwiseAbs().maxCoeff(), 1e-9 * (1 + direct.cwiseAbs().maxCoeff()));
  }
  // Not a bound, a sanity floor on calibration: with 12 bits the worst output error is a small
  // fraction of the output range.
  if (bits >= 12) {
    EXPECT_LT(worst_ratio, 0.02);
  }
}

TEST(Ptq, RandomNetworksStayWithinTheDerivedErrorBound) {
  std::mt19937_64 rng(7);
  const std::vector<std::vector<int>> shapes{{4, 6, 3}, {9, 12, 8, 5}, {16, 10, 10, 10, 4}};
  for (int bits : {4, 6, 8, 12, 16}) {
    for (std::size_t s = 0; s < shapes.size(); ++s) {
      SCOPED_TRACE("bits " + std::to_string(bits) + " shape " + std::to_string(s));
      const Network net = test::random_float_network(rng, shapes[s]);
      check_error_bound(net, bits, 100 + s);
    }
  }
}

TEST(Ptq, FracForMagnitudeIsTheFinestGridWithoutClamping) {
  // 0.75 on <signed,4,F>: hi = 7, 0.75 * 8 = 6 fits, 0.75 * 16 = 12 does not.
  EXPECT_EQ(frac_for_magnitude(0.75, true, 4, 0), 3);
  EXPECT_EQ(frac_for_magnitude(0.75, false, 4, 0), 4);  // unsigned hi = 15: 12 fits
  EXPECT_EQ(frac_for_magnitude(100.0, true, 8, 0), 0);   // 100 <= 127
  EXPECT_EQ(frac_for_magnitude(300.0, true, 8, 0), -2);  // 300 / 4 = 75
  EXPECT_EQ(frac_for_magnitude(0.0, true, 8, 5), 5);
  // Round half up: 7.5 rounds to 8 > 7 on <signed,4,0>, so F = -1.
  EXPECT_EQ(frac_for_magnitude(7.5, true, 4, 0), -1);
  EXPECT_EQ(frac_for_magnitude(7.49, true, 4, 0), 0);
}

TEST(Ptq, PercentileClipsOutliersForResolution) {
  Matrix v = Matrix::Constant(1, 1000, 0.5);
  v(0, 0) = 100;
  CalibrationOptions max_abs, pct{RangeMethod::Percentile, 99.0}, mse{RangeMethod::Mse, 0};
  EXPECT_EQ(choose_frac(v, true, 8, max_abs), 0);
  EXPECT_EQ(choose_frac(v, true, 8, pct), 7);  // 0.5 * 2^7 = 64 <= 127
  // One outlier among 999 halves: clipping it costs more than rounding 0.5 to 1, so MSE keeps F = 0.
  EXPECT_EQ(choose_frac(v, true, 8, mse), 0);
  // 20000 values 0.37 and one 64 (squared errors worked by hand, round half up):
  // F=0: 0.37 -> 0, 2738; F=1: 0.37 -> 0.5, 64 -> 63.5, 338.25; F=2: 0.37 -> 0.25, 64 -> 31.75, 1328.
  Matrix w = Matrix::Constant(1, 20001, 0.37);
  w(0, 0) = 64;
  EXPECT_EQ(choose_frac(w, true, 8, max_abs), 0);
  EXPECT_EQ(choose_frac(w, true, 8, mse), 1);
}

TEST(Ptq, BiasFracNeverExceedsWeightPlusInputFrac) {
  // A tiny weight and a huge bias: the bias grid must stay aligned (Fb <= Fw + Fx).
  Network net{2, {Dense{Matrix::Constant(1, 2, 1e-3), Vector::Constant(1, 1e-6)}}};
  Dataset d;
  d.raw = Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic>::Constant(2, 3, 200);
  d.X = d.raw->cast<double>() / 255.0;
  PtqOptions o;
  o.bits = 8;
  fit_input_grid(d, o);
  const QuantPlan plan = calibrated_plan(net, d.X, o);
  EXPECT_LE(plan.layers[0].cb.frac, plan.layers[0].cw.frac + plan.cx.frac);
  EXPECT_EQ(check_qnetwork(quantize_with_plan(net, plan)), "");
}

TEST(Ptq, FashionMnistAgreementAtEightBits) {
  NNCERT_REQUIRE_FASHION_MNIST();
  const Dataset train_all = load_dataset("fashion-mnist", "train");
  const Dataset train_part = subset(train_all, 0, 5999);
  TrainConfig config;
  config.epochs = 2;
  config.seed = 3;
  const Network net = train(make_mlp({784, 32, 10}, false, 3), train_part, config).network;
  const Dataset test = subset(load_dataset("fashion-mnist", "test"), 0, 1999);
  for (int bits : {8, 6}) {
    PtqOptions o;
    o.bits = bits;
    const Dataset calib = subset(train_all, 10000, 10999);
    fit_input_grid(calib, o);
    const QNetwork q = quantize_with_plan(net, calibrated_plan(net, calib.X, o));
    const Agreement a = compare_predictions(net, q, test);
    SCOPED_TRACE("bits " + std::to_string(bits));
    EXPECT_GT(a.float_accuracy(), 0.75);
    EXPECT_GE(a.agreement(), bits == 8 ? 0.98 : 0.93);
    EXPECT_NEAR(a.quantized_accuracy(), a.float_accuracy(), bits == 8 ? 0.01 : 0.03);
  }
}

}  // namespace
}  // namespace nncert
