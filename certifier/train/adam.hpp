// Adam (Kingma & Ba, ICLR'15), with PyTorch's arithmetic so that the PyTorch cross-check can
// match to rounding: p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
#pragma once

#include "certifier/core/network.hpp"

#include <cstddef>

namespace nncert {

struct AdamConfig {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-7;  // the (Keras') default; PyTorch's is 1e-8
};

// Moment estimates for every trainable tensor of one network shape.
class Adam {
 public:
  Adam(const AdamConfig& config, const Network& shape);

  // One step on every trainable tensor of `net` with the gradients in `grads` (same structure),
  // at learning rate `lr` (the schedule's current value).
  void step(Network& net, const Network& grads, double lr);
  std::size_t steps() const { return t_; }

 private:
  AdamConfig config_;
  Network m_, v_;  // first and second moments, shaped like the network
  std::size_t t_ = 0;
};

}  // namespace nncert
