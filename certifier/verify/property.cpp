#include "certifier/verify/property.hpp"

#include "certifier/core/error.hpp"

#include <limits>
#include <map>

namespace nncert {

Property property_from_vnnlib(const VnnlibSpec& spec, const std::string& name) {
  if (spec.relational())
    throw InputError(name, "declare-const", "declares a second copy (Xp_i/Yp_i): two-copy properties are checked by `nncert repair`");
  if (spec.has_integer_inputs())
    throw InputError(name, "declare-const", "declares integer inputs (Int): properties with integer inputs are checked by `nncert repair`");
  Property p;
  p.name = name;
  const double inf = std::numeric_limits<double>::infinity();
  const auto n_in = static_cast<Eigen::Index>(spec.num_inputs);
  const auto n_out = static_cast<Eigen::Index>(spec.num_outputs);
  std::map<std::pair<std::vector<double>, std::vector<double>>, std::size_t> by_box;
  for (std::size_t t = 0; t < spec.terms.size(); ++t) {
    Box box{Vector::Constant(n_in, -inf), Vector::Constant(n_in, inf)};
    Conjunction conj;
    std::string where = "case " + std::to_string(t);  // replaced by the last input bound seen
    for (const VnnlibAtom& a : spec.terms[t]) {
      if (!a.x_terms.empty() && !a.y_terms.empty())
        throw InputError(name, "line " + a.position, "constraints mixing X and Y variables are not supported");
      if (!a.x_terms.empty()) {
        if (a.x_terms.size() != 1)
          throw InputError(name, "line " + a.position, "only bounds on single inputs (X_i <= c) are supported");
        const auto [i, c] = a.x_terms[0];
        if (i >= spec.num_inputs)
          throw InputError(name, "line " + a.position,
                           "X_" + std::to_string(i) + " is beyond the network's " + std::to_string(spec.num_inputs) +
                               " inputs");
        const double v = a.rhs / c;
        auto& hi = box.hi[static_cast<Eigen::Index>(i)];
        auto& lo = box.lo[static_cast<Eigen::Index>(i)];
        if (c > 0)
          hi = std::min(hi, v);
        else
          lo = std::max(lo, v);
        if (lo > hi)
          throw InputError(name, "line " + a.position,
                           "empty input box: X_" + std::to_string(i) + " has lower bound " + std::to_string(lo) +
                               " > upper bound " + std::to_string(hi));
        where = "line " + a.position;
      } else {
        OutputConstraint oc{Vector::Zero(n_out), a.rhs};
        for (auto [j, c] : a.y_terms) {
          if (j >= spec.num_outputs)
            throw InputError(name, "line " + a.position,
                             "Y_" + std::to_string(j) + " is beyond the network's " + std::to_string(spec.num_outputs) +
                                 " outputs");
          oc.a[static_cast<Eigen::Index>(j)] += c;
        }
        if (oc.a.isZero()) {
          if (0.0 <= oc.b) continue;  // constant true
          conj.clear();
          conj.push_back(oc);  // constant false: kept, refuted by every method
          continue;
        }
        conj.push_back(std::move(oc));
      }
    }
    for (Eigen::Index i = 0; i < n_in; ++i)
      if (!std::isfinite(box.lo[i]) || !std::isfinite(box.hi[i]))
        throw InputError(name, where, "X_" + std::to_string(i) + " has no " + (std::isfinite(box.lo[i]) ? "upper" : "lower") +
                                          " bound (every input needs a finite box)");
    auto key = std::make_pair(std::vector<double>(box.lo.data(), box.lo.data() + n_in),
                              std::vector<double>(box.hi.data(), box.hi.data() + n_in));
    auto [it, fresh] = by_box.try_emplace(std::move(key), p.cases.size());
    if (fresh) p.cases.push_back({std::move(box), {}});
    p.cases[it->second].unsafe.push_back(std::move(conj));
  }
  if (p.cases.empty()) throw InputError(name, "asserts", "the property has no satisfiable case (it is 'false')");
  return p;
}

namespace {
Box clipped_ball(const Vector& x0, double eps, double lo, double hi) {
  if (!(eps >= 0) || !std::isfinite(eps)) throw InputError("--robust", "radius", "expected a finite radius >= 0");
  if (!(lo <= hi)) throw InputError("--domain", "bounds", "expected lo <= hi");
  return {(x0.array() - eps).cwiseMax(lo).cwiseMin(hi).matrix(), (x0.array() + eps).cwiseMin(hi).cwiseMax(lo).matrix()};
}
}  // namespace

Property local_robustness(const Vector& x0, double eps, int label, std::size_t num_outputs, double domain_lo,
                          double domain_hi) {
  if (label < 0 || static_cast<std::size_t>(label) >= num_outputs)
    throw InputError("robustness", "label", "label " + std::to_string(label) + " is not an output index");
  Property p;
  p.name = "robust linf:" + std::to_string(eps) + " label " + std::to_string(label);
  PropertyCase c{clipped_ball(x0, eps, domain_lo, domain_hi), {}};
  const auto n = static_cast<Eigen::Index>(num_outputs);
  for (Eigen::Index j = 0; j < n; ++j) {
    if (j == label) continue;
    OutputConstraint oc{Vector::Zero(n), 0.0};  // y_label - y_j <= 0
    oc.a[label] = 1.0;
    oc.a[j] = -1.0;
    c.unsafe.push_back({oc});
  }
  p.cases.push_back(std::move(c));
  return p;
}

Property regression_robustness(const Vector& x0, double eps, const Vector& y0, double delta, double domain_lo,
                               double domain_hi) {
  Property p;
  p.name = "robust linf:" + std::to_string(eps) + " delta " + std::to_string(delta);
  PropertyCase c{clipped_ball(x0, eps, domain_lo, domain_hi), {}};
  const auto n = y0.size();
  for (Eigen::Index j = 0; j < n; ++j) {
    OutputConstraint up{Vector::Zero(n), -(y0[j] + delta)};  // -y_j <= -(y0 + delta)
    up.a[j] = -1.0;
    OutputConstraint down{Vector::Zero(n), y0[j] - delta};  // y_j <= y0 - delta
    down.a[j] = 1.0;
    c.unsafe.push_back({up});
    c.unsafe.push_back({down});
  }
  p.cases.push_back(std::move(c));
  return p;
}

bool satisfies(const Conjunction& c, const Vector& y, double slack) {
  for (const OutputConstraint& oc : c)
    if (!(oc.a.dot(y) <= oc.b + slack)) return false;
  return true;
}

bool contains(const Box& box, const Vector& x) {
  return x.size() == box.lo.size() && (x.array() >= box.lo.array()).all() && (x.array() <= box.hi.array()).all();
}

std::optional<Counterexample> replay(const Network& net, const Property& property, const Vector& x) {
  if (x.size() != static_cast<Eigen::Index>(net.input_size) || !x.allFinite()) return std::nullopt;
  const Vector y = evaluate(net, x);
  for (std::size_t ci = 0; ci < property.cases.size(); ++ci) {
    if (!contains(property.cases[ci].box, x)) continue;
    for (std::size_t k = 0; k < property.cases[ci].unsafe.size(); ++k)
      if (satisfies(property.cases[ci].unsafe[k], y)) return Counterexample{x, y, ci, k};
  }
  return std::nullopt;
}

}  // namespace nncert
