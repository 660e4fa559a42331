// The convex core of every output repair: the shortest vector s with G s >= h (least sum of
// squares), a QP solved by COIN-OR Clp's quadratic primal simplex.
#pragma once

#include <optional>
#include <utility>
#include <vector>

namespace nncert {

struct ShiftRow {
  std::vector<std::pair<int, double>> terms;  // sum coef * s[index] >= need
  double need = 0;
};

// min ||s||^2 over s in R^n subject to the rows; nullopt when they are infeasible.
std::optional<std::vector<double>> least_shift(const std::vector<ShiftRow>& rows, int n);

}  // namespace nncert
