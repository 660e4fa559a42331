#include "certifier/verify/qnn_encoding_compact.hpp"

#include "certifier/core/error.hpp"

#include <algorithm>
#include <optional>

namespace nncert {

namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t d) {  // d > 0
  std::int64_t q = a / d;
  if (a % d != 0 && a < 0) --q;
  return q;
}

// y = max(q, lb) for q in [q_lo, q_hi] with q_lo < lb < q_hi: one binary.
std::size_t encode_max(QIlp& ilp, std::size_t q, std::int64_t q_lo, std::int64_t q_hi, std::int64_t lb,
                       std::int64_t y_lo, std::int64_t y_hi) {
  const std::size_t y = ilp.add_int(std::max(lb, y_lo), std::min(q_hi, y_hi));
  const std::size_t d = ilp.add_binary();  // 1: q >= lb (pass-through), 0: clamped to lb
  ilp.add({{{y, 1}, {q, -1}}, 0}, 0, kNoUpper);                       // y >= q
  ilp.add({{{y, 1}, {q, -1}, {d, lb - q_lo}}, 0}, kNoLower, lb - q_lo);  // y <= q + (lb - q_lo)(1 - d)
  ilp.add({{{y, 1}, {d, -(q_hi - lb)}}, 0}, kNoLower, lb);            // y <= lb + (q_hi - lb) d
  return y;
}

// y = min(z, ub) for z in [z_lo, z_hi] with z_lo < ub < z_hi: one binary.
std::size_t encode_min(QIlp& ilp, std::size_t z, std::int64_t z_lo, std::int64_t z_hi, std::int64_t ub,
                       std::int64_t y_lo, std::int64_t y_hi) {
  const std::size_t y = ilp.add_int(std::max(z_lo, y_lo), std::min(ub, y_hi));
  const std::size_t e = ilp.add_binary();  // 1: clamped to ub, 0: pass-through
  ilp.add({{{y, 1}, {z, -1}}, 0}, kNoLower, 0);                        // y <= z
  ilp.add({{{y, 1}, {z, -1}, {e, z_hi - ub}}, 0}, 0, kNoUpper);        // y >= z - (z_hi - ub) e
  ilp.add({{{y, 1}, {e, -(ub - z_lo)}}, 0}, z_lo, kNoUpper);           // y >= ub - (ub - z_lo)(1 - e)
  return y;
}

}  // namespace

namespace {

// One row of one disjunct on a single unstable output: the unsafe condition on its clamped,
// rounded value is a threshold on its accumulator.
struct Direct {
  std::size_t neuron;
  bool at_least;  // acc >= min_acc_reaching(t), else acc <= max_acc_below(t)
  std::int64_t t;
};

// Every layer over the input variables already in ilp.inputs; outputs not `used` are left out
// (their expression stays empty), and `direct`'s neuron is constrained by its threshold instead.
std::vector<QAffine> encode_layers(QIlp& ilp, const QNetwork& net, const QBounds& bounds, const std::vector<bool>& used,
                                   bool split_bounds, const std::optional<Direct>& direct) {
  const std::size_t last = net.layers.size() - 1;
  std::vector<QAffine> prev;
  for (std::size_t i = 0; i < net.input_size; ++i) prev.push_back({{{ilp.inputs[i], 1}}, 0});
  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    const QLayer& layer = net.layers[l];
    const QRequant rq = requant(net, l);
    std::vector<QAffine> next(layer.outputs);
    for (std::size_t j = 0; j < layer.outputs; ++j) {
      const QNeuronBounds& nb = bounds[l][j];
      if (l == last && !used[j]) continue;
      if (nb.stable()) {  // substituted: no variable at all
        next[j].constant = nb.y_lo;
        if (split_bounds) ilp.add(accumulator_expression(net, l, j, prev), nb.acc_lo, nb.acc_hi);
        continue;
      }
      const QAffine acc = accumulator_expression(net, l, j, prev);
      // The accumulator bounds proven for this region are valid cuts too.
      ilp.add(acc, nb.acc_lo, nb.acc_hi);
      if (l == last && direct && direct->neuron == j) {
        QAffine toward = acc;
        if (direct->at_least) {
          ilp.add(acc, rq.min_acc_reaching(direct->t), kNoUpper);
        } else {
          ilp.add(acc, kNoLower, rq.max_acc_below(direct->t));
          for (auto& term : toward.terms) term.second = -term.second;
        }
        ilp.maximize(toward);
        continue;
      }
      std::int64_t q_lo, q_hi;
      std::size_t q;
      if (rq.s > 0) {
        const std::int64_t D = std::int64_t{1} << rq.s, h = D / 2;
        q_lo = floor_div(nb.acc_lo + h, D);
        q_hi = floor_div(nb.acc_hi + h, D);
        q = ilp.add_int(q_lo, q_hi);
        // 0 <= acc + h - D q <= D - 1
        QAffine rem = acc;
        rem.constant += h;
        rem.terms.emplace_back(q, -D);
        ilp.add(rem, 0, D - 1);
      } else {
        const std::int64_t K = std::int64_t{1} << -rq.s;
        q_lo = nb.acc_lo * K;
        q_hi = nb.acc_hi * K;
        q = ilp.add_int(q_lo, q_hi);
        QAffine eq;
        eq.constant = acc.constant * K;
        for (const auto& [v, c] : acc.terms) eq.terms.emplace_back(v, c * K);
        eq.terms.emplace_back(q, -1);
        ilp.add(eq, 0, 0);
      }
      std::size_t y = q;
      std::int64_t z_lo = q_lo, z_hi = q_hi;
      if (q_lo < rq.lb) {  // the lower clamp (ReLU for hidden layers) can be active
        // As an intermediate (the upper clamp follows) max(q, lb) may exceed the output bounds.
        const bool last_clamp = q_hi <= rq.ub;
        y = encode_max(ilp, y, q_lo, q_hi, rq.lb, last_clamp ? nb.y_lo : rq.lb, last_clamp ? nb.y_hi : q_hi);
        z_lo = rq.lb;
      }
      if (z_hi > rq.ub) y = encode_min(ilp, y, z_lo, z_hi, rq.ub, nb.y_lo, nb.y_hi);
      next[j].terms.emplace_back(y, 1);
    }
    prev = std::move(next);
  }
  return prev;
}

}  // namespace

QIlp encode_compact(const QQuery& query) {
  const QNetwork& net = *query.net;
  const QBounds& bounds = *query.bounds;
  if (bounds.size() != net.layers.size()) throw InternalError("compact encoding: bounds do not match the network");
  QIlp ilp;
  encode_input_region(ilp, query.property->region);

  // Output neurons no selected row mentions need no encoding. When one row of one disjunct
  // involves a single unstable output, the condition on its clamped, rounded value is a
  // threshold on its accumulator: no rounding variable or clamp binaries for the output at all.
  const std::size_t last = net.layers.size() - 1;
  const auto disjuncts = query_disjuncts(query);
  std::vector<bool> used(output_size(net), false);
  for (std::size_t d : disjuncts)
    for (const QOutputRow& row : query.property->unsafe[d])
      for (std::size_t i = 0; i < row.c.size(); ++i) used[i] = used[i] || row.c[i] != 0;
  std::optional<Direct> direct;
  if (disjuncts.size() == 1 && query.property->unsafe[disjuncts[0]].size() == 1) {
    const QOutputRow& row = query.property->unsafe[disjuncts[0]][0];
    std::vector<std::size_t> open;
    i128 k = 0;
    for (std::size_t i = 0; i < row.c.size(); ++i) {
      if (row.c[i] == 0) continue;
      if (bounds[last][i].stable())
        k += static_cast<i128>(row.c[i]) * bounds[last][i].y_lo;
      else
        open.push_back(i);
    }
    if (open.size() == 1) {
      const std::int64_t c = row.c[open[0]];
      const auto rest = static_cast<std::int64_t>(static_cast<i128>(row.rhs) - k);  // c * y >= rest
      if (c > 0) direct = Direct{open[0], true, -floor_div(-rest, c)};
      else direct = Direct{open[0], false, floor_div(-rest, -c)};  // (-c) y <= -rest
    }
  }
  const std::vector<QAffine> outputs = encode_layers(ilp, net, bounds, used, query.split_bounds, direct);
  if (!direct) encode_unsafe(ilp, query, outputs);
  return ilp;
}

std::vector<QAffine> encode_compact_network(QIlp& ilp, const QNetwork& net, const QInputRegion& region,
                                            const QBounds& bounds) {
  if (bounds.size() != net.layers.size()) throw InternalError("compact encoding: bounds do not match the network");
  encode_input_region(ilp, region);
  return encode_layers(ilp, net, bounds, std::vector<bool>(output_size(net), true), false, std::nullopt);
}

}  // namespace nncert
