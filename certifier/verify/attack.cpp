#include "certifier/verify/attack.hpp"

#include <random>

namespace nncert {

namespace {

// Margin of every column of Y for a conjunction (<= 0 means inside the unsafe region) and the
// index of the constraint attaining it.
Vector margins(const Conjunction& c, const Matrix& Y, std::vector<Eigen::Index>* arg) {
  Vector m = Vector::Constant(Y.cols(), -std::numeric_limits<double>::infinity());
  if (arg) arg->assign(static_cast<std::size_t>(Y.cols()), 0);
  for (std::size_t i = 0; i < c.size(); ++i) {
    const Vector v = (c[i].a.transpose() * Y).transpose().array() - c[i].b;
    for (Eigen::Index s = 0; s < Y.cols(); ++s)
      if (v[s] > m[s]) {
        m[s] = v[s];
        if (arg) (*arg)[static_cast<std::size_t>(s)] = static_cast<Eigen::Index>(i);
      }
  }
  return m;
}

std::optional<Counterexample> check_columns(const Network& net, const Property& p, const Matrix& X, const Vector& m) {
  // Try the most promising points first; the chain and the network agree to ~1e-15, so a tiny
  // positive margin on the chain may still be a hit on the network.
  std::vector<Eigen::Index> order;
  for (Eigen::Index s = 0; s < X.cols(); ++s)
    if (m[s] <= 1e-9) order.push_back(s);
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return m[a] < m[b]; });
  if (order.size() > 16) order.resize(16);
  for (auto s : order)
    if (auto cex = replay(net, p, X.col(s))) return cex;
  return std::nullopt;
}

}  // namespace

Vector conjunction_margins(const Conjunction& c, const Matrix& Y) { return margins(c, Y, nullptr); }

std::optional<Counterexample> pgd(const Network& net, const ReluChain& chain, const Property& p, std::size_t ci,
                                  std::size_t k, const Matrix& X0, int steps, const Box* within) {
  const Box& box = within ? *within : p.cases[ci].box;
  const Conjunction& c = p.cases[ci].unsafe[k];
  if (c.empty()) return replay(net, p, X0.col(0));
  Matrix X = X0;
  const Vector width = box.hi - box.lo;
  const std::size_t depth = chain.layers.size();
  std::vector<Eigen::Index> arg;
  for (int t = 0; t <= steps; ++t) {
    // Forward, keeping pre-activations for the backward pass.
    std::vector<Matrix> Z(depth);
    Matrix a = X;
    for (std::size_t l = 0; l < depth; ++l) {
      Z[l] = (chain.layers[l].W * a).colwise() + chain.layers[l].b;
      if (l + 1 < depth) a = Z[l].cwiseMax(0.0);
    }
    const Vector m = margins(c, Z.back(), &arg);
    if ((m.array() <= 1e-9).any())
      if (auto cex = check_columns(net, p, X, m)) return cex;
    if (t == steps) break;
    Matrix G(Z.back().rows(), X.cols());
    for (Eigen::Index s = 0; s < X.cols(); ++s) G.col(s) = c[static_cast<std::size_t>(arg[static_cast<std::size_t>(s)])].a;
    for (std::size_t l = depth; l-- > 0;) {
      G = chain.layers[l].W.transpose() * G;
      if (l > 0) G = G.cwiseProduct((Z[l - 1].array() > 0).cast<double>().matrix());
    }
    // Step size decays from a quarter of the box to a small fraction of it.
    const double alpha = 0.25 * std::pow(0.02, static_cast<double>(t) / std::max(1, steps - 1));
    X -= (alpha * width).asDiagonal() * G.array().sign().matrix();
    X = X.cwiseMax(box.lo.replicate(1, X.cols())).cwiseMin(box.hi.replicate(1, X.cols()));
  }
  return std::nullopt;
}

std::optional<Counterexample> attack(const Network& net, const ReluChain& chain, const Property& p,
                                     const AttackOptions& o) {
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  auto uniform = [&](const Box& box, int n) {
    Matrix X(box.lo.size(), n);
    for (Eigen::Index j = 0; j < n; ++j)
      for (Eigen::Index i = 0; i < box.lo.size(); ++i) X(i, j) = box.lo[i] + u(rng) * (box.hi[i] - box.lo[i]);
    return X;
  };
  for (std::size_t ci = 0; ci < p.cases.size(); ++ci) {
    const Box& box = p.cases[ci].box;
    Matrix X = uniform(box, std::max(1, o.random_samples));
    X.col(0) = box.center();
    const Matrix Y = evaluate(chain, X);
    for (const Conjunction& c : p.cases[ci].unsafe) {
      const Vector m = margins(c, Y, nullptr);
      if (auto cex = check_columns(net, p, X, m)) return cex;
    }
    if (std::chrono::steady_clock::now() > o.deadline) return std::nullopt;
  }
  for (std::size_t ci = 0; ci < p.cases.size(); ++ci)
    for (std::size_t k = 0; k < p.cases[ci].unsafe.size(); ++k) {
      Matrix X0 = uniform(p.cases[ci].box, std::max(1, o.restarts));
      X0.col(0) = p.cases[ci].box.center();
      if (auto cex = pgd(net, chain, p, ci, k, X0, o.steps)) return cex;
      if (std::chrono::steady_clock::now() > o.deadline) return std::nullopt;
    }
  return std::nullopt;
}

}  // namespace nncert
