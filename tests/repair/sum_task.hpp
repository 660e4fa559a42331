// The tiny regression task the repair tests share: y = x0 + x1 on [0, 1]^2, and the property
// "for x0 <= x0_max the output stays below cap" (unsafe: y >= cap), which the data violate when
// x0_max + 1 > cap.
#pragma once

#include "certifier/verify/linear_property.hpp"
#include "formats/dataset.hpp"
#include "formats/vnnlib.hpp"

#include <random>
#include <string>

namespace nncert::test {

// n samples, seeded; Gaussian noise of `noise_sigma` on the target (0 = none, no draw).
inline Dataset sum_data(std::size_t n, std::uint64_t seed, double noise_sigma) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> noise(0, noise_sigma > 0 ? noise_sigma : 1);
  Dataset d;
  d.name = "sum";
  d.X.resize(2, static_cast<Eigen::Index>(n));
  d.targets.resize(1, static_cast<Eigen::Index>(n));
  for (Eigen::Index i = 0; i < d.X.cols(); ++i) {
    d.X(0, i) = u(rng);
    d.X(1, i) = u(rng);
    d.targets(0, i) = d.X(0, i) + d.X(1, i) + (noise_sigma > 0 ? noise(rng) : 0.0);
  }
  return d;
}

inline LinearProperty cap_property(double x0_max, double cap) {
  const std::string text = "(declare-const X_0 Real) (declare-const X_1 Real) (declare-const Y_0 Real)"
                           "(assert (<= 0 X_0)) (assert (<= X_0 " + std::to_string(x0_max) + "))"
                           "(assert (<= 0 X_1)) (assert (<= X_1 1))"
                           "(assert (>= Y_0 " + std::to_string(cap) + "))";
  return linear_property_from_vnnlib(parse_vnnlib(text, "cap.vnnlib", 2, 1), "cap.vnnlib");
}

}  // namespace nncert::test
