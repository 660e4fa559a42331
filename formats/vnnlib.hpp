// VNN-LIB properties (the VNN-COMP subset, vnnlib.org) and VNN-COMP result files.
// A property states the *counterexample* region: `sat` means some input in it violates the spec.
#pragma once

#include "certifier/core/network.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace nncert {

// sum_i x_coef[i] * X_i + sum_j y_coef[j] * Y_j (+ the same over the second copy's Xp_i, Yp_i)
// <= rhs   (>= atoms are negated on parsing).
struct VnnlibAtom {
  std::vector<std::pair<std::size_t, double>> x_terms, y_terms;
  std::vector<std::pair<std::size_t, double>> xp_terms, yp_terms;  // second copy (relational properties)
  double rhs = 0;
  std::string position;  // "line:column" of the atom, for later error messages
};

// The conjunction of all asserts in disjunctive normal form: the counterexample region is the
// union over `terms` of the conjunction of their atoms.
struct VnnlibSpec {
  std::size_t num_inputs = 0, num_outputs = 0;  // highest declared index + 1 (over both copies)
  std::size_t copies = 1;                        // 2 when any Xp_i / Yp_i is declared
  // Inputs declared `Int` instead of `Real` (per copy, num_inputs entries each): integer-valued
  // features such as 0/1 flags. Empty when none is.
  std::vector<bool> integer_x, integer_xp;
  std::vector<std::vector<VnnlibAtom>> terms;

  bool relational() const { return copies > 1; }
  bool has_integer_inputs() const;
};

// Parses `text`. `expected_inputs` / `expected_outputs` (0 = don't check) reject indices beyond
// the network. Throws InputError("<name>", "line L:C", what) on anything outside the subset:
// unknown variable, wrong arity, unsupported operator, non-finite numbers, non-linear terms.
// Supported: declare-const X_i/Y_i Real, assert, and, or, <=, >=, < and > (read as non-strict:
// the region differs by a measure-zero boundary), +, -, * by a constant, comments.
// nncert's strict superset (for `nncert repair`): `declare-const X_i Int` declares an
// integer-valued input; `Xp_i` / `Yp_i` name the inputs and outputs of a second copy of the same
// network (two-copy, relational properties pre(x, x') => post(x, x', y, y')).
VnnlibSpec parse_vnnlib(const std::string& text, const std::string& name_for_errors,
                        std::size_t expected_inputs = 0, std::size_t expected_outputs = 0);
VnnlibSpec load_vnnlib(const std::string& path, std::size_t expected_inputs = 0, std::size_t expected_outputs = 0);

// VNN-COMP result file: "unsat", "timeout", "unknown", or "sat" followed by the assignment
// ((X_0 v) ... (Y_0 v) ...) with values printed to round-trip exactly (%.17g).
enum class VnnResult { Sat, Unsat, Timeout, Unknown, Error };
std::string format_vnn_result(VnnResult result, const Vector* x = nullptr, const Vector* y = nullptr);

}  // namespace nncert
