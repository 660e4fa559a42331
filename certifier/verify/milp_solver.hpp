// One narrow mixed-integer linear programming interface (DESIGN §4) with two backends, GLPK and
// COIN-OR CBC. Solver types never appear here: a problem is a plain value, solving is a call.
// Used by the float big-M encoding (milp_encoding) and the exact ILP encodings of quantized nets.
#pragma once

#include <atomic>
#include <cstddef>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace nncert {

enum class VarKind { Continuous, Integer, Binary };

struct MilpVar {
  double lo = 0, hi = std::numeric_limits<double>::infinity();  // +-infinity allowed
  VarKind kind = VarKind::Continuous;
  double objective = 0;  // coefficient in the objective
};

// lo <= sum coef * x[var] <= hi  (use +-infinity for one-sided rows, lo == hi for equalities).
struct MilpRow {
  std::vector<std::pair<std::size_t, double>> terms;
  double lo = -std::numeric_limits<double>::infinity(), hi = std::numeric_limits<double>::infinity();
};

struct MilpProblem {
  std::vector<MilpVar> vars;
  std::vector<MilpRow> rows;
  bool maximize = false;  // with all objective coefficients 0 the problem is a feasibility query

  std::size_t add_var(double lo, double hi, VarKind kind = VarKind::Continuous, double objective = 0) {
    vars.push_back({lo, hi, kind, objective});
    return vars.size() - 1;
  }
  void add_row(std::vector<std::pair<std::size_t, double>> terms, double lo, double hi) {
    rows.push_back({std::move(terms), lo, hi});
  }
  bool is_feasibility_query() const;
  // Appends `other`'s variables and rows (a sub-problem, e.g. one network copy); returns the index
  // its variable 0 now has.
  std::size_t append(MilpProblem&& other) {
    const std::size_t offset = vars.size();
    vars.insert(vars.end(), other.vars.begin(), other.vars.end());
    for (MilpRow& row : other.rows) {
      for (auto& t : row.terms) t.first += offset;
      rows.push_back(std::move(row));
    }
    return offset;
  }
};

struct MilpOptions {
  double time_limit_s = std::numeric_limits<double>::infinity();
  int threads = 1;  // CBC only; GLPK is single-threaded
  // Stop as soon as a feasible point is found (exact feasibility queries do not need optimality).
  bool stop_at_first_solution = false;
  double feasibility_tolerance = 1e-9;  // primal tolerance passed to the backend
  double integrality_tolerance = 1e-9;
  // Cooperative cancellation (a portfolio's other core answered first): the solve ends as a
  // Timeout with message "interrupted", never as a verdict.
  const std::atomic<bool>* interrupt = nullptr;
};

enum class MilpStatus { Optimal, Infeasible, Timeout, Error };

struct MilpResult {
  MilpStatus status = MilpStatus::Error;
  bool has_solution = false;   // Optimal always has one; Timeout may (the incumbent)
  std::vector<double> x;       // one value per variable (integers rounded to the nearest integer)
  double objective = 0;        // of `x`
  double bound = 0;            // best proved bound on the optimum (dual bound)
  std::string message;         // backend detail for Error
  // For a feasibility query, Optimal means "a feasible point was found".
};

enum class MilpBackend { Glpk, Cbc };
MilpBackend parse_milp_backend(const std::string& name);  // "glpk" | "cbc", InputError otherwise
std::string to_string(MilpBackend b);
std::string to_string(MilpStatus s);

class MilpSolver {
 public:
  virtual ~MilpSolver() = default;
  virtual MilpResult solve(const MilpProblem& problem, const MilpOptions& options) = 0;
  virtual MilpBackend backend() const = 0;
};

std::unique_ptr<MilpSolver> make_milp_solver(MilpBackend backend);

// Reads an MPS file (milp_mps.hpp) with `backend`'s own reader and solves it with the same
// settings as MilpSolver::solve: the independent re-check of an exported query. InputError when
// the backend cannot read the file.
MilpResult solve_mps_file(const std::string& path, MilpBackend backend, const MilpOptions& options);

// Largest violation of a bound, row or integrality by `x` (0 when x is exactly feasible; rows are
// evaluated in long double). Callers re-check every solver point with it before trusting it;
// for problems with integer coefficients and integer variables, a result of 0 is an exact check.
double max_violation(const MilpProblem& problem, const std::vector<double>& x);

}  // namespace nncert
