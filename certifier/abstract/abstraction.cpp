#include "certifier/abstract/abstraction.hpp"

#include "certifier/core/error.hpp"

#include <string>

namespace nncert {

AbstractionMap identity_map(const ReluChain& chain) {
  AbstractionMap map;
  for (std::size_t h = 0; h + 1 < chain.depth(); ++h) {
    std::vector<std::size_t> rep(static_cast<std::size_t>(chain.layers[h].b.size()));
    for (std::size_t i = 0; i < rep.size(); ++i) rep[i] = i;
    map.rep.push_back(std::move(rep));
  }
  return map;
}

void check_map(const ReluChain& chain, const AbstractionMap& map) {
  if (map.rep.size() + 1 != chain.depth())
    throw InputError("abstraction map", "layers",
                     "has " + std::to_string(map.rep.size()) + " hidden layers, the network has " +
                         std::to_string(chain.depth() - 1));
  for (std::size_t h = 0; h < map.rep.size(); ++h) {
    const auto& rep = map.rep[h];
    const std::string where = "hidden layer " + std::to_string(h + 1);
    if (rep.size() != static_cast<std::size_t>(chain.layers[h].b.size()))
      throw InputError("abstraction map", where,
                       "has " + std::to_string(rep.size()) + " neurons, the network has " +
                           std::to_string(chain.layers[h].b.size()));
    for (std::size_t m = 0; m < rep.size(); ++m) {
      if (rep[m] >= rep.size())
        throw InputError("abstraction map", where + " neuron " + std::to_string(m), "representative out of range");
      if (rep[rep[m]] != rep[m])
        throw InputError("abstraction map", where + " neuron " + std::to_string(m),
                         "its representative does not represent itself");
    }
  }
}

std::vector<std::size_t> kept_neurons(const std::vector<std::size_t>& rep) {
  std::vector<std::size_t> kept;
  for (std::size_t m = 0; m < rep.size(); ++m)
    if (rep[m] == m) kept.push_back(m);
  return kept;
}

std::vector<std::size_t> abstract_index(const std::vector<std::size_t>& rep) {
  std::vector<std::size_t> index_of_kept(rep.size(), 0), out(rep.size(), 0);
  std::size_t next = 0;
  for (std::size_t m = 0; m < rep.size(); ++m)
    if (rep[m] == m) index_of_kept[m] = next++;
  for (std::size_t m = 0; m < rep.size(); ++m) out[m] = index_of_kept[rep[m]];
  return out;
}

Matrix merge_columns(const Matrix& W, const std::vector<std::size_t>* prev_rep) {
  if (!prev_rep) return W;
  const auto idx = abstract_index(*prev_rep);
  const std::size_t k = kept_neurons(*prev_rep).size();
  Matrix M = Matrix::Zero(W.rows(), static_cast<Eigen::Index>(k));
  for (std::size_t m = 0; m < idx.size(); ++m) M.col(static_cast<Eigen::Index>(idx[m])) += W.col(static_cast<Eigen::Index>(m));
  return M;
}

ReluChain apply_abstraction(const ReluChain& chain, const AbstractionMap& map) {
  check_map(chain, map);
  ReluChain out;
  out.input_size = chain.input_size;
  for (std::size_t i = 0; i < chain.depth(); ++i) {
    const Dense& d = chain.layers[i];
    const Matrix merged = merge_columns(d.W, i > 0 ? &map.rep[i - 1] : nullptr);
    if (i + 1 == chain.depth()) {
      out.layers.push_back(Dense{merged, d.b});
      continue;
    }
    const auto kept = kept_neurons(map.rep[i]);
    Dense a{Matrix(static_cast<Eigen::Index>(kept.size()), merged.cols()), Vector(static_cast<Eigen::Index>(kept.size()))};
    for (std::size_t r = 0; r < kept.size(); ++r) {
      a.W.row(static_cast<Eigen::Index>(r)) = merged.row(static_cast<Eigen::Index>(kept[r]));
      a.b[static_cast<Eigen::Index>(r)] = d.b[static_cast<Eigen::Index>(kept[r])];
    }
    out.layers.push_back(std::move(a));
  }
  return out;
}

std::size_t hidden_neurons(const ReluChain& chain) {
  std::size_t n = 0;
  for (std::size_t i = 0; i + 1 < chain.depth(); ++i) n += static_cast<std::size_t>(chain.layers[i].b.size());
  return n;
}

Network to_network(const ReluChain& chain) {
  Network net{chain.input_size, {}};
  for (std::size_t i = 0; i < chain.depth(); ++i) {
    net.layers.emplace_back(chain.layers[i]);
    if (i + 1 < chain.depth()) net.layers.emplace_back(ReLU{});
  }
  return net;
}

}  // namespace nncert
