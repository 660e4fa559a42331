#include "certifier/verify/qnn_ilp.hpp"

#include "certifier/core/error.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

namespace nncert {

namespace {

double as_bound(std::int64_t v) {
  if (v == kNoLower) return -std::numeric_limits<double>::infinity();
  if (v == kNoUpper) return std::numeric_limits<double>::infinity();
  return static_cast<double>(v);
}

std::int64_t sat(i128 v) {
  constexpr i128 lim = i128{1} << 62;
  return static_cast<std::int64_t>(std::clamp(v, -lim, lim));
}

}  // namespace

std::size_t QIlp::add_int(std::int64_t lo, std::int64_t hi) {
  return problem.add_var(static_cast<double>(lo), static_cast<double>(hi), VarKind::Integer);
}

std::size_t QIlp::add_binary() {
  ++binaries;
  return problem.add_var(0, 1, VarKind::Binary);
}

void QIlp::add(const QAffine& e, std::int64_t lo, std::int64_t hi) {
  std::vector<std::pair<std::size_t, double>> terms;
  for (const auto& [v, c] : e.terms)
    if (c != 0) terms.emplace_back(v, static_cast<double>(c));
  const double l = lo == kNoLower ? as_bound(lo) : static_cast<double>(lo - e.constant);
  const double h = hi == kNoUpper ? as_bound(hi) : static_cast<double>(hi - e.constant);
  if (terms.empty()) {
    // A constant row: either always true or the whole program is infeasible.
    if (0 < l || 0 > h) trivially_infeasible = true;
    return;
  }
  problem.add_row(std::move(terms), l, h);
}

void QIlp::maximize(const QAffine& e) {
  problem.maximize = true;
  for (auto& v : problem.vars) v.objective = 0;
  for (const auto& [v, c] : e.terms) problem.vars[v].objective += static_cast<double>(c);
}

void encode_input_region(QIlp& ilp, const QInputRegion& region) {
  const std::size_t n = region.lo.size();
  ilp.inputs.clear();
  for (std::size_t i = 0; i < n; ++i) ilp.inputs.push_back(ilp.add_int(region.lo[i], region.hi[i]));
  if (!region.has_budget()) return;
  QAffine budget;
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t u = region.centre[i];
    if (region.lo[i] == region.hi[i]) {  // pinned (a branch may pin it away from the centre)
      budget.constant += region.norm == QNorm::L1 ? std::abs(region.lo[i] - u) : (region.lo[i] != u ? 1 : 0);
      continue;
    }
    const std::size_t x = ilp.inputs[i];
    if (region.norm == QNorm::L1) {
      // d >= |x - u|, and sum d <= r.
      const std::size_t d = ilp.add_int(0, std::max(region.hi[i] - u, u - region.lo[i]));
      ilp.add({{{d, 1}, {x, -1}}, 0}, -u, kNoUpper);
      ilp.add({{{d, 1}, {x, 1}}, 0}, u, kNoUpper);
      budget.terms.emplace_back(d, 1);
    } else {
      // b = 0 pins x to u (QVIP's g_i, with the big-M taken from the box).
      const std::size_t b = ilp.add_binary();
      ilp.add({{{x, 1}, {b, -(region.hi[i] - u)}}, 0}, kNoLower, u);
      ilp.add({{{x, 1}, {b, u - region.lo[i]}}, 0}, u, kNoUpper);
      budget.terms.emplace_back(b, 1);
    }
  }
  ilp.add(budget, kNoLower, region.radius);
}

QAffine accumulator_expression(const QNetwork& net, std::size_t l, std::size_t j, const std::vector<QAffine>& prev) {
  const QLayer& layer = net.layers[l];
  QAffine acc;
  acc.constant = requant(net, l).aligned_bias(layer.b[j]);
  for (std::size_t k = 0; k < layer.inputs; ++k) {
    const std::int64_t w = layer.weight(j, k);
    if (w == 0) continue;
    acc.constant += w * prev[k].constant;
    for (const auto& [v, c] : prev[k].terms) acc.terms.emplace_back(v, w * c);
  }
  return acc;
}

std::pair<std::int64_t, std::int64_t> affine_range(const QIlp& ilp, const QAffine& e) {
  i128 lo = e.constant, hi = e.constant;
  for (const auto& [v, c] : e.terms) {
    const auto vl = static_cast<i128>(ilp.problem.vars[v].lo), vh = static_cast<i128>(ilp.problem.vars[v].hi);
    lo += c >= 0 ? c * vl : c * vh;
    hi += c >= 0 ? c * vh : c * vl;
  }
  return {sat(lo), sat(hi)};
}

namespace {

QAffine row_expression(const QOutputRow& row, const std::vector<QAffine>& outputs) {
  QAffine e;
  for (std::size_t i = 0; i < row.c.size(); ++i) {
    if (row.c[i] == 0) continue;
    for (const auto& [v, c] : outputs[i].terms) e.terms.emplace_back(v, c * row.c[i]);
    e.constant += outputs[i].constant * row.c[i];
  }
  return e;
}

}  // namespace

void encode_unsafe(QIlp& ilp, const QQuery& query, const std::vector<QAffine>& outputs) {
  std::vector<std::size_t> live;
  for (std::size_t d : query_disjuncts(query)) {
    bool possible = true;
    for (const QOutputRow& row : query.property->unsafe[d])
      if (affine_range(ilp, row_expression(row, outputs)).second < row.rhs) possible = false;
    if (possible) live.push_back(d);
  }
  if (live.empty()) {
    ilp.trivially_infeasible = true;
    return;
  }
  if (live.size() == 1) {
    QAffine sum;
    for (const QOutputRow& row : query.property->unsafe[live[0]]) {
      const QAffine e = row_expression(row, outputs);
      ilp.add(e, row.rhs, kNoUpper);
      sum.terms.insert(sum.terms.end(), e.terms.begin(), e.terms.end());
    }
    ilp.maximize(sum);
    return;
  }
  QAffine any;
  for (std::size_t d : live) {
    const std::size_t z = ilp.add_binary();
    any.terms.emplace_back(z, 1);
    for (const QOutputRow& row : query.property->unsafe[d]) {
      QAffine e = row_expression(row, outputs);
      const std::int64_t big_m = row.rhs - affine_range(ilp, e).first;
      if (big_m <= 0) continue;  // the row holds everywhere
      // e >= rhs when z = 1; e >= rhs - M (always true) when z = 0.
      e.terms.emplace_back(z, -big_m);
      ilp.add(e, row.rhs - big_m, kNoUpper);
    }
  }
  ilp.add(any, 1, kNoUpper);
}

QAnswer solve_ilp(const QIlp& ilp, MilpSolver& solver, const QSolveOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  QAnswer answer;
  answer.variables = ilp.problem.vars.size();
  answer.binaries = ilp.binaries;
  answer.constraints = ilp.problem.rows.size();
  if (ilp.trivially_infeasible) {
    answer.status = QAnswerStatus::NoCounterexample;
    answer.detail = "infeasible by bounds";
    return answer;
  }
  MilpOptions mo;
  if (options.timeout_s > 0) mo.time_limit_s = options.timeout_s;
  mo.threads = options.threads;
  mo.stop_at_first_solution = true;
  mo.interrupt = options.stop;
  const MilpResult r = solver.solve(ilp.problem, mo);
  answer.detail = to_string(solver.backend()) + ": " + to_string(r.status) + (r.message.empty() ? "" : " " + r.message);
  if (r.has_solution && r.x.size() == ilp.problem.vars.size()) {
    for (std::size_t v : ilp.inputs) answer.witness.push_back(static_cast<std::int64_t>(std::llround(r.x[v])));
    answer.status = QAnswerStatus::Counterexample;
  } else if (r.status == MilpStatus::Infeasible) {
    answer.status = QAnswerStatus::NoCounterexample;
  }
  answer.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return answer;
}

}  // namespace nncert
