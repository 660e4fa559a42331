#include "certifier/verify/qnn_encoding_qvip.hpp"

#include "certifier/core/error.hpp"

#include <algorithm>

namespace nncert {

namespace {

// Theta^c of §3.4 for classification robustness with label g: v_i = 1 iff class i beats g.
void encode_theta_c(QIlp& ilp, const QQuery& query, const std::vector<QAffine>& y, std::size_t g) {
  QAffine any;
  for (std::size_t d : query_disjuncts(query)) {
    const QOutputRow& row = query.property->unsafe[d][0];
    const auto i = static_cast<std::size_t>(std::find(row.c.begin(), row.c.end(), 1) - row.c.begin());
    // diff = y_i - y_g; class i wins iff diff >= row.rhs (0 for i < g, 1 for i > g).
    QAffine diff = y[i];
    diff.constant -= y[g].constant;
    for (const auto& [v, c] : y[g].terms) diff.terms.emplace_back(v, -c);
    const auto [lo, hi] = affine_range(ilp, diff);
    if (hi < row.rhs) continue;  // class i can never win: its indicator is fixed to 0
    const std::size_t v = ilp.add_binary();
    any.terms.emplace_back(v, 1);
    // v = 1 -> diff >= rhs: diff - (rhs - lo) v >= lo  (M = rhs - lo)
    if (lo < row.rhs) {
      QAffine e = diff;
      e.terms.emplace_back(v, -(row.rhs - lo));
      ilp.add(e, lo, kNoUpper);
    }
    // v = 0 -> diff <= rhs - 1: diff - (hi - rhs + 1) v <= rhs - 1  (the paper's "<" direction)
    if (hi > row.rhs - 1) {
      QAffine e = diff;
      e.terms.emplace_back(v, -(hi - row.rhs + 1));
      ilp.add(e, kNoLower, row.rhs - 1);
    }
  }
  if (any.terms.empty()) {
    ilp.trivially_infeasible = true;
    return;
  }
  ilp.add(any, 1, kNoUpper);
}

bool is_classification(const QQuery& query) {
  const QProperty& p = *query.property;
  if (!p.label) return false;
  for (std::size_t d : query_disjuncts(query)) {
    if (p.unsafe[d].size() != 1) return false;
    const auto& c = p.unsafe[d][0].c;
    if (std::count(c.begin(), c.end(), 1) != 1 || c[*p.label] != -1 ||
        std::count(c.begin(), c.end(), 0) != static_cast<std::ptrdiff_t>(c.size()) - 2)
      return false;
  }
  return true;
}

}  // namespace

QIlp encode_qvip(const QQuery& query) {
  const QNetwork& net = *query.net;
  const QBounds& bounds = *query.bounds;
  if (bounds.size() != net.layers.size()) throw InternalError("qvip encoding: bounds do not match the network");
  QIlp ilp;
  encode_input_region(ilp, query.property->region);
  std::vector<QAffine> prev;
  for (std::size_t i = 0; i < net.input_size; ++i) prev.push_back({{{ilp.inputs[i], 1}}, 0});

  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    const QLayer& layer = net.layers[l];
    const QRequant rq = requant(net, l);
    std::vector<QAffine> next(layer.outputs);
    for (std::size_t j = 0; j < layer.outputs; ++j) {
      const QNeuronBounds& nb = bounds[l][j];
      if (nb.stable()) {  // §3.5: a single possible value
        next[j].constant = nb.y_lo;
        continue;
      }
      const QAffine acc = accumulator_expression(net, l, j, prev);
      // One Boolean per reachable value t: acc in [lower(t), upper(t)] (the interval of t scaled
      // by 2^s, clipped to the accumulator bounds; the outer intervals are open in QVIP).
      QAffine one, value, below = acc, above = acc;
      const std::size_t y = ilp.add_int(nb.y_lo, nb.y_hi);
      for (std::int64_t t = nb.y_lo; t <= nb.y_hi; ++t) {
        const std::int64_t lower = std::max(nb.acc_lo, t == rq.lb ? nb.acc_lo : rq.min_acc_reaching(t));
        const std::int64_t upper = std::min(nb.acc_hi, t == rq.ub ? nb.acc_hi : rq.max_acc_below(t));
        if (lower > upper) continue;  // §3.5: an interval the neuron never reaches
        const std::size_t v = ilp.add_binary();
        one.terms.emplace_back(v, 1);
        value.terms.emplace_back(v, t);
        above.terms.emplace_back(v, -upper);  // acc <= sum upper(t) v_t
        below.terms.emplace_back(v, -lower);  // acc >= sum lower(t) v_t
      }
      ilp.add(one, 1, 1);
      value.terms.emplace_back(y, -1);
      ilp.add(value, 0, 0);
      ilp.add(above, kNoLower, 0);
      ilp.add(below, 0, kNoUpper);
      next[j].terms.emplace_back(y, 1);
    }
    prev = std::move(next);
  }
  if (is_classification(query))
    encode_theta_c(ilp, query, prev, *query.property->label);
  else
    encode_unsafe(ilp, query, prev);
  return ilp;
}

}  // namespace nncert
