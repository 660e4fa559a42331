// `--robust linf:EPS --domain LO:HI`: the local-robustness question `verify` and `repair` share
// (an L-inf ball of radius EPS around each sample, clipped to the input domain).
#pragma once

#include <string>
#include <utility>

namespace nncert::cli {

// A finite number, or InputError naming the option.
double parse_double(const std::string& s, const std::string& option);
// "LO:HI" with LO <= HI.
std::pair<double, double> parse_range(const std::string& s, const std::string& option);

struct LinfBall {
  double eps = 0;
  double lo = 0, hi = 1;  // the input domain the ball is clipped to
};
// InputError unless `robust` is linf:EPS with EPS >= 0 and `domain` is LO:HI.
LinfBall parse_linf_ball(const std::string& robust, const std::string& domain);

}  // namespace nncert::cli
