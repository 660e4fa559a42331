#include "certifier/quantize/quant_plan.hpp"

#include "certifier/core/error.hpp"

#include <cmath>

namespace nncert {

std::vector<const Dense*> dense_chain(const Network& folded) {
  std::vector<const Dense*> out;
  for (std::size_t i = 0; i < folded.layers.size(); ++i) {
    const Layer& layer = folded.layers[i];
    const bool want_dense = i % 2 == 0;
    if (want_dense) {
      const auto* d = std::get_if<Dense>(&layer);
      if (!d)
        throw InputError("network", "layer " + std::to_string(i),
                         "is " + layer_kind(layer) + "; the quantizer needs Dense (ReLU Dense)* after folding");
      out.push_back(d);
    } else if (!std::holds_alternative<ReLU>(layer)) {
      throw InputError("network", "layer " + std::to_string(i),
                       "is " + layer_kind(layer) + "; the quantizer needs a ReLU between Dense layers");
    }
  }
  if (out.empty() || folded.layers.size() % 2 == 0)
    throw InputError("network", "layers", "the quantizer needs Dense (ReLU Dense)*, ending with a Dense layer");
  return out;
}

Matrix effective_weights(const Dense& d, std::size_t l, const QuantPlan& plan) {
  if (l != 0) return d.W;
  return d.W * (std::ldexp(1.0, plan.cx.frac) / plan.input_divisor);
}

QNetwork quantize_with_plan(const Network& folded, const QuantPlan& plan) {
  const auto dense = dense_chain(folded);
  if (dense.size() != plan.layers.size())
    throw InternalError("quantization plan has " + std::to_string(plan.layers.size()) + " layers, the network " +
                        std::to_string(dense.size()));
  QNetwork q;
  q.input_size = folded.input_size;
  q.cx = plan.cx;
  for (std::size_t l = 0; l < dense.size(); ++l) {
    const Matrix W = effective_weights(*dense[l], l, plan);
    const LayerPlan& p = plan.layers[l];
    QLayer layer;
    layer.inputs = static_cast<std::size_t>(W.cols());
    layer.outputs = static_cast<std::size_t>(W.rows());
    layer.cw = p.cw;
    layer.cb = p.cb;
    layer.cy = p.cy;
    layer.relu = l + 1 != dense.size();
    layer.W.reserve(layer.inputs * layer.outputs);
    for (Eigen::Index r = 0; r < W.rows(); ++r)
      for (Eigen::Index c = 0; c < W.cols(); ++c) layer.W.push_back(quantize_value(W(r, c), p.cw));
    for (Eigen::Index r = 0; r < dense[l]->b.size(); ++r) layer.b.push_back(quantize_value(dense[l]->b[r], p.cb));
    q.layers.push_back(std::move(layer));
  }
  return q;
}

std::size_t clamped_parameters(const Network& folded, const QuantPlan& plan) {
  const auto dense = dense_chain(folded);
  std::size_t n = 0;
  auto count = [&n](const auto& values, const QConfig& c) {
    for (Eigen::Index i = 0; i < values.size(); ++i) {
      const double scaled = std::floor(std::ldexp(values(i), c.frac) + 0.5);
      n += scaled < static_cast<double>(c.lo()) || scaled > static_cast<double>(c.hi());
    }
  };
  for (std::size_t l = 0; l < dense.size() && l < plan.layers.size(); ++l) {
    const Matrix W = effective_weights(*dense[l], l, plan);
    count(W.reshaped(), plan.layers[l].cw);
    count(dense[l]->b, plan.layers[l].cb);
  }
  return n;
}

Network dequantize(const QNetwork& q, double input_divisor) {
  Network net;
  net.input_size = q.input_size;
  for (std::size_t l = 0; l < q.layers.size(); ++l) {
    const QLayer& layer = q.layers[l];
    const auto rows = static_cast<Eigen::Index>(layer.outputs), cols = static_cast<Eigen::Index>(layer.inputs);
    double w_scale = std::ldexp(1.0, -layer.cw.frac);
    if (l == 0) w_scale *= input_divisor * std::ldexp(1.0, -q.cx.frac);
    Dense d{Matrix(rows, cols), Vector(rows)};
    for (Eigen::Index r = 0; r < rows; ++r) {
      for (Eigen::Index c = 0; c < cols; ++c)
        d.W(r, c) = static_cast<double>(layer.weight(static_cast<std::size_t>(r), static_cast<std::size_t>(c))) * w_scale;
      d.b[r] = std::ldexp(static_cast<double>(layer.b[static_cast<std::size_t>(r)]), -layer.cb.frac);
    }
    if (l != 0) net.layers.emplace_back(ReLU{});
    net.layers.emplace_back(std::move(d));
  }
  return net;
}

Network fake_quantize(const Network& folded, const QuantPlan& plan) {
  return dequantize(quantize_with_plan(folded, plan), plan.input_divisor);
}

}  // namespace nncert
