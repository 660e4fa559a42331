#include "certifier/prune/slimming.hpp"

#include "certifier/core/error.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace nncert {

namespace {

// BatchNorm layers at i with Dense at i-1, ReLU at i+1 and Dense at i+2.
std::vector<std::size_t> prunable_batch_norms(const Network& net) {
  std::vector<std::size_t> out;
  for (std::size_t i = 1; i + 2 < net.layers.size(); ++i)
    if (std::holds_alternative<BatchNorm>(net.layers[i]) && std::holds_alternative<Dense>(net.layers[i - 1]) &&
        std::holds_alternative<ReLU>(net.layers[i + 1]) && std::holds_alternative<Dense>(net.layers[i + 2]))
      out.push_back(i);
  return out;
}

template <class M>
M take_rows(const M& m, const std::vector<Eigen::Index>& rows) {
  M out(static_cast<Eigen::Index>(rows.size()), m.cols());
  for (std::size_t r = 0; r < rows.size(); ++r) out.row(static_cast<Eigen::Index>(r)) = m.row(rows[r]);
  return out;
}

}  // namespace

std::size_t hidden_neurons(const Network& net) {
  std::size_t n = 0, last = 0;
  for (const Layer& l : net.layers)
    if (const auto* d = std::get_if<Dense>(&l)) {
      n += static_cast<std::size_t>(d->W.rows());
      last = static_cast<std::size_t>(d->W.rows());
    }
  return n - last;
}

Network slim(const Network& net, const SlimmingOptions& options, std::vector<SlimmedLayer>* report) {
  if (options.ratio.has_value() == options.threshold.has_value())
    throw InputError("prune slim", "options", "give exactly one of --ratio and --threshold");
  if (options.ratio && !(*options.ratio >= 0 && *options.ratio < 1))
    throw InputError("--ratio", std::to_string(*options.ratio), "expected a fraction in [0, 1)");
  if (options.threshold && !(*options.threshold >= 0 && std::isfinite(*options.threshold)))
    throw InputError("--threshold", std::to_string(*options.threshold), "expected a non-negative number");
  const std::vector<std::size_t> bns = prunable_batch_norms(net);
  if (bns.empty())
    throw InputError("network", "layers",
                     "has no Dense -> BatchNorm -> ReLU -> Dense block: slimming needs BatchNorm (train with --bn)");

  // keep[b][j]: neuron j of prunable BatchNorm b survives.
  std::vector<std::vector<bool>> keep;
  struct Entry {
    double magnitude;
    std::size_t block;
    Eigen::Index neuron;
  };
  std::vector<Entry> all;
  for (std::size_t b = 0; b < bns.size(); ++b) {
    const Vector& gamma = std::get<BatchNorm>(net.layers[bns[b]]).gamma;
    keep.emplace_back(static_cast<std::size_t>(gamma.size()), true);
    for (Eigen::Index j = 0; j < gamma.size(); ++j) all.push_back({std::abs(gamma[j]), b, j});
  }
  // Liu et al. use one global threshold over all layers; ties are broken by position.
  std::sort(all.begin(), all.end(), [](const Entry& a, const Entry& c) {
    return std::tie(a.magnitude, a.block, a.neuron) < std::tie(c.magnitude, c.block, c.neuron);
  });
  const std::size_t quota = options.ratio
                                ? static_cast<std::size_t>(std::floor(*options.ratio * static_cast<double>(all.size())))
                                : all.size();
  std::vector<std::size_t> alive;
  for (const auto& k : keep) alive.push_back(k.size());
  std::size_t removed = 0;
  for (const Entry& e : all) {
    if (removed >= quota) break;
    if (options.threshold && e.magnitude > *options.threshold) break;
    if (alive[e.block] <= std::max<std::size_t>(options.min_neurons, 1)) continue;
    keep[e.block][static_cast<std::size_t>(e.neuron)] = false;
    --alive[e.block];
    ++removed;
  }

  Network out = net;
  if (report) report->clear();
  for (std::size_t b = 0; b < bns.size(); ++b) {
    const std::size_t i = bns[b];
    std::vector<Eigen::Index> kept;
    for (std::size_t j = 0; j < keep[b].size(); ++j)
      if (keep[b][j]) kept.push_back(static_cast<Eigen::Index>(j));
    if (report) report->push_back({i, keep[b].size(), kept.size()});
    auto& before = std::get<Dense>(out.layers[i - 1]);
    auto& bn = std::get<BatchNorm>(out.layers[i]);
    auto& next = std::get<Dense>(out.layers[i + 2]);
    // The removed neurons' constant output relu(beta) moves into the next layer's bias.
    for (std::size_t j = 0; j < keep[b].size(); ++j)
      if (!keep[b][j]) next.b += next.W.col(static_cast<Eigen::Index>(j)) * std::max(0.0, bn.beta[static_cast<Eigen::Index>(j)]);
    before.W = take_rows(before.W, kept);
    before.b = take_rows(before.b, kept);
    bn.gamma = take_rows(bn.gamma, kept);
    bn.beta = take_rows(bn.beta, kept);
    bn.mean = take_rows(bn.mean, kept);
    bn.var = take_rows(bn.var, kept);
    next.W = Matrix(take_rows(Matrix(next.W.transpose()), kept).transpose());
  }
  return out;
}

}  // namespace nncert
