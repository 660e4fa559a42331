// MLP architectures from a string ("784:64:32:16:10", optional BatchNorm after every hidden
// Dense), He/Kaiming-initialised by seed: the seed networks of NeVer 2.0 (Guidotti et al., §4).
#pragma once

#include "certifier/core/network.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace nncert {

// "784:64:32:16:10" -> {784, 64, 32, 16, 10}. At least two positive widths; throws InputError.
std::vector<std::size_t> parse_architecture(const std::string& spec);

// Dense [-> BatchNorm] -> ReLU for every hidden width, then a final Dense (logits).
// Weights ~ N(0, 2 / fan_in) (He et al. 2015), biases 0, BatchNorm gamma 1, beta 0, running
// mean 0, running var 1. The same widths and seed give the same weights on every machine
// (our own normal sampler on top of mt19937_64, not the implementation-defined std one).
Network make_mlp(const std::vector<std::size_t>& widths, bool batch_norm, std::uint64_t seed);

}  // namespace nncert
