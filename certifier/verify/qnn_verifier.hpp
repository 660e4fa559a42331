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

#include <cstdint>
#include <string>
#include <vector>

namespace nncert {

enum class QEncoding { Compact, Qvip, Smt };
QEncoding parse_qencoding(const std::string& s);  // "compact" | "qvip" | "smt"; InputError otherwise
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
};

enum class QVerdict { Verified, Falsified, Unknown };
std::string to_string(QVerdict v);

struct QVerifyResult {
  QVerdict verdict = QVerdict::Unknown;
  std::vector<std::int64_t> counterexample;  // replayed; set iff Falsified
  std::string decided_by;                    // "centre", "attack", "bounds", "compact/cbc", ...
  std::string detail;                        // why unknown, solver statuses
  double seconds = 0;
  std::size_t solver_calls = 0, disjuncts_open = 0, unstable_neurons = 0;
};

QVerifyResult verify_qnn(const QNetwork& net, const QProperty& property, const QVerifyOptions& options);

// One exact query on one core (no attack, no splitting): what the driver and MRR call per leaf.
QAnswer solve_query(const QQuery& query, QEncoding encoding, MilpBackend backend, const QSolveOptions& options);

}  // namespace nncert
