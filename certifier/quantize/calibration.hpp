// Calibration for post-training quantization: the range each layer's outputs take on sample
// data, and the fractional bits F that fit a range into Q bits. The float network is run on
// the calibration samples once; statistics are max-abs, a percentile of |value| (clips rare
// outliers to gain resolution), or the F minimising the mean squared quantization error.
#pragma once

#include "certifier/core/network.hpp"
#include "certifier/core/qnetwork.hpp"

#include <vector>

namespace nncert {

enum class RangeMethod { MaxAbs, Percentile, Mse };

struct CalibrationOptions {
  RangeMethod method = RangeMethod::MaxAbs;
  double percentile = 99.99;  // Percentile: of |value| over all neurons and samples of a layer
};

// Outputs of every Dense layer of a folded Dense (ReLU Dense)* network on X (inputs x N):
// post-ReLU for hidden layers (what the QNetwork stores), raw for the last one.
std::vector<Matrix> layer_outputs(const Network& folded, const Matrix& X);

// Largest F such that +-magnitude quantizes onto the grid of <signed/unsigned, bits, F>
// without clamping (round half up); `fallback` when magnitude is 0.
int frac_for_magnitude(double magnitude, bool is_signed, int bits, int fallback);

// The fractional bits for values (any shape) under `options`, for <is_signed, bits, F>.
int choose_frac(const Matrix& values, bool is_signed, int bits, const CalibrationOptions& options);

std::string to_string(RangeMethod method);

}  // namespace nncert
