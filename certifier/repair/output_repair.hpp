// Repair of one counterexample (Zavatteri et al. ECAI'24 §3.2): the least change s of the
// outputs, min ||s||^2, such that post(x, y + s) holds, the inputs kept. The repaired pair is the
// new training target. The postcondition is the complement of the property's unsafe cases at x:
// every case whose precondition holds must have one output atom violated, here by `margin`
// (so that a network reproducing the target is not flagged again). Choosing the violated atom per
// case makes each choice a convex QP (solved by COIN-OR Clp); the cheapest feasible choice wins.
#pragma once

#include "certifier/repair/least_shift.hpp"
#include "certifier/verify/linear_property.hpp"

#include <functional>

#include <optional>
#include <vector>

namespace nncert {

struct OutputRepairOptions {
  double margin = 1e-4;               // distance kept from each violated atom's boundary
  std::size_t max_choices = 4096;     // atom choices tried exactly; beyond, the cheapest atom per case
};

struct OutputRepair {
  std::vector<Vector> y;  // repaired outputs, one per copy
  double cost = 0;        // ||s||^2
};

// The QP row "atom `lhs <= rhs` violated by `margin` after the shift": lhs(y + s) >= rhs + margin,
// output j of copy k being shift variable first_column(k) + j.
ShiftRow violation_row(const LinearAtom& atom, const Assignment& a, double margin,
                       const std::function<int(std::size_t copy)>& first_column);

// nullopt when no outputs satisfy the postcondition at a.x (a case without output atoms applies,
// or the chosen atoms contradict each other for every choice): nothing can repair that input.
std::optional<OutputRepair> repair_outputs(const LinearProperty& p, const Assignment& a,
                                           const OutputRepairOptions& options = {});

}  // namespace nncert
