#include "certifier/quantize/calibration.hpp"

#include "certifier/core/error.hpp"
#include "certifier/quantize/quant_plan.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nncert {

namespace {

// Beyond these the shifts of DESIGN §3.2 stop being exact in int64; real layers never get close.
constexpr int kMinFrac = -24, kMaxFrac = 40;

double percentile_of_abs(const Matrix& values, double p) {
  std::vector<double> a(static_cast<std::size_t>(values.size()));
  Eigen::Map<Eigen::ArrayXd>(a.data(), values.size()) = values.reshaped().array().abs();
  if (a.empty()) return 0;
  const auto k = static_cast<std::size_t>(std::clamp(std::ceil(p / 100.0 * static_cast<double>(a.size())) - 1, 0.0,
                                                     static_cast<double>(a.size() - 1)));
  std::nth_element(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(k), a.end());
  return a[k];
}

double quantization_mse(const Matrix& values, const QConfig& c) {
  double sum = 0;
  for (Eigen::Index i = 0; i < values.size(); ++i) {
    const double v = values.reshaped()(i);
    const double q = std::ldexp(static_cast<double>(quantize_value(v, c)), -c.frac);
    sum += (q - v) * (q - v);
  }
  return values.size() ? sum / static_cast<double>(values.size()) : 0;
}

}  // namespace

std::string to_string(RangeMethod method) {
  switch (method) {
    case RangeMethod::MaxAbs: return "max-abs";
    case RangeMethod::Percentile: return "percentile";
    case RangeMethod::Mse: return "mse";
  }
  return "?";
}

std::vector<Matrix> layer_outputs(const Network& folded, const Matrix& X) {
  const auto dense = dense_chain(folded);
  std::vector<Matrix> out;
  Matrix A = X;
  for (std::size_t l = 0; l < dense.size(); ++l) {
    Matrix Z = (dense[l]->W * A).colwise() + dense[l]->b;
    if (l + 1 != dense.size()) Z = Z.cwiseMax(0.0);
    A = Z;
    out.push_back(std::move(Z));
  }
  return out;
}

int frac_for_magnitude(double magnitude, bool is_signed, int bits, int fallback) {
  if (!std::isfinite(magnitude)) throw InputError("calibration", "range", "a layer's range is not finite");
  if (magnitude <= 0) return fallback;
  const double hi = is_signed ? std::ldexp(1.0, bits - 1) - 1 : std::ldexp(1.0, bits) - 1;
  for (int f = kMaxFrac; f > kMinFrac; --f)
    if (std::floor(std::ldexp(magnitude, f) + 0.5) <= hi) return f;
  return kMinFrac;
}

int choose_frac(const Matrix& values, bool is_signed, int bits, const CalibrationOptions& options) {
  const double max_abs = values.size() ? values.cwiseAbs().maxCoeff() : 0.0;
  const int fallback = bits - (is_signed ? 1 : 0);
  switch (options.method) {
    case RangeMethod::MaxAbs: return frac_for_magnitude(max_abs, is_signed, bits, fallback);
    case RangeMethod::Percentile:
      if (!(options.percentile > 0 && options.percentile <= 100))
        throw InputError("--percentile", std::to_string(options.percentile), "expected a value in (0, 100]");
      return frac_for_magnitude(percentile_of_abs(values, options.percentile), is_signed, bits, fallback);
    case RangeMethod::Mse: {
      // Finer grids trade clipping of the largest values for resolution; try a few steps finer
      // than max-abs (coarser only adds rounding error) and keep the best on the data.
      const int f0 = frac_for_magnitude(max_abs, is_signed, bits, fallback);
      int best = f0;
      double best_err = std::numeric_limits<double>::infinity();
      for (int f = f0; f <= std::min(f0 + 4, kMaxFrac); ++f) {
        const double err = quantization_mse(values, QConfig{is_signed, bits, f});
        if (err < best_err) best_err = err, best = f;
      }
      return best;
    }
  }
  return fallback;
}

}  // namespace nncert
