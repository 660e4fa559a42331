#include "certifier/repair/sampling.hpp"

#include <algorithm>

namespace nncert {

std::vector<Box> property_domain(const LinearProperty& p) {
  std::vector<Box> d = p.cases.front().box;
  for (const LinearCase& c : p.cases)
    for (std::size_t k = 0; k < p.copies; ++k) {
      d[k].lo = d[k].lo.cwiseMin(c.box[k].lo);
      d[k].hi = d[k].hi.cwiseMax(c.box[k].hi);
    }
  return d;
}

std::vector<Assignment> sample_around(const LinearProperty& p, const std::vector<Box>& domain, const Assignment& repaired,
                                      const SamplingOptions& o, std::mt19937_64& rng) {
  std::normal_distribution<double> in(0.0, o.input_sigma), out(0.0, o.output_sigma);
  std::vector<Assignment> kept;
  for (std::size_t t = 0; t < o.samples; ++t) {
    Assignment s = repaired;
    for (std::size_t k = 0; k < p.copies; ++k) {
      for (Eigen::Index i = 0; i < s.x[k].size(); ++i)
        if (!p.integer[k][static_cast<std::size_t>(i)])
          s.x[k][i] = std::clamp(s.x[k][i] + in(rng), domain[k].lo[i], domain[k].hi[i]);
      for (Eigen::Index j = 0; j < s.y[k].size(); ++j) s.y[k][j] += out(rng);
    }
    const bool pre = std::any_of(p.cases.begin(), p.cases.end(),
                                 [&](const LinearCase& c) { return in_precondition(p, c, s.x); });
    if (pre && !violated_case(p, s)) kept.push_back(std::move(s));
  }
  return kept;
}

}  // namespace nncert
