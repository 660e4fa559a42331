// One leaf query of QNN verification (DESIGN §4): "is there an input in this (sub)region whose
// output reaches one of these unsafe disjuncts?", with the bounds proven for that region, and
// its answer. Every core (compact ILP, qvip ILP, Z3 bit-vectors) answers the same query.
#pragma once

#include "certifier/verify/qnn_bounds.hpp"
#include "certifier/verify/qnn_property.hpp"

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace nncert {

struct QQuery {
  const QNetwork* net = nullptr;
  const QProperty* property = nullptr;  // its region may be a branch's sub-box
  const QBounds* bounds = nullptr;      // sound for property->region
  std::vector<std::size_t> disjuncts;   // which unsafe disjuncts to search (empty = all)
  // The bounds carry branching facts (neuron value splits) that the region alone does not imply:
  // encodings must then enforce every neuron's accumulator range, stable ones included.
  bool split_bounds = false;
};

enum class QAnswerStatus {
  NoCounterexample,  // the solver proved the query infeasible
  Counterexample,    // witness holds an input the solver claims is unsafe (still to be replayed)
  Unknown            // timeout, interruption, solver error: never a proof
};

struct QAnswer {
  QAnswerStatus status = QAnswerStatus::Unknown;
  std::vector<std::int64_t> witness;
  std::string detail;     // solver status text, for reports
  double seconds = 0;
  std::size_t variables = 0, binaries = 0, constraints = 0;  // size of the encoding
};

struct QSolveOptions {
  double timeout_s = 0;                       // 0 = none
  int threads = 1;
  const std::atomic<bool>* stop = nullptr;    // portfolio: another core finished first
};

// The disjunct list of a query, with "empty = all" resolved.
inline std::vector<std::size_t> query_disjuncts(const QQuery& q) {
  if (!q.disjuncts.empty()) return q.disjuncts;
  std::vector<std::size_t> all(q.property->unsafe.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  return all;
}

}  // namespace nncert
