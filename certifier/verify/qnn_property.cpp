#include "certifier/verify/qnn_property.hpp"

#include "certifier/core/error.hpp"

#include <algorithm>
#include <cmath>

namespace nncert {

std::string to_string(QNorm n) {
  switch (n) {
    case QNorm::Linf: return "linf";
    case QNorm::L1: return "l1";
    case QNorm::L0: return "l0";
  }
  return "?";
}

QNorm parse_qnorm(const std::string& s) {
  if (s == "linf" || s == "inf" || s == "Linf") return QNorm::Linf;
  if (s == "l1" || s == "L1") return QNorm::L1;
  if (s == "l0" || s == "L0") return QNorm::L0;
  throw InputError("--robust", "'" + s + "'", "expected a norm linf, l1 or l0");
}

QInputRegion ball_region(const QNetwork& net, const std::vector<std::int64_t>& centre, QNorm norm,
                         std::int64_t radius) {
  const std::int64_t glo = net.cx.lo(), ghi = net.cx.hi();
  if (centre.size() != net.input_size)
    throw InputError("property", "centre", "has " + std::to_string(centre.size()) + " values, the network expects " +
                                               std::to_string(net.input_size));
  for (std::size_t i = 0; i < centre.size(); ++i)
    if (centre[i] < glo || centre[i] > ghi)
      throw InputError("property", "centre value " + std::to_string(i),
                       std::to_string(centre[i]) + " is off the input grid " + to_string(net.cx));
  const std::int64_t span = ghi - glo;
  const auto n = static_cast<std::int64_t>(net.input_size);
  const std::int64_t max_radius = norm == QNorm::Linf ? span : norm == QNorm::L1 ? span * n : n;
  if (radius < 0 || radius > max_radius)
    throw InputError("property", "radius " + std::to_string(radius),
                     "expected 0.." + std::to_string(max_radius) + " for " + to_string(norm) + " on the grid " +
                         to_string(net.cx));
  QInputRegion r;
  r.centre = centre;
  r.norm = norm;
  r.radius = radius;
  // An L0 ball lets a changed coordinate take any grid value; L1 and L-inf move it by <= radius.
  const std::int64_t reach = norm == QNorm::L0 ? (radius > 0 ? span : 0) : radius;
  for (std::int64_t c : centre) {
    r.lo.push_back(std::max(glo, c - reach));
    r.hi.push_back(std::min(ghi, c + reach));
  }
  return r;
}

QInputRegion box_region(const QNetwork& net, std::vector<std::int64_t> lo, std::vector<std::int64_t> hi) {
  if (lo.size() != net.input_size || hi.size() != net.input_size)
    throw InputError("property", "box", "needs " + std::to_string(net.input_size) + " bounds per side");
  for (std::size_t i = 0; i < lo.size(); ++i) {
    lo[i] = std::max(lo[i], net.cx.lo());
    hi[i] = std::min(hi[i], net.cx.hi());
    if (lo[i] > hi[i])
      throw InputError("property", "input " + std::to_string(i), "box is empty on the input grid " + to_string(net.cx));
  }
  QInputRegion r;
  r.lo = std::move(lo);
  r.hi = std::move(hi);
  return r;
}

QProperty classification_property(const QNetwork& net, const QInputRegion& region, std::optional<std::size_t> label) {
  const std::size_t m = output_size(net);
  if (!label) {
    if (region.centre.empty()) throw InputError("property", "classification", "a box region needs an explicit label");
    label = predict(net, region.centre);
  }
  const std::size_t g = *label;
  if (g >= m) throw InputError("property", "label " + std::to_string(g), "the network has " + std::to_string(m) + " outputs");
  QProperty p;
  p.region = region;
  p.label = g;
  // Class i wins over g iff y_i >= y_g (i < g, the first index wins ties) or y_i > y_g (i > g).
  for (std::size_t i = 0; i < m; ++i) {
    if (i == g) continue;
    QOutputRow row{std::vector<std::int64_t>(m, 0), i < g ? 0 : 1};
    row.c[i] = 1;
    row.c[g] = -1;
    p.unsafe.push_back({row});
  }
  p.description = "robust " + (region.centre.empty() ? std::string("box") : to_string(region.norm) + ":" +
                                                                                 std::to_string(region.radius)) +
                  " class " + std::to_string(g);
  return p;
}

QProperty regression_property(const QNetwork& net, const QInputRegion& region, double delta) {
  if (region.centre.empty()) throw InputError("property", "regression", "needs a centre");
  if (!(delta >= 0) || !std::isfinite(delta)) throw InputError("property", "delta", "expected a finite delta >= 0");
  const int fy = net.layers.empty() ? net.cx.frac : net.layers.back().cy.frac;
  // |dy| * 2^-Fy > delta  <=>  |dy| >= floor(delta * 2^Fy) + 1 for integers dy (ldexp is exact).
  const double scaled = std::floor(std::ldexp(delta, fy));
  if (scaled > 4e18) throw InputError("property", "delta", "too large");
  const auto t = static_cast<std::int64_t>(scaled) + 1;
  const auto y0 = evaluate(net, region.centre);
  QProperty p;
  p.region = region;
  for (std::size_t i = 0; i < y0.size(); ++i) {
    QOutputRow up{std::vector<std::int64_t>(y0.size(), 0), y0[i] + t};
    up.c[i] = 1;
    QOutputRow down{std::vector<std::int64_t>(y0.size(), 0), t - y0[i]};
    down.c[i] = -1;
    p.unsafe.push_back({up});
    p.unsafe.push_back({down});
  }
  p.description = "regression " + to_string(region.norm) + ":" + std::to_string(region.radius) + " delta " +
                  std::to_string(delta);
  return p;
}

bool contains(const QInputRegion& region, const std::vector<std::int64_t>& x) {
  if (x.size() != region.lo.size()) return false;
  std::int64_t used = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (x[i] < region.lo[i] || x[i] > region.hi[i]) return false;
    if (region.has_budget())
      used += region.norm == QNorm::L1 ? std::abs(x[i] - region.centre[i]) : (x[i] != region.centre[i] ? 1 : 0);
  }
  return used <= region.radius || !region.has_budget();
}

std::optional<std::size_t> violated_disjunct(const QProperty& p, const std::vector<std::int64_t>& y) {
  for (std::size_t d = 0; d < p.unsafe.size(); ++d) {
    bool all = true;
    for (const QOutputRow& row : p.unsafe[d]) {
      std::int64_t v = 0;
      for (std::size_t i = 0; i < row.c.size() && i < y.size(); ++i) v += row.c[i] * y[i];
      if (v < row.rhs) {
        all = false;
        break;
      }
    }
    if (all) return d;
  }
  return std::nullopt;
}

bool replays(const QNetwork& net, const QProperty& p, const std::vector<std::int64_t>& x) {
  if (!contains(p.region, x)) return false;
  return violated_disjunct(p, evaluate(net, x)).has_value();
}

}  // namespace nncert
