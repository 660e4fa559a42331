#include "certifier/repair/output_repair.hpp"


#include <cmath>
#include <limits>

namespace nncert {

ShiftRow violation_row(const LinearAtom& atom, const Assignment& a, double margin,
                       const std::function<int(std::size_t copy)>& first_column) {
  ShiftRow r;
  r.need = atom.rhs + margin - lhs(atom, a);
  for (const auto& [v, coef] : atom.terms)
    if (v.output) r.terms.push_back({first_column(v.copy) + static_cast<int>(v.index), coef});
  return r;
}

std::optional<OutputRepair> repair_outputs(const LinearProperty& p, const Assignment& a,
                                           const OutputRepairOptions& options) {
  // The cases that apply at x: each needs one of its output atoms violated.
  std::vector<const LinearCase*> active;
  for (const LinearCase& c : p.cases)
    if (in_precondition(p, c, a.x)) {
      if (c.outputs.empty()) return std::nullopt;  // every output is unsafe here
      active.push_back(&c);
    }
  std::size_t choices = 1;
  for (const LinearCase* c : active) {
    choices = choices > options.max_choices / c->outputs.size() ? options.max_choices + 1 : choices * c->outputs.size();
  }
  const int n = static_cast<int>(p.copies * p.num_outputs);
  const auto column = [&p](std::size_t copy) { return static_cast<int>(copy * p.num_outputs); };
  std::optional<OutputRepair> best;
  auto try_rows = [&](const std::vector<ShiftRow>& rows) {
    const auto s = least_shift(rows, n);
    if (!s) return;
    OutputRepair r;
    for (std::size_t k = 0; k < p.copies; ++k) {
      Vector y = a.y[k];
      for (std::size_t j = 0; j < p.num_outputs; ++j) y[static_cast<Eigen::Index>(j)] += (*s)[k * p.num_outputs + j];
      r.y.push_back(std::move(y));
    }
    r.cost = 0;
    for (double v : *s) r.cost += v * v;
    // Trust the solver only as far as the exact check: the repaired point is outside every case.
    if (violated_case(p, Assignment{a.x, r.y})) return;
    if (!best || r.cost < best->cost) best = std::move(r);
  };
  if (choices <= options.max_choices) {
    std::vector<std::size_t> pick(active.size(), 0);
    for (std::size_t t = 0; t < choices; ++t) {
      std::vector<ShiftRow> rows;
      for (std::size_t i = 0; i < active.size(); ++i)
        rows.push_back(violation_row(active[i]->outputs[pick[i]], a, options.margin, column));
      try_rows(rows);
      for (std::size_t i = 0; i < pick.size() && ++pick[i] == active[i]->outputs.size(); ++i) pick[i] = 0;
    }
  } else {
    // Too many combinations: per case the atom that is cheapest to violate on its own.
    std::vector<ShiftRow> rows;
    for (const LinearCase* c : active) {
      double cheapest = std::numeric_limits<double>::infinity();
      ShiftRow pick;
      for (const LinearAtom& atom : c->outputs) {
        ShiftRow r = violation_row(atom, a, options.margin, column);
        double norm2 = 0;
        for (auto [j, coef] : r.terms) norm2 += coef * coef;
        if (norm2 == 0) continue;
        const double cost = std::max(0.0, r.need) * std::max(0.0, r.need) / norm2;
        if (cost < cheapest) cheapest = cost, pick = std::move(r);
      }
      rows.push_back(std::move(pick));
    }
    try_rows(rows);
  }
  return best;
}

}  // namespace nncert
