// Magnitude-based weight pruning (Han et al., "Learning both Weights and Connections", NIPS'15,
// §3): zero the smallest |w| of the Dense weight matrices, by threshold or to a target sparsity,
// per layer or globally; the returned masks keep the pruned weights at zero during fine-tuning.
#pragma once

#include "certifier/core/network.hpp"
#include "certifier/train/trainer.hpp"

#include <optional>
#include <vector>

namespace nncert {

struct WeightPruningOptions {
  std::optional<double> sparsity;   // fraction of weights to zero, in [0, 1)
  std::optional<double> threshold;  // or: zero every |w| < threshold
  bool global = false;              // sparsity over all layers together (else each layer alone)
  bool include_output = true;       // prune the last Dense layer too
};

// Zeroes weights of `net` in place and returns one mask per Dense layer (1 = kept). Weights that
// were already zero stay pruned. Biases are never pruned. Throws InputError on bad options.
std::vector<WeightMask> prune_weights(Network& net, const WeightPruningOptions& options);

// Fraction of Dense weights that are exactly zero (0 when there are none).
double weight_sparsity(const Network& net);
std::size_t nonzero_weights(const Network& net);

}  // namespace nncert
