#include "conform/vectors.hpp"

#include "certifier/core/error.hpp"
#include "formats/atomic_file.hpp"
#include "formats/dataset.hpp"

#include <random>
#include <sstream>

namespace nncert::conform {

namespace {

// Counterexamples from a VNN-COMP-style results file (`nncert verify --results`): lines
// "model,property,sat,seconds,x0 x1 ..." carry the falsifying input as the last field.
std::vector<std::vector<std::int64_t>> read_counterexamples(const std::string& path, const QNetwork& net) {
  std::vector<std::vector<std::int64_t>> out;
  std::istringstream in(read_file(path));
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find(",sat,") == std::string::npos) continue;
    std::istringstream cells(line.substr(line.rfind(',') + 1));
    std::vector<std::int64_t> x;
    std::int64_t v;
    while (cells >> v) x.push_back(v);
    if (x.size() != net.input_size)
      throw InputError(path, "line " + std::to_string(number),
                       "counterexample has " + std::to_string(x.size()) + " values, the network expects " +
                           std::to_string(net.input_size));
    out.push_back(std::move(x));
  }
  return out;
}

}  // namespace

Vectors make_vectors(const QNetwork& net, const VectorRequest& request) {
  const std::size_t n = request.count;
  const std::string& data = request.data;
  const std::string& cex_file = request.counterexamples;
  Vectors v;
  const std::int64_t lo = net.cx.lo(), hi = net.cx.hi();
  if (!data.empty()) {
    const Dataset d = load_dataset(data, "test");
    if (d.features() != net.input_size)
      throw InputError(d.name, "features", "has " + std::to_string(d.features()) + " features, the network expects " +
                                               std::to_string(net.input_size));
    const std::size_t take = std::min(d.size(), (n + 1) / 2);
    for (std::size_t i = 0; i < take; ++i) {
      auto x = d.raw_sample(i);
      for (std::size_t k = 0; k < x.size(); ++k)
        if (x[k] < lo || x[k] > hi)
          throw InputError(d.name, "sample " + std::to_string(i) + " feature " + std::to_string(k),
                           "value " + std::to_string(x[k]) + " is off the input grid " + to_string(net.cx));
      v.x.push_back(std::move(x));
    }
    v.dataset = take;
  }
  // Grid corners: all-min, all-max and both alternating patterns.
  std::vector<std::int64_t> a(net.input_size), b(net.input_size);
  for (std::size_t i = 0; i < net.input_size; ++i) a[i] = i % 2 ? hi : lo, b[i] = i % 2 ? lo : hi;
  for (auto& c : {std::vector<std::int64_t>(net.input_size, lo), std::vector<std::int64_t>(net.input_size, hi), a, b})
    v.x.push_back(c);
  v.corners = 4;
  std::mt19937_64 rng(request.seed);
  std::uniform_int_distribution<std::int64_t> grid(lo, hi);
  for (; v.dataset + v.random < n; ++v.random) {
    std::vector<std::int64_t> x(net.input_size);
    for (auto& e : x) e = grid(rng);
    v.x.push_back(std::move(x));
  }
  if (!cex_file.empty())
    for (auto& x : read_counterexamples(cex_file, net)) {
      for (std::size_t k = 0; k < x.size(); ++k)
        if (x[k] < lo || x[k] > hi)
          throw InputError(cex_file, "counterexample " + std::to_string(v.counterexamples),
                           "value " + std::to_string(x[k]) + " is off the input grid " + to_string(net.cx));
      v.x.push_back(std::move(x));
      ++v.counterexamples;
    }
  return v;
}

}  // namespace nncert::conform
