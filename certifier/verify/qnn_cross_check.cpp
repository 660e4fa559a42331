#include "certifier/verify/qnn_cross_check.hpp"

#include "certifier/core/error.hpp"

#include <cstdio>

namespace nncert {

QVerifyOptions second_opinion_options(const QVerifyOptions& primary, const QVerifyResult& first) {
  QVerifyOptions o = primary;
  o.attack = false;
  o.keep_queries = false;
  o.stop = nullptr;
  if (primary.encoding == QEncoding::Smt || primary.encoding == QEncoding::Portfolio) {
    // Away from whatever solver decided the task (a portfolio's winner names it).
    o.encoding = QEncoding::Compact;
    o.bounds = QBoundsKind::Symbolic;
    o.backend = first.decided_by.find("/cbc") != std::string::npos ? MilpBackend::Glpk : MilpBackend::Cbc;
  } else {
    o.backend = primary.backend == MilpBackend::Cbc ? MilpBackend::Glpk : MilpBackend::Cbc;
  }
  return o;
}

QSecondOpinion cross_check(const QNetwork& net, const QProperty& property, const QVerifyOptions& primary,
                           const QVerifyResult& first) {
  const QVerifyOptions o = second_opinion_options(primary, first);
  const QVerifyResult second = verify_qnn(net, property, o);
  QSecondOpinion s{to_string(o.encoding) + "/" + to_string(o.backend), second.verdict, second.seconds, second.detail};
  const bool disagree = (first.verdict == QVerdict::Verified && second.verdict == QVerdict::Falsified) ||
                        (first.verdict == QVerdict::Falsified && second.verdict == QVerdict::Verified);
  if (disagree)
    throw InternalError("QNN cross-check: " + first.decided_by + " says " + to_string(first.verdict) + ", " + s.core +
                        " says " + to_string(second.verdict) + " on '" + property.description + "'");
  return s;
}

std::string evidence_line(const QSecondOpinion& s) {
  char t[32];
  std::snprintf(t, sizeof t, "%.3g", s.seconds);
  return "cross-check " + s.core + ": " + to_string(s.verdict) + " (" + t + " s)";
}

}  // namespace nncert
