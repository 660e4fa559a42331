// Cheap attacks on quantized networks, run before any solver (issue 6: "cheap attacks first"):
// greedy coordinate search on the integer grid that maximizes the unsafe margin of the property,
// from the centre and from random points of the region, with incremental first-layer updates.
// Only a point that replays on the reference evaluator is returned.
#pragma once

#include "certifier/verify/qnn_property.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace nncert {

struct QAttackOptions {
  int restarts = 3;            // random starting points besides the centre
  int sweeps = 2;              // passes over all coordinates per start
  std::uint64_t seed = 0;
};

// max over disjuncts of min over its rows of (c . y - rhs): >= 0 exactly when y is unsafe.
std::int64_t unsafe_margin(const QProperty& p, const std::vector<std::int64_t>& y);

std::optional<std::vector<std::int64_t>> attack(const QNetwork& net, const QProperty& p, const QAttackOptions& options);

}  // namespace nncert
