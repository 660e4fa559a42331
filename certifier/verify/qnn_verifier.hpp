// The QNN verification driver (DESIGN §4, issue 6): centre check, integer bounds (interval or
// symbolic) that discard unsafe disjuncts, cheap attacks when some remain, then one exact query per
// remaining disjunct (or one query for all) on the chosen core: compact ILP, QVIP's ILP, or Z3.
// Optional input-split branch-and-bound re-tightens the bounds per branch with the core as the
// leaf solver. Verdicts are honest: "verified" only when every leaf is proven infeasible,
// "falsified" only with a counterexample replayed on the reference evaluator (a solver witness
// that does not replay is an InternalError), anything else is "unknown".
#pragma once

#include "certifier/verify/milp_solver.hpp"
#include "certifier/verify/qnn_property.hpp"
#include "certifier/verify/qnn_query.hpp"

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nncert {

// Portfolio: the cores race on their own threads (qnn_portfolio.hpp); never a leaf encoding.
enum class QEncoding { Compact, Qvip, Smt, Portfolio };
QEncoding parse_qencoding(const std::string& s);  // "compact" | "qvip" | "smt" | "portfolio"; InputError otherwise
std::string to_string(QEncoding e);

enum class QBoundsKind { Interval, Symbolic };

struct QVerifyOptions {
  QEncoding encoding = QEncoding::Compact;
  MilpBackend backend = MilpBackend::Cbc;
  QBoundsKind bounds = QBoundsKind::Symbolic;
  double timeout_s = 0;       // whole task, 0 = none
  int threads = 1;            // passed to the MILP backend
  bool attack = true;
  bool per_disjunct = true;   // one query per competing class, else one query for all
  int split_depth = 0;        // input-split branch-and-bound depth on queries the core leaves open
  double leaf_timeout_s = 0;  // per core call before splitting (0: the remaining time)
  bool eager_split = false;   // split down to split_depth before calling the core at all
  // Compact core, classification-style rows y_i - y_g >= c with both outputs open: one query per
  // value t of y_g (bounds re-tightened with y_g = t), each a plain threshold on acc_i.
  bool output_split = true;
  std::uint64_t seed = 0;
  // Keep every leaf query a core decided, with its exact program (ILP cores): what --export-ilp
  // writes out for re-checking.
  bool keep_queries = false;
  // Cooperative cancellation (qnn_portfolio: another core answered first); the task then ends
  // unknown ("interrupted"), never with a verdict it has not proven.
  const std::atomic<bool>* stop = nullptr;
};

enum class QVerdict { Verified, Falsified, Unknown };
std::string to_string(QVerdict v);

// One leaf query a core decided: its answer and, for the ILP cores, the program it solved
// (absent when the bounds alone made the program trivially infeasible, and for the SMT core).
struct QDecidedQuery {
  std::string core;  // "compact/cbc", ...
  QAnswerStatus status = QAnswerStatus::Unknown;
  std::optional<MilpProblem> program;
};

struct QVerifyResult {
  QVerdict verdict = QVerdict::Unknown;
  std::vector<std::int64_t> counterexample;  // replayed; set iff Falsified
  std::string decided_by;                    // "centre", "attack", "bounds", "compact/cbc", ...
  std::string detail;                        // why unknown, solver statuses
  double seconds = 0;
  std::size_t solver_calls = 0, disjuncts_open = 0, unstable_neurons = 0;
  std::vector<QDecidedQuery> queries;        // with QVerifyOptions::keep_queries
};

QVerifyResult verify_qnn(const QNetwork& net, const QProperty& property, const QVerifyOptions& options);

// One exact query on one core (no attack, no splitting): what the driver and MRR call per leaf.
// `program`, when given, receives the ILP that was solved (left empty for smt and for programs
// the bounds made trivially infeasible).
QAnswer solve_query(const QQuery& query, QEncoding encoding, MilpBackend backend, const QSolveOptions& options,
                    std::optional<MilpProblem>* program = nullptr);

}  // namespace nncert
