// The SMT baseline for QNN verification: a quantifier-free bit-vector encoding of the exact
// integer semantics (DESIGN §3.2), in the style of Giacobbe et al. (TACAS'20) and Henzinger et
// al. (AAAI'21) that QVIP (ASE'22, §5.2) compares against, solved by Z3. Also the cross-check of
// the ILP encodings. Interval bounds fix stable neurons and drop impossible clamp branches.
#pragma once

#include "certifier/verify/qnn_query.hpp"

namespace nncert {

QAnswer solve_smt(const QQuery& query, const QSolveOptions& options);

}  // namespace nncert
