#include "certifier/verify/qnn_smt.hpp"

#include <z3++.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

namespace nncert {

namespace {

i128 abs128(i128 v) { return v < 0 ? -v : v; }

int bits_for(i128 magnitude) {
  int b = 1;
  while (b < 126 && (i128{1} << b) <= magnitude) ++b;
  return b + 1;  // sign bit
}

}  // namespace

QAnswer solve_smt(const QQuery& query, const QSolveOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const QNetwork& net = *query.net;
  const QProperty& prop = *query.property;
  const QBounds& bounds = *query.bounds;
  const QInputRegion& region = prop.region;
  const std::size_t n = net.input_size;
  QAnswer answer;

  // One width for the whole formula, wide enough that no sum or product can wrap: the largest
  // partial sum of |w||y| per neuron, the L1 budget sum, and the output rows.
  i128 mag = 0;
  for (std::size_t i = 0; i < n; ++i) mag = std::max<i128>(mag, std::max(std::abs(region.lo[i]), std::abs(region.hi[i])));
  if (region.has_budget()) mag = std::max<i128>(mag, static_cast<i128>(n) * (net.cx.hi() - net.cx.lo()) + region.radius);
  std::vector<i128> prev_abs(n);
  for (std::size_t i = 0; i < n; ++i) prev_abs[i] = std::max(std::abs(region.lo[i]), std::abs(region.hi[i]));
  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    const QLayer& layer = net.layers[l];
    const QRequant rq = requant(net, l);
    std::vector<i128> cur(layer.outputs);
    for (std::size_t j = 0; j < layer.outputs; ++j) {
      i128 s = abs128(rq.aligned_bias(layer.b[j])) + (rq.s > 0 ? (i128{1} << rq.s) : 0);
      for (std::size_t k = 0; k < layer.inputs; ++k) s += abs128(static_cast<i128>(layer.weight(j, k))) * prev_abs[k];
      if (rq.s < 0) s <<= -rq.s;
      mag = std::max(mag, s);
      cur[j] = std::max(std::abs(bounds[l][j].y_lo), std::abs(bounds[l][j].y_hi));
      mag = std::max<i128>(mag, std::max(std::abs(rq.lb), std::abs(rq.ub)));
    }
    prev_abs = std::move(cur);
  }
  const auto disjuncts = query_disjuncts(query);
  for (std::size_t d : disjuncts)
    for (const QOutputRow& row : prop.unsafe[d]) {
      i128 s = abs128(static_cast<i128>(row.rhs));
      for (std::size_t i = 0; i < row.c.size(); ++i) s += abs128(static_cast<i128>(row.c[i])) * prev_abs[i];
      mag = std::max(mag, s);
    }
  const int width = bits_for(mag) + 1;
  if (width > 64) {
    answer.detail = "bit-vector width above 64";
    return answer;
  }

  try {
    z3::context ctx;
    auto bv = [&](std::int64_t v) { return ctx.bv_val(static_cast<int64_t>(v), static_cast<unsigned>(width)); };
    z3::solver solver(ctx, "QF_BV");
    z3::params params(ctx);
    if (options.timeout_s > 0)
      params.set("timeout", static_cast<unsigned>(std::clamp(options.timeout_s * 1000.0, 1.0, 4.0e9)));
    solver.set(params);

    std::vector<z3::expr> x;
    for (std::size_t i = 0; i < n; ++i) {
      x.push_back(ctx.bv_const(("x" + std::to_string(i)).c_str(), static_cast<unsigned>(width)));
      if (region.lo[i] == region.hi[i]) {
        solver.add(x[i] == bv(region.lo[i]));
      } else {
        solver.add(z3::sge(x[i], bv(region.lo[i])));
        solver.add(z3::sle(x[i], bv(region.hi[i])));
      }
    }
    if (region.has_budget()) {
      z3::expr used = bv(0);
      for (std::size_t i = 0; i < n; ++i) {
        const z3::expr u = bv(region.centre[i]);
        used = used + (region.norm == QNorm::L1 ? z3::ite(z3::sge(x[i], u), x[i] - u, u - x[i])
                                                : z3::ite(x[i] != u, bv(1), bv(0)));
      }
      solver.add(z3::sle(used, bv(region.radius)));
    }

    std::vector<z3::expr> y = x;
    std::size_t vars = n;
    for (std::size_t l = 0; l < net.layers.size(); ++l) {
      const QLayer& layer = net.layers[l];
      const QRequant rq = requant(net, l);
      std::vector<z3::expr> next;
      for (std::size_t j = 0; j < layer.outputs; ++j) {
        const QNeuronBounds& nb = bounds[l][j];
        if (nb.stable()) {
          next.push_back(bv(nb.y_lo));
          continue;
        }
        z3::expr acc = bv(rq.aligned_bias(layer.b[j]));
        for (std::size_t k = 0; k < layer.inputs; ++k)
          if (const std::int64_t w = layer.weight(j, k); w != 0) acc = acc + bv(w) * y[k];
        z3::expr q = rq.s > 0 ? z3::ashr(acc + bv(std::int64_t{1} << (rq.s - 1)), bv(rq.s))
                              : (rq.s < 0 ? z3::shl(acc, bv(-rq.s)) : acc);
        // Only the clamp branches the bounds leave possible (the baseline's interval pruning).
        z3::expr out = q;
        if (nb.y_hi == rq.ub) out = z3::ite(z3::sgt(q, bv(rq.ub)), bv(rq.ub), out);
        if (nb.y_lo == rq.lb) out = z3::ite(z3::slt(q, bv(rq.lb)), bv(rq.lb), out);
        const z3::expr v = ctx.bv_const(("y" + std::to_string(l) + "_" + std::to_string(j)).c_str(),
                                        static_cast<unsigned>(width));
        solver.add(v == out);
        solver.add(z3::sge(v, bv(nb.y_lo)));
        solver.add(z3::sle(v, bv(nb.y_hi)));
        next.push_back(v);
        ++vars;
      }
      y = std::move(next);
    }

    z3::expr_vector any(ctx);
    for (std::size_t d : disjuncts) {
      z3::expr_vector all(ctx);
      for (const QOutputRow& row : prop.unsafe[d]) {
        z3::expr lhs = bv(0);
        for (std::size_t i = 0; i < row.c.size(); ++i)
          if (row.c[i] != 0) lhs = lhs + bv(row.c[i]) * y[i];
        all.push_back(z3::sge(lhs, bv(row.rhs)));
      }
      any.push_back(z3::mk_and(all));
    }
    solver.add(z3::mk_or(any));
    answer.variables = vars;
    answer.constraints = solver.assertions().size();

    // A watcher interrupts Z3 at the deadline (its own timeout is not checked while bit-blasting)
    // or when another core has already answered.
    std::atomic<bool> done{false};
    std::thread watcher;
    const auto deadline = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                      std::chrono::duration<double>(options.timeout_s > 0 ? options.timeout_s : 1e9));
    if (options.stop || options.timeout_s > 0)
      watcher = std::thread([&] {
        while (!done.load()) {
          if ((options.stop && options.stop->load()) || std::chrono::steady_clock::now() > deadline) {
            ctx.interrupt();
            return;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
      });
    z3::check_result r = z3::unknown;
    try {
      r = solver.check();
    } catch (...) {
      done = true;
      if (watcher.joinable()) watcher.join();
      throw;
    }
    done = true;
    if (watcher.joinable()) watcher.join();
    if (r == z3::unsat) {
      answer.status = QAnswerStatus::NoCounterexample;
      answer.detail = "unsat";
    } else if (r == z3::sat) {
      const z3::model model = solver.get_model();
      for (std::size_t i = 0; i < n; ++i) {
        const z3::expr v = model.eval(x[i], true);
        std::uint64_t raw = 0;
        if (!v.is_numeral_u64(raw)) {
          answer.detail = "model value is not a numeral";
          return answer;
        }
        // Sign-extend from the formula's width.
        const std::uint64_t sign = std::uint64_t{1} << (width - 1);
        const std::int64_t value = width == 64 ? static_cast<std::int64_t>(raw)
                                               : static_cast<std::int64_t>((raw ^ sign) - sign);
        answer.witness.push_back(value);
      }
      answer.status = QAnswerStatus::Counterexample;
      answer.detail = "sat";
    } else {
      answer.detail = "unknown: " + solver.reason_unknown();
    }
  } catch (const z3::exception& e) {
    answer.status = QAnswerStatus::Unknown;
    answer.detail = std::string("z3 error: ") + e.msg();
  }
  answer.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return answer;
}

}  // namespace nncert
