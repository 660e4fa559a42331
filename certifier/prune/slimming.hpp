// Network slimming (Liu et al., "Learning Efficient Convolutional Networks through Network
// Slimming", ICCV'17, §3.2-3.3): after training with an L1 penalty on BatchNorm gammas
// (TrainConfig::slim_l1), remove the hidden neurons with the smallest |gamma| by a global
// ratio or threshold, physically shrinking Dense -> BatchNorm -> ReLU and the next Dense's inputs.
#pragma once

#include "certifier/core/network.hpp"

#include <optional>
#include <vector>

namespace nncert {

struct SlimmingOptions {
  std::optional<double> ratio;      // fraction of all prunable neurons to remove, in [0, 1)
  std::optional<double> threshold;  // or: remove every neuron with |gamma| <= threshold
  std::size_t min_neurons = 1;      // every layer keeps at least this many
};

struct SlimmedLayer {
  std::size_t layer;  // index of the BatchNorm in the input network
  std::size_t before, after;
};

// Returns the slimmed network. A removed neuron's BatchNorm output is taken as the constant
// beta (exact when gamma = 0), so relu(beta) * (its column of the next Dense) moves into the
// next bias: removing zero-gamma neurons leaves the function unchanged. Only neurons in a
// Dense -> BatchNorm -> ReLU -> Dense pattern are prunable; throws InputError if there are none.
Network slim(const Network& net, const SlimmingOptions& options, std::vector<SlimmedLayer>* report = nullptr);

// Hidden neurons (outputs of every Dense except the last).
std::size_t hidden_neurons(const Network& net);

}  // namespace nncert
