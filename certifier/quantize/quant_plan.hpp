// The per-layer fixed-point configurations of a quantized network (DESIGN §3.2) and the two maps
// between a folded float network and a QNetwork under them: quantize (round half up, clamp) and
// dequantize (the float network whose weights are exactly the grid values). PTQ, the QVIP scheme
// and quantization-aware training all go through these, so they round the same way.
#pragma once

#include "certifier/core/network.hpp"
#include "certifier/core/qnetwork.hpp"

#include <cstddef>
#include <vector>

namespace nncert {

struct LayerPlan {
  QConfig cw, cb, cy;
};

struct QuantPlan {
  QConfig cx{false, 8, 8};
  // The float network reads x = r / input_divisor for the integer input r (255 for pixels
  // normalised to [0,1]); the QNetwork reads r as r * 2^-Fx. The first layer absorbs the ratio.
  // QVIP's scheme uses 256 with Fx = 8: the float network is taken to read p / 256 as is.
  double input_divisor = 255;
  std::vector<LayerPlan> layers;  // one per Dense layer
};

// The Dense layers of a folded network of the form Dense (ReLU Dense)*; throws InputError
// naming the first layer that breaks that shape (call fold() first).
std::vector<const Dense*> dense_chain(const Network& folded);

// Weights of Dense layer l as the QNetwork sees them: layer 0 is rescaled by 2^Fx / divisor.
Matrix effective_weights(const Dense& d, std::size_t l, const QuantPlan& plan);

// Every weight and bias through quantize_value (round half up, clamped to its grid).
QNetwork quantize_with_plan(const Network& folded, const QuantPlan& plan);

// How many weights and biases the clamp changed by more than rounding (0 when the plan covers
// the network's range).
std::size_t clamped_parameters(const Network& folded, const QuantPlan& plan);

// The float network (Dense/ReLU, same structure as the folded original) with the QNetwork's
// weights and biases as exact grid values, reading x = r / input_divisor. Requantization of the
// activations is not part of it.
Network dequantize(const QNetwork& q, double input_divisor);

// dequantize(quantize_with_plan(net)): the forward weights of quantization-aware training.
Network fake_quantize(const Network& folded, const QuantPlan& plan);

}  // namespace nncert
