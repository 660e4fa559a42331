// Post-training quantization (DESIGN §3.2): a folded float network -> a QNetwork with per-layer
// <signed,Q,F> weights, biases and outputs, where each F is chosen from the weights themselves
// and from the layer outputs on calibration data (calibration.hpp) to fit Q bits.
#pragma once

#include "certifier/quantize/calibration.hpp"
#include "certifier/quantize/quant_plan.hpp"
#include "formats/dataset.hpp"

namespace nncert {

struct PtqOptions {
  int bits = 8;  // Q, 2..16
  CalibrationOptions calibration;
  QConfig cx{false, 8, 8};
  double input_divisor = 255;
};

// The input grid for a dataset's integer features: <unsigned,B,B> for non-negative ones
// (pixels: <unsigned,8,8>), <signed,B,B-1> otherwise, B the fewest bits holding the range; and
// the divisor that maps those integers to the normalised features X. InputError when the data
// has no integer features or they need more than 16 bits.
void fit_input_grid(const Dataset& data, PtqOptions& options);

// F for every layer: weights by max-abs (or MSE), biases by max-abs capped at Fw + Fx (exact
// bias alignment), outputs from the float layer outputs on X_calib (features x N, normalised).
QuantPlan calibrated_plan(const Network& folded, const Matrix& X_calib, const PtqOptions& options);

}  // namespace nncert
