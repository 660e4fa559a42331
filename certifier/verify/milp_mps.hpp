// MILP problems as free-format MPS text, so that any MILP solver can re-check an exported query
// (issue 16: a proof someone else can check). Re-checks read the file with a backend's own MPS
// reader (solve_mps_file: GLPK's glp_read_mps, CBC's CoinMpsIO), never with an nncert parser.
#pragma once

#include "certifier/verify/milp_solver.hpp"

#include <string>

namespace nncert {

// Free MPS: every column with explicit bounds (no reader-dependent defaults for integer columns),
// integer columns between MARKER lines, ranged rows through RANGES. MPS has no portable objective
// sense, so a maximization is written as the minimization of the negated objective: the feasible
// set, and so the feasibility verdict the file certifies, is the same.
std::string to_mps(const MilpProblem& problem, const std::string& name);
// The re-check, solve_mps_file, lives with the backends in milp_solver.hpp.

}  // namespace nncert
