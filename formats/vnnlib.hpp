// VNN-LIB properties (the VNN-COMP subset, vnnlib.org) and VNN-COMP result files.
// A property states the *counterexample* region: `sat` means some input in it violates the spec.
#pragma once

#include "certifier/core/network.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace nncert {

// sum_i x_coef[i] * X_i + sum_j y_coef[j] * Y_j  <=  rhs   (>= atoms are negated on parsing).
struct VnnlibAtom {
  std::vector<std::pair<std::size_t, double>> x_terms, y_terms;
  double rhs = 0;
  std::string position;  // "line:column" of the atom, for later error messages
};

// The conjunction of all asserts in disjunctive normal form: the counterexample region is the
// union over `terms` of the conjunction of their atoms.
struct VnnlibSpec {
  std::size_t num_inputs = 0, num_outputs = 0;  // highest declared index + 1
  std::vector<std::vector<VnnlibAtom>> terms;
};

// Parses `text`. `expected_inputs` / `expected_outputs` (0 = don't check) reject indices beyond
// the network. Throws InputError("<name>", "line L:C", what) on anything outside the subset:
// unknown variable, wrong arity, unsupported operator, non-finite numbers, non-linear terms.
// Supported: declare-const X_i/Y_i Real, assert, and, or, <=, >=, < and > (read as non-strict:
// the region differs by a measure-zero boundary), +, -, * by a constant, comments.
VnnlibSpec parse_vnnlib(const std::string& text, const std::string& name_for_errors,
                        std::size_t expected_inputs = 0, std::size_t expected_outputs = 0);
VnnlibSpec load_vnnlib(const std::string& path, std::size_t expected_inputs = 0, std::size_t expected_outputs = 0);

// VNN-COMP result file: "unsat", "timeout", "unknown", or "sat" followed by the assignment
// ((X_0 v) ... (Y_0 v) ...) with values printed to round-trip exactly (%.17g).
enum class VnnResult { Sat, Unsat, Timeout, Unknown, Error };
std::string format_vnn_result(VnnResult result, const Vector* x = nullptr, const Vector* y = nullptr);

}  // namespace nncert
