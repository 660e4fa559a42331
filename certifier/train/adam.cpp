#include "certifier/train/adam.hpp"

#include "certifier/core/error.hpp"
#include "certifier/train/layer_stack.hpp"

#include <cmath>

namespace nncert {

Adam::Adam(const AdamConfig& config, const Network& shape)
    : config_(config), m_(zeros_like(shape)), v_(zeros_like(shape)) {}

void Adam::step(Network& net, const Network& grads, double lr) {
  auto params = parameters(net);
  auto g = parameters(const_cast<Network&>(grads));  // read only: views are mutable by type only
  auto m = parameters(m_);
  auto v = parameters(v_);
  if (params.size() != g.size() || params.size() != m.size())
    throw InternalError("Adam::step: network shape changed since the optimiser was made");
  ++t_;
  const double bc1 = 1.0 - std::pow(config_.beta1, static_cast<double>(t_));
  const double bc2 = 1.0 - std::pow(config_.beta2, static_cast<double>(t_));
  const double step_size = lr / bc1;
  const double sqrt_bc2 = std::sqrt(bc2);
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (params[i].size != g[i].size || params[i].size != m[i].size)
      throw InternalError("Adam::step: tensor sizes changed since the optimiser was made");
    auto mi = m[i].values();
    auto vi = v[i].values();
    const auto gi = g[i].values();
    mi = config_.beta1 * mi + (1.0 - config_.beta1) * gi;
    vi = config_.beta2 * vi + (1.0 - config_.beta2) * gi.square();
    params[i].values() -= step_size * mi / (vi.sqrt() / sqrt_bc2 + config_.eps);
  }
}

}  // namespace nncert
