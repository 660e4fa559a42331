// What the float verifiers prove: no input in a box reaches an unsafe output region, the
// region being a disjunction of conjunctions of linear constraints (VNN-LIB semantics, DESIGN §4),
// and the built-in local robustness properties (classification argmax, regression L-inf).
#pragma once

#include "certifier/core/network.hpp"
#include "formats/vnnlib.hpp"

#include <optional>
#include <string>
#include <vector>

namespace nncert {

struct Box {
  Vector lo, hi;
  Vector center() const { return (lo + hi) / 2; }
};

// a . y <= b
struct OutputConstraint {
  Vector a;
  double b = 0;
};
using Conjunction = std::vector<OutputConstraint>;  // empty = every output is unsafe

// Counterexamples: x in `box` with y = net(x) satisfying every constraint of some conjunction.
struct PropertyCase {
  Box box;
  std::vector<Conjunction> unsafe;
};

struct Property {
  std::string name;
  std::vector<PropertyCase> cases;  // the property holds iff it holds for every case
};

// Groups the DNF terms by their input box. Throws InputError (with the atom's line:column) for
// constraints mixing X and Y, non-bound constraints on X, unbounded inputs, or lo > hi.
Property property_from_vnnlib(const VnnlibSpec& spec, const std::string& name);

// Classification: argmax stays `label` on the L-inf ball of radius eps around x0 clipped to
// [domain_lo, domain_hi]. Unsafe: y_j >= y_label for some j != label (ties count as unsafe).
Property local_robustness(const Vector& x0, double eps, int label, std::size_t num_outputs, double domain_lo = 0.0,
                          double domain_hi = 1.0);

// Regression: |y - y0|_inf < delta on the same ball; unsafe: some |y_i - y0_i| >= delta.
Property regression_robustness(const Vector& x0, double eps, const Vector& y0, double delta, double domain_lo,
                               double domain_hi);

// True when y lies in the conjunction's region (up to `slack` on each constraint).
bool satisfies(const Conjunction& c, const Vector& y, double slack = 0.0);
bool contains(const Box& box, const Vector& x);

struct Counterexample {
  Vector x, y;             // y = evaluate(network, x) on the concrete network
  std::size_t case_index = 0, conjunction_index = 0;
};

// Re-executes x on the concrete (unfolded) network and checks it against every case: the only
// way a "falsified" verdict is ever produced.
std::optional<Counterexample> replay(const Network& net, const Property& property, const Vector& x);

}  // namespace nncert
