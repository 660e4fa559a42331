#include "certifier/repair/data_repair.hpp"


#include <map>

namespace nncert {

namespace {

constexpr std::size_t kMaxPairs = 200000;  // one QP row each; beyond this the joint QP is skipped

std::vector<Vector> row_x(const Dataset& d, std::size_t i, std::size_t copies) {
  return std::vector<Vector>(copies, d.X.col(static_cast<Eigen::Index>(i)));
}

DataRepairReport repair_one_copy(const LinearProperty& p, Dataset& data, const OutputRepairOptions& o) {
  DataRepairReport r;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto col = static_cast<Eigen::Index>(i);
    const Assignment a{row_x(data, i, 1), {data.targets.col(col)}};
    if (!violated_case(p, a)) continue;
    const auto fixed = repair_outputs(p, a, o);
    if (!fixed) continue;  // no target satisfies the postcondition here: the loop will say so
    data.targets.col(col) = fixed->y[0];
    r.cost += fixed->cost;
    ++r.rows_changed;
  }
  return r;
}

// Rows whose input meets the copy's box and integrality (the precondition of that copy alone).
std::vector<std::size_t> rows_in_box(const LinearProperty& p, const Dataset& d, const LinearCase& c, std::size_t copy) {
  std::vector<std::size_t> rows;
  for (std::size_t i = 0; i < d.size(); ++i) {
    if (in_copy_box(p, c, copy, d.X.col(static_cast<Eigen::Index>(i)))) rows.push_back(i);
  }
  return rows;
}

DataRepairReport repair_two_copies(const LinearProperty& p, Dataset& data, const OutputRepairOptions& o) {
  DataRepairReport r;
  std::map<std::size_t, int> var_of;  // dataset row -> its block of num_outputs shift variables
  auto block = [&](std::size_t row) { return var_of.try_emplace(row, static_cast<int>(var_of.size())).first->second; };
  std::vector<ShiftRow> rows;
  const auto m = static_cast<int>(p.num_outputs);
  for (const LinearCase& c : p.cases) {
    if (c.outputs.size() != 1) {
      r.note = "a case has several output atoms (a disjunctive postcondition): targets kept";
      return r;
    }
    const LinearAtom& atom = c.outputs[0];
    const auto A = rows_in_box(p, data, c, 0), B = rows_in_box(p, data, c, 1);
    if (A.size() * B.size() + rows.size() > kMaxPairs) {
      r.note = "more than " + std::to_string(kMaxPairs) + " pairs meet the preconditions: targets kept";
      return r;
    }
    for (std::size_t a : A)
      for (std::size_t b : B) {
        const Assignment pair{{data.X.col(static_cast<Eigen::Index>(a)), data.X.col(static_cast<Eigen::Index>(b))},
                              {data.targets.col(static_cast<Eigen::Index>(a)), data.targets.col(static_cast<Eigen::Index>(b))}};
        if (!in_precondition(p, c, pair.x)) continue;
        rows.push_back(violation_row(atom, pair, o.margin, [&](std::size_t copy) { return block(copy ? b : a) * m; }));
      }
  }
  r.pairs = rows.size();
  if (rows.empty()) return r;
  const auto s = least_shift(rows, static_cast<int>(var_of.size()) * m);
  if (!s) {
    r.note = "no targets satisfy the postcondition on every pair: targets kept";
    return r;
  }
  for (const auto& [row, blk] : var_of) {
    bool moved = false;
    for (int j = 0; j < m; ++j) {
      const double d = (*s)[static_cast<std::size_t>(blk * m + j)];
      if (std::abs(d) < 1e-12) continue;
      data.targets(j, static_cast<Eigen::Index>(row)) += d;
      r.cost += d * d;
      moved = true;
    }
    r.rows_changed += moved;
  }
  return r;
}

}  // namespace

DataRepairReport repair_targets(const LinearProperty& p, Dataset& data, const OutputRepairOptions& o) {
  if (data.targets.size() == 0) return {0, 0, 0, "classification data: labels kept"};
  return p.copies == 1 ? repair_one_copy(p, data, o) : repair_two_copies(p, data, o);
}

}  // namespace nncert
