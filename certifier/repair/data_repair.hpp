// Training targets that contradict the property, moved the least distance into it before the
// loop starts (nncert's addition to the CEGIS loop; `--keep-data` turns it off). The paper keeps
// them: MANNERS-DB's human ratings violate both its properties (30% of P1's precondition rows, 39%
// of P2's pairs), so every retraining is pulled back toward a violation and the loop converges,
// if at all, to networks that predict little more than the mean. One copy: each contradicting
// row's target is repaired as a counterexample would be (output_repair). Two copies: one joint QP
// over every pair of rows meeting the two preconditions (a case with one output atom each).
#pragma once

#include "certifier/repair/output_repair.hpp"
#include "formats/dataset.hpp"

#include <string>

namespace nncert {

struct DataRepairReport {
  std::size_t rows_changed = 0;  // rows whose targets moved
  std::size_t pairs = 0;         // two copies: constrained pairs
  double cost = 0;               // sum of squared target changes
  std::string note;              // why nothing was done, when nothing was
};

// Regression data only (targets); classification data are left as they are.
DataRepairReport repair_targets(const LinearProperty& p, Dataset& data, const OutputRepairOptions& options);

}  // namespace nncert
