#include "certifier/verify/relu_chain.hpp"

#include "certifier/core/error.hpp"
#include "certifier/core/overloaded.hpp"

#include <optional>

namespace nncert {

ReluChain to_relu_chain(const Network& net) {
  const Network folded = fold(net);
  ReluChain chain;
  chain.input_size = folded.input_size;
  // pending: affine map accumulated since the last ReLU (none yet = identity).
  std::optional<Dense> pending;
  std::size_t width = folded.input_size;
  auto identity = [](std::size_t n) {
    return Dense{Matrix::Identity(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(n)),
                 Vector::Zero(static_cast<Eigen::Index>(n))};
  };
  for (const Layer& layer : folded.layers) {
    std::visit(Overloaded{
                   [&](const Dense& d) {
                     if (pending)
                       pending = Dense{d.W * pending->W, d.W * pending->b + d.b};
                     else
                       pending = d;
                     width = static_cast<std::size_t>(d.b.size());
                   },
                   [&](const ReLU&) {
                     if (!pending) {
                       // relu(relu(z)) = relu(z); a leading ReLU acts on the identity.
                       if (!chain.layers.empty()) return;
                       pending = identity(width);
                     }
                     chain.layers.push_back(std::move(*pending));
                     pending.reset();
                   },
                   [&](const auto& other) {
                     throw InputError("network", "layer " + layer_kind(Layer{other}),
                                      "left after folding; the float verifiers need Dense and ReLU layers");
                   }},
               layer);
  }
  chain.layers.push_back(pending ? std::move(*pending) : identity(width));
  return chain;
}

Matrix evaluate(const ReluChain& chain, const Matrix& X) {
  Matrix a = X;
  for (std::size_t l = 0; l < chain.layers.size(); ++l) {
    Matrix z = (chain.layers[l].W * a).colwise() + chain.layers[l].b;
    a = l + 1 < chain.layers.size() ? Matrix(z.cwiseMax(0.0)) : std::move(z);
  }
  return a;
}

}  // namespace nncert
