#include "certifier/repair/least_shift.hpp"

#include <coin/ClpSimplex.hpp>
#include <coin/CoinPackedMatrix.hpp>

namespace nncert {

std::optional<std::vector<double>> least_shift(const std::vector<ShiftRow>& rows, int n) {
  std::vector<int> ri, ci;
  std::vector<double> el, row_lo, row_hi;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    for (auto [c, coef] : rows[r].terms) {
      ri.push_back(static_cast<int>(r));
      ci.push_back(c);
      el.push_back(coef);
    }
    row_lo.push_back(rows[r].need);
    row_hi.push_back(COIN_DBL_MAX);
  }
  // Built from triplets, then sized to every row and all n columns (trailing columns may be unused).
  CoinPackedMatrix A(true, ri.data(), ci.data(), el.data(), static_cast<CoinBigIndex>(el.size()));
  A.setDimensions(static_cast<int>(rows.size()), n);
  const auto un = static_cast<std::size_t>(n);
  std::vector<double> col_lo(un, -COIN_DBL_MAX), col_hi(un, COIN_DBL_MAX), obj(un, 0.0);
  ClpSimplex model;
  model.setLogLevel(0);
  model.loadProblem(A, col_lo.data(), col_hi.data(), obj.data(), row_lo.data(), row_hi.data());
  std::vector<int> diag(un);
  std::vector<double> two(un, 2.0);
  for (int i = 0; i < n; ++i) diag[static_cast<std::size_t>(i)] = i;
  const CoinPackedMatrix Q(true, diag.data(), diag.data(), two.data(), static_cast<CoinBigIndex>(n));
  model.loadQuadraticObjective(Q);
  model.primal();
  if (model.status() != 0) return std::nullopt;
  const double* s = model.primalColumnSolution();
  return std::vector<double>(s, s + n);
}

}  // namespace nncert
