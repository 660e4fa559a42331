#include "certifier/cli/robust_spec.hpp"

#include "certifier/core/error.hpp"

#include <charconv>
#include <cmath>
#include <tuple>

namespace nncert::cli {

double parse_double(const std::string& s, const std::string& option) {
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v))
    throw InputError(option, "'" + s + "'", "expected a finite number");
  return v;
}

std::pair<double, double> parse_range(const std::string& s, const std::string& option) {
  const auto colon = s.find(':');
  if (colon == std::string::npos) throw InputError(option, "'" + s + "'", "expected LO:HI");
  const double lo = parse_double(s.substr(0, colon), option), hi = parse_double(s.substr(colon + 1), option);
  if (lo > hi) throw InputError(option, "'" + s + "'", "expected LO <= HI");
  return {lo, hi};
}

LinfBall parse_linf_ball(const std::string& robust, const std::string& domain) {
  if (robust.rfind("linf:", 0) != 0)
    throw InputError("--robust", "'" + robust + "'", "expected linf:EPS (the float verifier supports L-inf balls)");
  LinfBall b;
  b.eps = parse_double(robust.substr(5), "--robust");
  if (b.eps < 0) throw InputError("--robust", "'" + robust + "'", "expected EPS >= 0");
  std::tie(b.lo, b.hi) = parse_range(domain, "--domain");
  return b;
}

}  // namespace nncert::cli
