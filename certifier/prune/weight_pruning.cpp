#include "certifier/prune/weight_pruning.hpp"

#include "certifier/core/error.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace nncert {

namespace {

struct Entry {
  double magnitude;
  std::size_t layer;
  Eigen::Index index;
};

// Zero the `count` smallest entries (ties by layer, then index: the order is part of the contract).
void zero_smallest(std::vector<Entry>& entries, std::size_t count, Network& net) {
  count = std::min(count, entries.size());
  auto less = [](const Entry& a, const Entry& b) {
    return std::tie(a.magnitude, a.layer, a.index) < std::tie(b.magnitude, b.layer, b.index);
  };
  std::nth_element(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(count), entries.end(), less);
  for (std::size_t i = 0; i < count; ++i) std::get<Dense>(net.layers[entries[i].layer]).W.data()[entries[i].index] = 0.0;
}

}  // namespace

std::vector<WeightMask> prune_weights(Network& net, const WeightPruningOptions& options) {
  if (options.sparsity.has_value() == options.threshold.has_value())
    throw InputError("prune weights", "options", "give exactly one of --sparsity and --threshold");
  if (options.sparsity && !(*options.sparsity >= 0 && *options.sparsity < 1))
    throw InputError("--sparsity", std::to_string(*options.sparsity), "expected a fraction in [0, 1)");
  if (options.threshold && !(*options.threshold >= 0 && std::isfinite(*options.threshold)))
    throw InputError("--threshold", std::to_string(*options.threshold), "expected a non-negative number");
  std::vector<std::size_t> dense;
  for (std::size_t i = 0; i < net.layers.size(); ++i)
    if (std::holds_alternative<Dense>(net.layers[i])) dense.push_back(i);
  if (dense.empty()) throw InputError("network", "layers", "has no Dense layer to prune");
  if (!options.include_output) dense.pop_back();

  auto entries_of = [&](std::size_t layer) {
    const Matrix& W = std::get<Dense>(net.layers[layer]).W;
    std::vector<Entry> e(static_cast<std::size_t>(W.size()));
    for (Eigen::Index k = 0; k < W.size(); ++k) e[static_cast<std::size_t>(k)] = {std::abs(W.data()[k]), layer, k};
    return e;
  };
  if (options.threshold) {
    for (std::size_t layer : dense) {
      Matrix& W = std::get<Dense>(net.layers[layer]).W;
      W = (W.array().abs() < *options.threshold).select(0.0, W);
    }
  } else if (options.global) {
    std::vector<Entry> all;
    for (std::size_t layer : dense) {
      auto e = entries_of(layer);
      all.insert(all.end(), e.begin(), e.end());
    }
    zero_smallest(all, static_cast<std::size_t>(std::llround(*options.sparsity * static_cast<double>(all.size()))), net);
  } else {
    for (std::size_t layer : dense) {
      auto e = entries_of(layer);
      zero_smallest(e, static_cast<std::size_t>(std::llround(*options.sparsity * static_cast<double>(e.size()))), net);
    }
  }
  std::vector<WeightMask> masks;
  for (std::size_t layer : dense) {
    const Matrix& W = std::get<Dense>(net.layers[layer]).W;
    masks.push_back({layer, (W.array() != 0.0).cast<double>().matrix()});
  }
  return masks;
}

std::size_t nonzero_weights(const Network& net) {
  std::size_t n = 0;
  for (const Layer& l : net.layers)
    if (const auto* d = std::get_if<Dense>(&l)) n += static_cast<std::size_t>((d->W.array() != 0.0).count());
  return n;
}

double weight_sparsity(const Network& net) {
  std::size_t total = 0;
  for (const Layer& l : net.layers)
    if (const auto* d = std::get_if<Dense>(&l)) total += static_cast<std::size_t>(d->W.size());
  return total ? 1.0 - static_cast<double>(nonzero_weights(net)) / static_cast<double>(total) : 0.0;
}

}  // namespace nncert
