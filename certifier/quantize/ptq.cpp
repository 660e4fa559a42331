#include "certifier/quantize/ptq.hpp"

#include "certifier/core/error.hpp"

#include <algorithm>
#include <cmath>

namespace nncert {

void fit_input_grid(const Dataset& data, PtqOptions& options) {
  if (!data.raw) throw InputError(data.name, "features", "quantization needs integer features (raw pixels)");
  const auto& R = *data.raw;
  if (R.size() == 0) throw InputError(data.name, "features", "no samples to calibrate on");
  const std::int64_t lo = R.minCoeff(), hi = R.maxCoeff();
  const bool is_signed = lo < 0;
  int bits = 1;
  while (bits <= 16 && (is_signed ? (lo < -(std::int64_t{1} << (bits - 1)) || hi >= (std::int64_t{1} << (bits - 1)))
                                  : hi >= (std::int64_t{1} << bits)))
    ++bits;
  bits = std::max(bits, 2);
  if (bits > 16) throw InputError(data.name, "features", "integer features need more than 16 bits");
  options.cx = QConfig{is_signed, bits, is_signed ? bits - 1 : bits};
  // X = R / divisor; read the divisor off the largest integer feature.
  Eigen::Index r = 0, c = 0;
  R.cwiseAbs().maxCoeff(&r, &c);
  if (R(r, c) == 0 || data.X(r, c) == 0) {
    options.input_divisor = 1;
    return;
  }
  options.input_divisor = static_cast<double>(R(r, c)) / data.X(r, c);
  // Typical normalisations are exact integers (255, 1); snap tiny floating-point drift.
  if (std::abs(options.input_divisor - std::round(options.input_divisor)) < 1e-9 * options.input_divisor)
    options.input_divisor = std::round(options.input_divisor);
}

QuantPlan calibrated_plan(const Network& folded, const Matrix& X_calib, const PtqOptions& options) {
  if (options.bits < 2 || options.bits > 16)
    throw InputError("--bits", std::to_string(options.bits), "expected Q in 2..16");
  if (X_calib.cols() == 0) throw InputError("calibration", "samples", "no calibration samples");
  if (X_calib.rows() != static_cast<Eigen::Index>(folded.input_size))
    throw InputError("calibration", "features",
                     "has " + std::to_string(X_calib.rows()) + " features, the network " +
                         std::to_string(folded.input_size) + " inputs");
  const auto dense = dense_chain(folded);
  const std::vector<Matrix> outputs = layer_outputs(folded, X_calib);
  QuantPlan plan;
  plan.cx = options.cx;
  plan.input_divisor = options.input_divisor;
  CalibrationOptions weight_options = options.calibration;
  // Clipping a few large weights moves every output that uses them: keep weights whole.
  if (weight_options.method == RangeMethod::Percentile) weight_options.method = RangeMethod::MaxAbs;
  int fx = plan.cx.frac;
  const int q = options.bits;
  for (std::size_t l = 0; l < dense.size(); ++l) {
    const bool last = l + 1 == dense.size();
    LayerPlan p;
    p.cw = QConfig{true, q, choose_frac(effective_weights(*dense[l], l, plan), true, q, weight_options)};
    const int fb = choose_frac(dense[l]->b, true, q, CalibrationOptions{});
    p.cb = QConfig{true, q, std::min(fb, p.cw.frac + fx)};
    p.cy = QConfig{last, q, choose_frac(outputs[l], last, q, options.calibration)};
    plan.layers.push_back(p);
    fx = p.cy.frac;
  }
  return plan;
}

}  // namespace nncert
