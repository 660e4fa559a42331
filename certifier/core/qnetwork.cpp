#include "certifier/core/qnetwork.hpp"

#include "certifier/core/error.hpp"
#include "certifier/core/qsemantics.hpp"

#include <algorithm>
#include <cmath>

namespace nncert {

namespace {

// Shifts are bounded so that every intermediate of the evaluator provably fits int64:
// check_qnetwork demands accumulator_bound (which includes the shifted bias and the s <= 0
// left shift) below 2^62.
constexpr int kMaxShift = 62;
constexpr std::int64_t kAccLimit = std::int64_t{1} << 62;

std::string at_layer(std::size_t l) { return "layer " + std::to_string(l) + ": "; }

}  // namespace

std::string to_string(const QConfig& c) {
  std::string out = c.is_signed ? "<signed," : "<unsigned,";
  out += std::to_string(c.bits);
  out += ',';
  out += std::to_string(c.frac);
  out += '>';
  return out;
}

std::int64_t quantize_value(double u, const QConfig& c) {
  if (!std::isfinite(u)) throw InputError("cannot quantize a NaN or infinite value");
  const double scaled = std::floor(std::ldexp(u, c.frac) + 0.5);
  // Clamp in double first so the conversion to int64 is always defined.
  const double clamped = std::clamp(scaled, static_cast<double>(c.lo()), static_cast<double>(c.hi()));
  return static_cast<std::int64_t>(clamped);
}

std::size_t output_size(const QNetwork& net) {
  return net.layers.empty() ? net.input_size : net.layers.back().outputs;
}

int input_frac(const QNetwork& net, std::size_t l) {
  return l == 0 ? net.cx.frac : net.layers[l - 1].cy.frac;
}

std::string check_qnetwork(const QNetwork& net) {
  auto config_ok = [](const QConfig& c) {
    return c.bits >= 2 && c.bits <= 16 && c.frac >= -kMaxShift && c.frac <= kMaxShift;
  };
  if (net.input_size == 0) return "network has no inputs";
  if (!config_ok(net.cx)) return "input config " + to_string(net.cx) + " out of range (Q in 2..16)";
  std::size_t width = net.input_size;
  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    const QLayer& layer = net.layers[l];
    if (layer.inputs != width)
      return at_layer(l) + "has " + std::to_string(layer.inputs) + " inputs, expected " + std::to_string(width);
    if (layer.outputs == 0) return at_layer(l) + "has no outputs";
    if (layer.W.size() != layer.inputs * layer.outputs)
      return at_layer(l) + "weight array has " + std::to_string(layer.W.size()) + " entries, expected " +
             std::to_string(layer.inputs * layer.outputs);
    if (layer.b.size() != layer.outputs)
      return at_layer(l) + "bias array has " + std::to_string(layer.b.size()) + " entries, expected " +
             std::to_string(layer.outputs);
    for (const QConfig* c : {&layer.cw, &layer.cb, &layer.cy})
      if (!config_ok(*c)) return at_layer(l) + "config " + to_string(*c) + " out of range (Q in 2..16)";
    for (std::size_t i = 0; i < layer.W.size(); ++i)
      if (layer.W[i] < layer.cw.lo() || layer.W[i] > layer.cw.hi())
        return at_layer(l) + "weight " + std::to_string(i) + " = " + std::to_string(layer.W[i]) +
               " is off the grid " + to_string(layer.cw);
    for (std::size_t i = 0; i < layer.b.size(); ++i)
      if (layer.b[i] < layer.cb.lo() || layer.b[i] > layer.cb.hi())
        return at_layer(l) + "bias " + std::to_string(i) + " = " + std::to_string(layer.b[i]) +
               " is off the grid " + to_string(layer.cb);
    const QRequant rq = requant(net, l);
    const int bias_shift = rq.bias_shift;
    if (bias_shift < 0 || bias_shift > kMaxShift)
      return at_layer(l) + "bias alignment Fw + Fx - Fb = " + std::to_string(bias_shift) +
             " must be in 0.." + std::to_string(kMaxShift);
    if (rq.s > kMaxShift || rq.s < -kMaxShift)
      return at_layer(l) + "requantization shift " + std::to_string(rq.s) + " out of range";
    width = layer.outputs;
  }
  if (accumulator_bound(net) >= kAccLimit) return "accumulator bound exceeds 2^62";
  return {};
}

std::vector<std::vector<std::int64_t>> evaluate_trace(const QNetwork& net,
                                                      const std::vector<std::int64_t>& x) {
  if (x.size() != net.input_size)
    throw InputError("input has " + std::to_string(x.size()) + " values, the network expects " +
                     std::to_string(net.input_size));
  for (std::size_t i = 0; i < x.size(); ++i)
    if (x[i] < net.cx.lo() || x[i] > net.cx.hi())
      throw InputError("input " + std::to_string(i) + " = " + std::to_string(x[i]) +
                       " is off the input grid " + to_string(net.cx));
  std::vector<std::vector<std::int64_t>> trace{x};
  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    const QLayer& layer = net.layers[l];
    const std::vector<std::int64_t>& in = trace.back();
    const QRequant rq = requant(net, l);
    std::vector<std::int64_t> out(layer.outputs);
    for (std::size_t j = 0; j < layer.outputs; ++j) out[j] = rq.apply(accumulator(layer, rq, j, in.data()));
    trace.push_back(std::move(out));
  }
  return trace;
}

std::vector<std::int64_t> evaluate(const QNetwork& net, const std::vector<std::int64_t>& x) {
  return std::move(evaluate_trace(net, x).back());
}

std::size_t argmax_first(const std::vector<std::int64_t>& y) {
  return static_cast<std::size_t>(std::max_element(y.begin(), y.end()) - y.begin());
}

std::size_t predict(const QNetwork& net, const std::vector<std::int64_t>& x) {
  return argmax_first(evaluate(net, x));
}

}  // namespace nncert
