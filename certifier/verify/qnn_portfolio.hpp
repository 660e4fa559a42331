// --encoding portfolio (issue 16): several exact cores race on the same task, each on its own
// thread: compact ILP with the output-value split on CBC, QVIP's ILP on GLPK, input-split
// branch-and-bound with the compact core on CBC at the leaves, and (small inputs) the Z3 core.
// The first proven answer wins; the others are cancelled through the solvers' interrupt hooks. Every
// member is sound, so the verdict never depends on which one won (only decided_by and the time
// do); two members proving opposite verdicts is an InternalError.
#pragma once

#include "certifier/verify/qnn_verifier.hpp"

#include <vector>

namespace nncert {

inline constexpr std::size_t kPortfolioSmtMaxInputs = 64;

// The members for a task on `net` with `base`'s budget and seed; each runs single-threaded.
std::vector<QVerifyOptions> portfolio_members(const QVerifyOptions& base, const QNetwork& net);

QVerifyResult verify_qnn_portfolio(const QNetwork& net, const QProperty& property, const QVerifyOptions& base);

}  // namespace nncert
