#include "certifier/verify/linear_property.hpp"

#include "certifier/core/error.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nncert {

namespace {

// The VNN-LIB atom's terms as (variable, coefficient) pairs over both copies.
std::vector<std::pair<PropertyVariable, double>> terms_of(const VnnlibAtom& a) {
  std::vector<std::pair<PropertyVariable, double>> t;
  auto add = [&](const std::vector<std::pair<std::size_t, double>>& from, std::size_t copy, bool output) {
    for (auto [i, c] : from) t.push_back({PropertyVariable{copy, output, i}, c});
  };
  add(a.x_terms, 0, false);
  add(a.y_terms, 0, true);
  add(a.xp_terms, 1, false);
  add(a.yp_terms, 1, true);
  return t;
}

void check_index(const PropertyVariable& v, const LinearProperty& p, const std::string& where) {
  const std::size_t limit = v.output ? p.num_outputs : p.num_inputs;
  if (v.index >= limit)
    throw InputError(p.name, where,
                     std::string(v.output ? "Y" : "X") + (v.copy ? "p_" : "_") + std::to_string(v.index) +
                         " is beyond the network's " + std::to_string(limit) + (v.output ? " outputs" : " inputs"));
}

// Tightens the copy's box with the bound `coef * x_i <= rhs`; integer inputs round inward.
void add_bound(LinearProperty& p, LinearCase& c, const PropertyVariable& v, double coef, double rhs,
               const std::string& where) {
  const auto i = static_cast<Eigen::Index>(v.index);
  double& lo = c.box[v.copy].lo[i];
  double& hi = c.box[v.copy].hi[i];
  const double bound = rhs / coef;
  if (coef > 0)
    hi = std::min(hi, bound);
  else
    lo = std::max(lo, bound);
  if (p.integer[v.copy][v.index]) {
    lo = std::ceil(lo);
    hi = std::floor(hi);
  }
  if (lo > hi)
    throw InputError(p.name, where,
                     "empty input box: " + std::string(v.copy ? "Xp_" : "X_") + std::to_string(v.index) +
                         " has lower bound " + std::to_string(lo) + " > upper bound " + std::to_string(hi));
}

}  // namespace

bool LinearProperty::any_integer() const {
  for (const auto& copy : integer)
    for (bool b : copy)
      if (b) return true;
  return false;
}

LinearProperty linear_property_from_vnnlib(const VnnlibSpec& spec, const std::string& name) {
  LinearProperty p;
  p.name = name;
  p.copies = spec.copies;
  p.num_inputs = spec.num_inputs;
  p.num_outputs = spec.num_outputs;
  p.integer.assign(p.copies, std::vector<bool>(p.num_inputs, false));
  for (std::size_t i = 0; i < spec.integer_x.size() && i < p.num_inputs; ++i) p.integer[0][i] = spec.integer_x[i];
  if (p.copies > 1)
    for (std::size_t i = 0; i < spec.integer_xp.size() && i < p.num_inputs; ++i) p.integer[1][i] = spec.integer_xp[i];
  const double inf = std::numeric_limits<double>::infinity();
  const auto n_in = static_cast<Eigen::Index>(p.num_inputs);
  for (const auto& term : spec.terms) {
    LinearCase c;
    c.box.assign(p.copies, Box{Vector::Constant(n_in, -inf), Vector::Constant(n_in, inf)});
    bool constant_false = false;
    std::string where = "assert";
    for (const VnnlibAtom& a : term) {
      where = "line " + a.position;
      LinearAtom atom{terms_of(a), a.rhs, a.position};
      bool has_output = false;
      for (const auto& [v, coef] : atom.terms) {
        check_index(v, p, where);
        has_output |= v.output;
      }
      if (atom.terms.empty()) {
        constant_false |= atom.rhs < 0;  // 0 <= rhs: constant true, else the case is empty
        continue;
      }
      if (has_output)
        c.outputs.push_back(std::move(atom));
      else if (atom.terms.size() == 1)
        add_bound(p, c, atom.terms[0].first, atom.terms[0].second, atom.rhs, where);
      else
        c.inputs.push_back(std::move(atom));
    }
    if (constant_false) continue;  // an unreachable case: nothing to check
    for (std::size_t k = 0; k < p.copies; ++k)
      for (Eigen::Index i = 0; i < n_in; ++i)
        if (!std::isfinite(c.box[k].lo[i]) || !std::isfinite(c.box[k].hi[i]))
          throw InputError(name, where,
                           std::string(k ? "Xp_" : "X_") + std::to_string(i) + " has no " +
                               (std::isfinite(c.box[k].lo[i]) ? "upper" : "lower") +
                               " bound (every input needs a finite box)");
    p.cases.push_back(std::move(c));
  }
  if (p.cases.empty()) throw InputError(name, "asserts", "the property has no satisfiable case (it is 'false')");
  return p;
}

double lhs(const LinearAtom& atom, const Assignment& a) {
  long double s = 0;
  for (const auto& [v, coef] : atom.terms) {
    const Vector& vec = v.output ? a.y[v.copy] : a.x[v.copy];
    s += static_cast<long double>(coef) * vec[static_cast<Eigen::Index>(v.index)];
  }
  return static_cast<double>(s);
}

bool in_copy_box(const LinearProperty& p, const LinearCase& c, std::size_t copy, const Vector& x) {
  if (!contains(c.box[copy], x)) return false;
  for (std::size_t i = 0; i < p.num_inputs; ++i) {
    const double v = x[static_cast<Eigen::Index>(i)];
    if (p.integer[copy][i] && v != std::round(v)) return false;
  }
  return true;
}

bool in_precondition(const LinearProperty& p, const LinearCase& c, const std::vector<Vector>& x, double slack) {
  if (x.size() != p.copies) return false;
  for (std::size_t k = 0; k < p.copies; ++k)
    if (!in_copy_box(p, c, k, x[k])) return false;
  const Assignment a{x, {}};
  for (const LinearAtom& atom : c.inputs)
    if (lhs(atom, a) > atom.rhs + slack) return false;
  return true;
}

std::vector<Vector> sample_case_box(const LinearProperty& p, const LinearCase& c, std::mt19937_64& rng) {
  std::vector<Vector> x;
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (std::size_t k = 0; k < p.copies; ++k) {
    Vector v(static_cast<Eigen::Index>(p.num_inputs));
    for (Eigen::Index i = 0; i < v.size(); ++i) {
      const double lo = c.box[k].lo[i], hi = c.box[k].hi[i];
      v[i] = p.integer[k][static_cast<std::size_t>(i)] ? std::floor(lo + u(rng) * (hi - lo + 1)) : lo + u(rng) * (hi - lo);
      v[i] = std::clamp(v[i], lo, hi);
    }
    x.push_back(std::move(v));
  }
  return x;
}

CaseMargin case_margin(const LinearCase& c, const Assignment& a) {
  CaseMargin m;
  for (const LinearAtom& atom : c.outputs)
    if (const double v = lhs(atom, a) - atom.rhs; !m.atom || v > m.value) m = {v, &atom};
  return m;
}

std::optional<std::size_t> violated_case(const LinearProperty& p, const Assignment& a) {
  for (std::size_t ci = 0; ci < p.cases.size(); ++ci) {
    const LinearCase& c = p.cases[ci];
    if (!in_precondition(p, c, a.x)) continue;
    bool all = true;
    for (const LinearAtom& atom : c.outputs) all = all && lhs(atom, a) <= atom.rhs;
    if (all) return ci;
  }
  return std::nullopt;
}

Assignment evaluate_copies(const Network& net, const std::vector<Vector>& x) {
  Assignment a{x, {}};
  for (const Vector& xi : x) a.y.push_back(evaluate(net, xi));
  return a;
}

std::optional<LinearCounterexample> replay(const Network& net, const LinearProperty& p, const std::vector<Vector>& x) {
  Assignment a = evaluate_copies(net, x);
  if (auto ci = violated_case(p, a)) return LinearCounterexample{std::move(a), *ci};
  return std::nullopt;
}

LinearProperty linear_property(const Property& p, std::size_t num_inputs, std::size_t num_outputs) {
  LinearProperty out;
  out.name = p.name;
  out.num_inputs = num_inputs;
  out.num_outputs = num_outputs;
  out.integer.assign(1, std::vector<bool>(num_inputs, false));
  for (const PropertyCase& pc : p.cases)
    for (const Conjunction& conj : pc.unsafe) {
      LinearCase c;
      c.box = {pc.box};
      for (const OutputConstraint& oc : conj) {
        LinearAtom atom;
        atom.rhs = oc.b;
        for (Eigen::Index j = 0; j < oc.a.size(); ++j)
          if (oc.a[j] != 0) atom.terms.push_back({PropertyVariable{0, true, static_cast<std::size_t>(j)}, oc.a[j]});
        c.outputs.push_back(std::move(atom));
      }
      out.cases.push_back(std::move(c));
    }
  return out;
}

std::optional<Property> to_box_property(const LinearProperty& p, bool relax_integers) {
  if (p.copies != 1 || (p.any_integer() && !relax_integers)) return std::nullopt;
  Property out;
  out.name = p.name;
  for (const LinearCase& c : p.cases) {
    if (!c.inputs.empty()) return std::nullopt;
    Conjunction conj;
    for (const LinearAtom& atom : c.outputs) {
      OutputConstraint oc{Vector::Zero(static_cast<Eigen::Index>(p.num_outputs)), atom.rhs};
      for (const auto& [v, coef] : atom.terms) {
        if (!v.output) return std::nullopt;
        oc.a[static_cast<Eigen::Index>(v.index)] += coef;
      }
      conj.push_back(std::move(oc));
    }
    out.cases.push_back({c.box[0], {std::move(conj)}});
  }
  return out;
}

}  // namespace nncert
