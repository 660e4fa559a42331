#include "certifier/train/architecture.hpp"

#include "certifier/core/error.hpp"

#include <charconv>
#include <cmath>
#include <numbers>
#include <random>

namespace nncert {

namespace {

// Box-Muller on mt19937_64's 53-bit uniforms: portable, unlike std::normal_distribution.
class Gaussian {
 public:
  explicit Gaussian(std::uint64_t seed) : rng_(seed) {}
  double operator()() {
    const double u1 = 1.0 - uniform(), u2 = uniform();  // u1 in (0, 1]: log is finite
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

 private:
  double uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }
  std::mt19937_64 rng_;
};

}  // namespace

std::vector<std::size_t> parse_architecture(const std::string& spec) {
  std::vector<std::size_t> widths;
  std::size_t start = 0;
  while (true) {
    const std::size_t colon = spec.find(':', start);
    const std::string_view part =
        std::string_view(spec).substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    std::size_t w = 0;
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), w);
    if (part.empty() || ec != std::errc() || end != part.data() + part.size() || w == 0 || w > (1u << 20))
      throw InputError("--arch", "'" + spec + "'",
                       "expected widths separated by ':' (positive integers), e.g. 784:64:32:16:10");
    widths.push_back(w);
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  if (widths.size() < 2)
    throw InputError("--arch", "'" + spec + "'", "expected at least an input and an output width, e.g. 784:10");
  return widths;
}

Network make_mlp(const std::vector<std::size_t>& widths, bool batch_norm, std::uint64_t seed) {
  if (widths.size() < 2) throw InputError("architecture", "widths", "need at least an input and an output width");
  Gaussian gauss(seed);
  Network net{widths[0], {}};
  for (std::size_t i = 1; i < widths.size(); ++i) {
    const auto in = static_cast<Eigen::Index>(widths[i - 1]), out = static_cast<Eigen::Index>(widths[i]);
    const double scale = std::sqrt(2.0 / static_cast<double>(in));
    Matrix W(out, in);
    for (Eigen::Index r = 0; r < out; ++r)  // row-major fill: the order is part of the seed contract
      for (Eigen::Index c = 0; c < in; ++c) W(r, c) = scale * gauss();
    net.layers.emplace_back(Dense{std::move(W), Vector::Zero(out)});
    if (i + 1 == widths.size()) break;
    if (batch_norm)
      net.layers.emplace_back(BatchNorm{Vector::Ones(out), Vector::Zero(out), Vector::Zero(out), Vector::Ones(out), 1e-5});
    net.layers.emplace_back(ReLU{});
  }
  return net;
}

}  // namespace nncert
