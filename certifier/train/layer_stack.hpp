// Forward and backward passes through a float Network (DESIGN §3.1) for training: batched
// (one column per sample), BatchNorm in train mode (batch statistics, Ioffe & Szegedy 2015)
// or eval mode (running statistics). The trainer, the pruning fine-tuner and quantization-aware
// training (straight-through estimator: forward on transformed weights, gradient applied to the
// master weights) all drive training through these functions.
#pragma once

#include "certifier/core/network.hpp"

#include <vector>

namespace nncert {

// What the backward pass needs from the forward pass, per layer.
struct Tape {
  std::vector<Matrix> inputs;      // input of every layer (features x N)
  std::vector<Matrix> normalized;  // BatchNorm (train mode): (x - batch mean) / batch std; else empty
  std::vector<Vector> inv_std;     // BatchNorm (train mode): 1 / sqrt(batch var + eps); else empty
  std::vector<Vector> batch_mean;  // BatchNorm (train mode): the batch statistics, for the running ones
  std::vector<Vector> batch_var;   // biased (divided by N), as used for normalisation
};

// Runs `net` on X (inputs x N). With `train_mode`, every BatchNorm normalises with the batch's
// statistics and records them in `tape` (update the running ones with update_running_stats);
// otherwise it uses its running statistics and the pass equals evaluate(net, X).
Matrix forward(const Network& net, const Matrix& X, bool train_mode, Tape& tape);

// Given dL/dY for the output of the forward pass recorded in `tape`, writes the gradient of every
// trainable tensor into `grads` (same structure as `net`, see zeros_like; Dense {dW, db}, BatchNorm
// {dgamma, dbeta}) and returns dL/dX when `input_gradient` is set (else an empty matrix: the first
// layer's input gradient is the most expensive product and training never needs it).
Matrix backward(const Network& net, const Tape& tape, const Matrix& dY, Network& grads, bool input_gradient = false);

// PyTorch's rule: running = (1 - momentum) * running + momentum * batch, with the unbiased
// batch variance (N / (N - 1)) for the running variance.
void update_running_stats(Network& net, const Tape& tape, double momentum);

// Same layer structure and shapes as `net`, every trainable tensor zero.
Network zeros_like(const Network& net);

// The trainable tensors of a network in a fixed order (Dense W then b, BatchNorm gamma then
// beta), as flat views; `weights` marks the Dense weight matrices (what L2 decay and pruning touch).
struct ParameterView {
  double* data;
  Eigen::Index size;
  std::size_t layer;
  bool weights;  // a Dense W
  bool gamma;    // a BatchNorm gamma
  Eigen::Map<Eigen::ArrayXd> values() const { return {data, size}; }
};
std::vector<ParameterView> parameters(Network& net);

}  // namespace nncert
