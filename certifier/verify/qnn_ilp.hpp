// What the two exact ILP encodings of quantized networks share (DESIGN §4: integer coefficients
// only, no epsilons): affine integer expressions over solver variables, the input-region
// constraints (QVIP ASE'22 §3.3: L-inf bounds, L1 with deviation variables, L0 with one binary
// per coordinate), the unsafe output disjuncts, and solving through the MilpSolver interface.
#pragma once

#include "certifier/verify/milp_solver.hpp"
#include "certifier/verify/qnn_query.hpp"

#include <cstdint>
#include <utility>
#include <vector>

namespace nncert {

// sum coef * var + constant, exact integers.
struct QAffine {
  std::vector<std::pair<std::size_t, std::int64_t>> terms;
  std::int64_t constant = 0;
};

struct QIlp {
  MilpProblem problem;
  std::vector<std::size_t> inputs;  // variable of each network input
  std::size_t binaries = 0;
  bool trivially_infeasible = false;  // the bounds already exclude every selected disjunct

  std::size_t add_int(std::int64_t lo, std::int64_t hi);
  std::size_t add_binary();
  // lo <= e <= hi (either side may be open: INT64_MIN / INT64_MAX).
  void add(const QAffine& e, std::int64_t lo, std::int64_t hi);
  // Maximize e. A feasibility query stays one, but CBC's primal heuristics find counterexamples
  // orders of magnitude faster when pointed at the unsafe direction.
  void maximize(const QAffine& e);
};

inline constexpr std::int64_t kNoLower = INT64_MIN, kNoUpper = INT64_MAX;

// Integer inputs on the region's box plus the L1/L0 budget rows.
void encode_input_region(QIlp& ilp, const QInputRegion& region);

// Neuron j's accumulator of layer l (DESIGN §3.2: aligned bias + sum_k W_jk y_k) over the layer
// input expressions `prev`, zero weights left out.
QAffine accumulator_expression(const QNetwork& net, std::size_t l, std::size_t j, const std::vector<QAffine>& prev);

// Range of an affine expression from the variable bounds.
std::pair<std::int64_t, std::int64_t> affine_range(const QIlp& ilp, const QAffine& e);

// The query's unsafe disjuncts over the output expressions: rows directly for one disjunct, else
// one selector binary per disjunct with big-M constants taken from the output bounds.
void encode_unsafe(QIlp& ilp, const QQuery& query, const std::vector<QAffine>& outputs);

// Solves and maps the status: Infeasible -> NoCounterexample, a solver point -> Counterexample
// (witness = its input variables; the caller replays it), anything else -> Unknown.
QAnswer solve_ilp(const QIlp& ilp, MilpSolver& solver, const QSolveOptions& options);

}  // namespace nncert
