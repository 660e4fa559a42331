#include "certifier/core/network.hpp"

#include "certifier/core/overloaded.hpp"

#include <cmath>
#include <optional>
#include <sstream>

namespace nncert {

namespace {

// A per-feature affine map y = a .* x + c (what BatchNorm and Normalize are at inference).
struct Diagonal {
  Vector a, c;
};

Diagonal as_diagonal(const BatchNorm& bn) {
  Vector a = bn.gamma.array() / (bn.var.array() + bn.eps).sqrt();
  return {a, bn.beta - a.cwiseProduct(bn.mean)};
}

Diagonal as_diagonal(const Normalize& n) {
  Vector a = n.std.cwiseInverse();
  return {a, -n.mean.cwiseProduct(a)};
}

std::string where(std::size_t index, const Layer& layer) {
  return "layer " + std::to_string(index) + " (" + layer_kind(layer) + ")";
}

}  // namespace

std::string layer_kind(const Layer& layer) {
  return std::visit(Overloaded{[](const Dense&) { return std::string("Dense"); },
                               [](const BatchNorm&) { return std::string("BatchNorm"); },
                               [](const ReLU&) { return std::string("ReLU"); },
                               [](const Normalize&) { return std::string("Normalize"); }},
                    layer);
}

std::size_t layer_output_size(const Layer& layer, std::size_t input_size) {
  if (const auto* d = std::get_if<Dense>(&layer)) return static_cast<std::size_t>(d->W.rows());
  return input_size;
}

std::vector<std::size_t> layer_widths(const Network& net) {
  std::vector<std::size_t> widths{net.input_size};
  for (const auto& layer : net.layers) widths.push_back(layer_output_size(layer, widths.back()));
  return widths;
}

std::size_t output_size(const Network& net) { return layer_widths(net).back(); }

std::string check_network(const Network& net) {
  if (net.input_size == 0) return "network has no inputs";
  std::size_t width = net.input_size;
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& layer = net.layers[i];
    std::ostringstream err;
    const auto n = static_cast<Eigen::Index>(width);
    std::visit(
        Overloaded{
            [&](const Dense& d) {
              if (d.W.cols() != n)
                err << "weight matrix has " << d.W.cols() << " columns, expected " << width;
              else if (d.W.rows() == 0)
                err << "weight matrix has no rows";
              else if (d.b.size() != d.W.rows())
                err << "bias has " << d.b.size() << " entries, expected " << d.W.rows();
              else if (!d.W.allFinite() || !d.b.allFinite())
                err << "weights or biases contain NaN or Inf";
            },
            [&](const BatchNorm& bn) {
              if (bn.gamma.size() != n || bn.beta.size() != n || bn.mean.size() != n ||
                  bn.var.size() != n)
                err << "parameters must each have " << width << " entries";
              else if (!bn.gamma.allFinite() || !bn.beta.allFinite() || !bn.mean.allFinite() ||
                       !bn.var.allFinite() || !std::isfinite(bn.eps))
                err << "parameters contain NaN or Inf";
              else if ((bn.var.array() + bn.eps <= 0).any())
                err << "var + eps must be positive";
            },
            [&](const ReLU&) {},
            [&](const Normalize& nz) {
              if (nz.mean.size() != n || nz.std.size() != n)
                err << "mean and std must each have " << width << " entries";
              else if (!nz.mean.allFinite() || !nz.std.allFinite())
                err << "mean or std contains NaN or Inf";
              else if ((nz.std.array() == 0).any())
                err << "std must be nonzero";
            }},
        layer);
    if (!err.str().empty()) return where(i, layer) + ": " + err.str();
    width = layer_output_size(layer, width);
  }
  return {};
}

Matrix evaluate(const Network& net, const Matrix& X) {
  Matrix Y = X;
  for (const auto& layer : net.layers) {
    std::visit(Overloaded{[&](const Dense& d) { Y = (d.W * Y).colwise() + d.b; },
                          [&](const BatchNorm& bn) {
                            const Diagonal g = as_diagonal(bn);
                            Y = (g.a.asDiagonal() * Y).colwise() + g.c;
                          },
                          [&](const ReLU&) { Y = Y.cwiseMax(0.0); },
                          [&](const Normalize& nz) {
                            Y = (Y.colwise() - nz.mean).array().colwise() / nz.std.array();
                          }},
               layer);
  }
  return Y;
}

Vector evaluate(const Network& net, const Vector& x) {
  return evaluate(net, Matrix(x)).col(0);
}

Network fold(const Network& net) {
  Network out{net.input_size, {}};
  // Within a run of affine layers (between ReLUs) compose everything into at most one Dense.
  // A diagonal map seen before any Dense waits in `pending` and folds into the next Dense's
  // columns; one seen after a Dense scales that Dense's rows.
  std::optional<Dense> current;
  std::optional<Diagonal> pending;
  auto apply_diagonal = [&](const Diagonal& g) {
    if (current) {
      current->W = g.a.asDiagonal() * current->W;
      current->b = g.a.cwiseProduct(current->b) + g.c;
    } else if (pending) {
      pending->c = g.a.cwiseProduct(pending->c) + g.c;
      pending->a = g.a.cwiseProduct(pending->a);
    } else {
      pending = g;
    }
  };
  auto flush = [&]() {
    if (pending && !current) current = Dense{Matrix(pending->a.asDiagonal()), pending->c};
    if (current) out.layers.emplace_back(std::move(*current));
    current.reset();
    pending.reset();
  };
  for (const auto& layer : net.layers) {
    std::visit(Overloaded{[&](const Dense& d) {
                            if (current) {
                              current = Dense{d.W * current->W, d.W * current->b + d.b};
                            } else if (pending) {
                              current = Dense{d.W * pending->a.asDiagonal(), d.W * pending->c + d.b};
                              pending.reset();
                            } else {
                              current = d;
                            }
                          },
                          [&](const BatchNorm& bn) { apply_diagonal(as_diagonal(bn)); },
                          [&](const Normalize& nz) { apply_diagonal(as_diagonal(nz)); },
                          [&](const ReLU&) {
                            flush();
                            out.layers.emplace_back(ReLU{});
                          }},
               layer);
  }
  flush();
  return out;
}

std::size_t parameter_count(const Network& net) {
  std::size_t count = 0;
  for (const auto& layer : net.layers) {
    if (const auto* d = std::get_if<Dense>(&layer)) count += d->W.size() + d->b.size();
    if (const auto* bn = std::get_if<BatchNorm>(&layer)) count += bn->gamma.size() + bn->beta.size();
  }
  return count;
}

Eigen::Index argmax_first(const Vector& v) {
  Eigen::Index best = 0;
  for (Eigen::Index i = 1; i < v.size(); ++i)
    if (v[i] > v[best]) best = i;
  return best;
}

}  // namespace nncert
