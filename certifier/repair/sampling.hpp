// Data augmentation around a repaired counterexample (Zavatteri et al. ECAI'24 §3.2): S noisy
// copies of (x, y_repaired), Gaussian noise on the continuous inputs and on the outputs; integer
// inputs are left alone. Unlike the paper's code, inputs are clamped to the property's domain and
// a sample is kept only if some precondition holds at it AND the postcondition holds there.
#pragma once

#include "certifier/verify/linear_property.hpp"

#include <cstdint>
#include <random>
#include <vector>

namespace nncert {

struct SamplingOptions {
  std::size_t samples = 20;  // S, trials per counterexample
  double input_sigma = 0.1;  // standard deviation, in the inputs' own units
  double output_sigma = 0.1;
};

// Per copy, the smallest box holding every case's box: where sampled inputs are clamped.
std::vector<Box> property_domain(const LinearProperty& p);

// The kept samples (each satisfies pre and post, non-strictly: outside every unsafe case).
std::vector<Assignment> sample_around(const LinearProperty& p, const std::vector<Box>& domain, const Assignment& repaired,
                                      const SamplingOptions& options, std::mt19937_64& rng);

}  // namespace nncert
