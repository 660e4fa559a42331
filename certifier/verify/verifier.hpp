// The float-network verification driver (DESIGN §4): `auto` runs a cheap attack, then DeepPoly,
// then a complete method (input-split BaB for low-dimensional inputs, MILP when few ReLUs are
// unstable, ReLU-split BaB otherwise) within the time limit. Every "falsified" verdict carries a
// counterexample replayed on the concrete (unfolded) network.
#pragma once

#include "certifier/verify/milp_solver.hpp"
#include "certifier/verify/property.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace nncert {

enum class Method { Auto, Interval, DeepPoly, Milp, Bab };
Method parse_method(const std::string& name);  // InputError on anything else
std::string to_string(Method m);

enum class Verdict { Verified, Falsified, Unknown };
std::string to_string(Verdict v);

struct VerifyOptions {
  Method method = Method::Auto;
  double timeout_s = 60;
  std::uint64_t seed = 0;
  int threads = 0;  // 0 = all cores (OpenMP default)
  MilpBackend milp_backend = MilpBackend::Cbc;
  bool attack = true;  // run the falsifier first (auto, bab, milp)
};

struct VerifyResult {
  Verdict verdict = Verdict::Unknown;
  std::optional<Counterexample> counterexample;
  std::string method;  // what settled it, e.g. "deeppoly", "bab-input", "milp/cbc", "attack"
  double seconds = 0;
  std::size_t nodes = 0;  // BaB nodes explored
  bool timed_out = false;
  std::string detail;
};

// Checks the property's dimensions against the network (InputError on mismatch), then verifies.
VerifyResult verify(const Network& net, const Property& property, const VerifyOptions& options);

}  // namespace nncert
