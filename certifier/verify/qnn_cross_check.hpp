// --cross-check (issue 16, a proof someone else can check): a task's verdict re-decided from
// scratch by a second core on another solver (an ILP core on the other MILP backend, the SMT core
// by compact/cbc). Both verdicts go into the certificate; a proof against a replayed
// counterexample is an InternalError (exit 4), never a verdict.
#pragma once

#include "certifier/verify/qnn_verifier.hpp"

#include <string>

namespace nncert {

struct QSecondOpinion {
  std::string core;  // "compact/glpk", ...
  QVerdict verdict = QVerdict::Unknown;
  double seconds = 0;
  std::string detail;
};

// The second core's options: the primary's budget, the other MILP backend (for smt and the
// portfolio: compact on the backend that did not decide `first`), no attack (the second opinion
// must come from a solver, not from re-running the same search).
QVerifyOptions second_opinion_options(const QVerifyOptions& primary, const QVerifyResult& first);

// Re-decides `property`; throws InternalError when one core proves what the other refutes.
// An unknown on either side is no disagreement (it is recorded as such).
QSecondOpinion cross_check(const QNetwork& net, const QProperty& property, const QVerifyOptions& primary,
                           const QVerifyResult& first);

// "cross-check compact/glpk: verified (1.2 s)": the certificate's evidence line.
std::string evidence_line(const QSecondOpinion& s);

}  // namespace nncert
