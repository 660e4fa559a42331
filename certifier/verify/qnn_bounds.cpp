#include "certifier/verify/qnn_bounds.hpp"

#include "certifier/core/error.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace nncert {

namespace {

constexpr std::int64_t kInf = std::int64_t{1} << 62;

std::int64_t sat(i128 v) { return static_cast<std::int64_t>(std::clamp<i128>(v, -kInf, kInf)); }

using Mat = Eigen::MatrixXd;
using Vec = Eigen::VectorXd;

// Parallel lines enclosing y = requant(acc) over the accumulator range: lam*acc + mu_l <= y <= lam*acc + mu_u.
struct Relax {
  Vec lam, mu_l, mu_u, mag;  // mag: magnitude of the terms behind mu (for the rounding margin)
};

void relax_neuron(const QRequant& rq, std::int64_t L, std::int64_t U, double& lam, double& mu_l, double& mu_u,
                  double& mag) {
  const std::int64_t gL = rq.apply(L), gU = rq.apply(U);
  if (gL == gU || L >= U) {
    lam = 0;
    mu_l = mu_u = static_cast<double>(gL);
    mag = std::abs(mu_l);
    return;
  }
  lam = static_cast<double>(gU - gL) / static_cast<double>(U - L);
  // g - lam*acc is piecewise linear between these candidates, so its extremes are among them.
  std::vector<std::int64_t> cand{L, U};
  if (rq.s > 0) {
    for (std::int64_t v = gL; v <= gU; ++v) {
      cand.push_back(std::clamp(rq.min_acc_reaching(v), L, U));
      cand.push_back(std::clamp(rq.max_acc_below(v), L, U));
    }
  } else {
    for (std::int64_t v : {rq.lb, rq.ub}) {
      cand.push_back(std::clamp(rq.min_acc_reaching(v), L, U));
      cand.push_back(std::clamp(rq.max_acc_below(v), L, U));
    }
  }
  // On the integers a kink sits between two points: take both neighbours of each candidate.
  for (std::size_t i = 0, e = cand.size(); i < e; ++i) {
    cand.push_back(std::clamp(cand[i] - 1, L, U));
    cand.push_back(std::clamp(cand[i] + 1, L, U));
  }
  mu_l = std::numeric_limits<double>::infinity();
  mu_u = -mu_l;
  mag = 0;
  for (std::int64_t a : cand) {
    const double v = static_cast<double>(rq.apply(a)) - lam * static_cast<double>(a);
    mu_l = std::min(mu_l, v);
    mu_u = std::max(mu_u, v);
    mag = std::max(mag, std::abs(static_cast<double>(rq.apply(a))) + std::abs(lam * static_cast<double>(a)));
  }
}

// max over the region of a . x, as an LP bound (exact for the box, fractional knapsack for L1,
// top-r gains for L0). For min use -a.
double max_linear(const QInputRegion& region, const double* a, std::size_t n, std::vector<double>& scratch) {
  double box = 0;
  for (std::size_t i = 0; i < n; ++i)
    box += std::max(a[i] * static_cast<double>(region.lo[i]), a[i] * static_cast<double>(region.hi[i]));
  if (!region.has_budget()) return box;
  // A branch's sub-box may not contain the centre: then only the box bound is sound here.
  for (std::size_t i = 0; i < n; ++i)
    if (region.centre[i] < region.lo[i] || region.centre[i] > region.hi[i]) return box;
  double base = 0;
  for (std::size_t i = 0; i < n; ++i) base += a[i] * static_cast<double>(region.centre[i]);
  scratch.clear();
  if (region.norm == QNorm::L0) {
    for (std::size_t i = 0; i < n; ++i) {
      const double u = static_cast<double>(region.centre[i]);
      scratch.push_back(std::max({a[i] * (static_cast<double>(region.hi[i]) - u),
                                  a[i] * (static_cast<double>(region.lo[i]) - u), 0.0}));
    }
    const auto r = static_cast<std::size_t>(std::min<std::int64_t>(region.radius, static_cast<std::int64_t>(n)));
    std::partial_sort(scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(r), scratch.end(),
                      std::greater<>());
    return std::min(box, base + std::accumulate(scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(r), 0.0));
  }
  // L1: move the coordinates with the largest |a_i| first, each up to its room in the box.
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return std::abs(a[x]) > std::abs(a[y]); });
  double budget = static_cast<double>(region.radius), gain = 0;
  for (std::size_t i : order) {
    if (budget <= 0 || a[i] == 0) break;
    const double room = a[i] > 0 ? static_cast<double>(region.hi[i] - region.centre[i])
                                 : static_cast<double>(region.centre[i] - region.lo[i]);
    const double step = std::min(room, budget);
    gain += std::abs(a[i]) * step;
    budget -= step;
  }
  return std::min(box, base + gain);
}

// Layer l's accumulator as a map acc = W y + B over its input y (DESIGN §3.2: biases aligned).
struct LayerAffine {
  Mat W;
  Vec B;
};
LayerAffine layer_affine(const QNetwork& net, std::size_t l) {
  const QLayer& layer = net.layers[l];
  const QRequant rq = requant(net, l);
  LayerAffine f{Mat(layer.outputs, layer.inputs), Vec(layer.outputs)};
  for (std::size_t j = 0; j < layer.outputs; ++j) {
    f.B[static_cast<Eigen::Index>(j)] = static_cast<double>(rq.aligned_bias(layer.b[j]));
    for (std::size_t k = 0; k < layer.inputs; ++k)
      f.W(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(k)) = static_cast<double>(layer.weight(j, k));
  }
  return f;
}

struct Bounds2 {
  std::vector<std::int64_t> lo, hi;
};

// Back-substitutes rows A (over y^t, the input of layer t) with constants to the inputs and
// concretizes. relax[l] belongs to layer l's outputs (y^{l+1}).
Bounds2 back_substitute(const QNetwork& net, const std::vector<Relax>& relax, const QInputRegion& region,
                        std::size_t t, Mat A, Vec c) {
  Vec cu = c, cl = c, mag = c.cwiseAbs();
  for (std::size_t tt = t; tt > 0; --tt) {
    const std::size_t l = tt - 1;
    const Relax& r = relax[l];
    const Mat pos = A.cwiseMax(0.0), neg = A.cwiseMin(0.0);
    cu += pos * r.mu_u + neg * r.mu_l;
    cl += pos * r.mu_l + neg * r.mu_u;
    mag += A.cwiseAbs() * r.mag;
    A = A * r.lam.asDiagonal();
    const LayerAffine f = layer_affine(net, l);
    cu += A * f.B;
    cl += A * f.B;
    mag += A.cwiseAbs() * f.B.cwiseAbs();
    A = A * f.W;
  }
  const std::size_t n = net.input_size;
  Vec xabs(static_cast<Eigen::Index>(n));
  for (std::size_t i = 0; i < n; ++i)
    xabs[static_cast<Eigen::Index>(i)] =
        static_cast<double>(std::max(std::abs(region.lo[i]), std::abs(region.hi[i])));
  mag += A.cwiseAbs() * xabs;
  Bounds2 out;
  std::vector<double> scratch, row(n), neg_row(n);
  for (Eigen::Index r = 0; r < A.rows(); ++r) {
    for (std::size_t i = 0; i < n; ++i) {
      row[i] = A(r, static_cast<Eigen::Index>(i));
      neg_row[i] = -row[i];
    }
    // Double rounding over a few thousand terms stays far below 1e-9 of their magnitudes.
    const double margin = 1e-9 * mag[r] + 1e-6;
    const double hi = cu[r] + max_linear(region, row.data(), n, scratch) + margin;
    const double lo = cl[r] - max_linear(region, neg_row.data(), n, scratch) - margin;
    out.hi.push_back(sat(static_cast<i128>(std::clamp(std::floor(hi), -4e18, 4e18))));
    out.lo.push_back(sat(static_cast<i128>(std::clamp(std::ceil(lo), -4e18, 4e18))));
  }
  return out;
}

void set_outputs(const QRequant& rq, QNeuronBounds& nb) {
  nb.y_lo = rq.apply(nb.acc_lo);
  nb.y_hi = rq.apply(nb.acc_hi);
}

void intersect(QNeuronBounds& nb, const QBounds* known, std::size_t l, std::size_t j) {
  if (!known || l >= known->size() || j >= (*known)[l].size()) return;
  nb.acc_lo = std::max(nb.acc_lo, (*known)[l][j].acc_lo);
  nb.acc_hi = std::min(nb.acc_hi, (*known)[l][j].acc_hi);
}

// Interval step for one layer from the previous layer's output ranges.
std::vector<QNeuronBounds> interval_layer(const QNetwork& net, std::size_t l, const std::vector<std::int64_t>& lo,
                                          const std::vector<std::int64_t>& hi) {
  const QLayer& layer = net.layers[l];
  const QRequant rq = requant(net, l);
  std::vector<QNeuronBounds> out(layer.outputs);
  for (std::size_t j = 0; j < layer.outputs; ++j) {
    const AccRange r = accumulator_range(layer, rq, j, lo, hi);
    out[j].acc_lo = sat(r.lo);
    out[j].acc_hi = sat(r.hi);
  }
  return out;
}

}  // namespace

QBounds interval_bounds(const QNetwork& net, const QInputRegion& region, const QBounds* known) {
  QBounds out;
  std::vector<std::int64_t> lo = region.lo, hi = region.hi;
  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    auto layer = interval_layer(net, l, lo, hi);
    const QRequant rq = requant(net, l);
    lo.assign(layer.size(), 0);
    hi.assign(layer.size(), 0);
    for (std::size_t j = 0; j < layer.size(); ++j) {
      intersect(layer[j], known, l, j);
      if (layer[j].acc_lo > layer[j].acc_hi) {
        out.push_back(std::move(layer));
        return out;
      }
      set_outputs(rq, layer[j]);
      lo[j] = layer[j].y_lo;
      hi[j] = layer[j].y_hi;
    }
    out.push_back(std::move(layer));
  }
  return out;
}

QBounds symbolic_bounds(const QNetwork& net, const QInputRegion& region, const QBounds* known) {
  QBounds out;
  std::vector<Relax> relax;
  std::vector<std::int64_t> lo = region.lo, hi = region.hi;
  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    const QLayer& layer = net.layers[l];
    const QRequant rq = requant(net, l);
    auto nb = interval_layer(net, l, lo, hi);
    if (l > 0) {  // layer 0's accumulator is linear in x: the interval bound is already the LP bound
      // Express acc^l = W y^l + B, i.e. start one step further down: rows of W over y^l.
      const LayerAffine f = layer_affine(net, l);
      const Bounds2 sb = back_substitute(net, relax, region, l, f.W, f.B);
      for (std::size_t j = 0; j < layer.outputs; ++j) {
        nb[j].acc_lo = std::max(nb[j].acc_lo, sb.lo[j]);
        nb[j].acc_hi = std::min(nb[j].acc_hi, sb.hi[j]);
      }
    }
    Relax r;
    const auto m = static_cast<Eigen::Index>(layer.outputs);
    r.lam.resize(m);
    r.mu_l.resize(m);
    r.mu_u.resize(m);
    r.mag.resize(m);
    lo.assign(layer.outputs, 0);
    hi.assign(layer.outputs, 0);
    for (std::size_t j = 0; j < layer.outputs; ++j) {
      intersect(nb[j], known, l, j);
      if (nb[j].acc_lo > nb[j].acc_hi) {  // a branch's facts contradict each other: no input gets here
        out.push_back(std::move(nb));
        return out;
      }
      set_outputs(rq, nb[j]);
      const auto jj = static_cast<Eigen::Index>(j);
      relax_neuron(rq, nb[j].acc_lo, nb[j].acc_hi, r.lam[jj], r.mu_l[jj], r.mu_u[jj], r.mag[jj]);
      lo[j] = nb[j].y_lo;
      hi[j] = nb[j].y_hi;
    }
    relax.push_back(std::move(r));
    out.push_back(std::move(nb));
  }
  return out;
}

std::int64_t output_row_upper_bound(const QNetwork& net, const QInputRegion& region, const QBounds& bounds,
                                     const std::vector<std::int64_t>& c) {
  const std::size_t m = output_size(net);
  if (c.size() != m) throw InternalError("output row has the wrong size");
  if (net.layers.empty()) {
    std::vector<double> a(c.begin(), c.end()), scratch;
    return static_cast<std::int64_t>(std::floor(max_linear(region, a.data(), m, scratch) + 1e-6));
  }
  std::vector<Relax> relax;
  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    const QRequant rq = requant(net, l);
    Relax r;
    const auto n = static_cast<Eigen::Index>(bounds[l].size());
    r.lam.resize(n);
    r.mu_l.resize(n);
    r.mu_u.resize(n);
    r.mag.resize(n);
    for (Eigen::Index j = 0; j < n; ++j) {
      const auto& nb = bounds[l][static_cast<std::size_t>(j)];
      relax_neuron(rq, nb.acc_lo, nb.acc_hi, r.lam[j], r.mu_l[j], r.mu_u[j], r.mag[j]);
    }
    relax.push_back(std::move(r));
  }
  Mat A(1, static_cast<Eigen::Index>(m));
  for (std::size_t i = 0; i < m; ++i) A(0, static_cast<Eigen::Index>(i)) = static_cast<double>(c[i]);
  const Bounds2 b = back_substitute(net, relax, region, net.layers.size(), A, Vec::Zero(1));
  // Never looser than the interval bound on the outputs.
  i128 box = 0;
  for (std::size_t i = 0; i < m; ++i) {
    const auto& nb = bounds.back()[i];
    box += c[i] >= 0 ? static_cast<i128>(c[i]) * nb.y_hi : static_cast<i128>(c[i]) * nb.y_lo;
  }
  return std::min(b.hi[0], sat(box));
}

bool infeasible(const QNetwork& net, const QBounds& bounds) {
  if (bounds.size() != net.layers.size()) return true;
  for (const auto& layer : bounds)
    for (const auto& nb : layer)
      if (nb.acc_lo > nb.acc_hi) return true;
  return false;
}

std::size_t unstable_count(const QBounds& bounds) {
  std::size_t n = 0;
  for (const auto& layer : bounds)
    for (const auto& nb : layer) n += !nb.stable();
  return n;
}

}  // namespace nncert
