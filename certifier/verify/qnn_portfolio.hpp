// --encoding portfolio (issue 16): several exact cores race on the same task, each on its own
// thread: compact ILP with the output-value split on CBC, QVIP's ILP on GLPK, the Z3 bit-vector
// core, and input-split branch-and-bound with the compact core on GLPK at the leaves. The first
// proven answer wins and the others are cancelled through the solvers' interrupt hooks. Every
// member is sound, so the verdict never depends on which one won (only decided_by and the time
// do); two members proving opposite verdicts is an InternalError.
#pragma once

#include "certifier/verify/qnn_verifier.hpp"

#include <vector>

namespace nncert {

// The members for a task with `base`'s budget, seed and bounds; each runs single-threaded.
std::vector<QVerifyOptions> portfolio_members(const QVerifyOptions& base);

QVerifyResult verify_qnn_portfolio(const QNetwork& net, const QProperty& property, const QVerifyOptions& base);

}  // namespace nncert
