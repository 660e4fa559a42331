#include "certifier/abstract/kmeans.hpp"

#include "certifier/core/error.hpp"

#include <random>
#include <string>

namespace nncert {

namespace {

// Squared distances (rows of P) x (rows of C), clamped at 0 against cancellation.
Matrix squared_distances(const Matrix& P, const Vector& p_norms, const Matrix& C) {
  Matrix D = (-2.0 * P * C.transpose()).colwise() + p_norms;
  D.rowwise() += C.rowwise().squaredNorm().transpose();
  return D.cwiseMax(0.0);
}

// Uniform double in [0,1) from the raw generator (portable, unlike std distributions).
double unit(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

}  // namespace

KMeansResult kmeans(const Matrix& points, std::size_t k, std::uint64_t seed, std::size_t max_iterations) {
  const auto n = static_cast<std::size_t>(points.rows());
  if (k < 1 || k > n)
    throw InputError("k-means", "k=" + std::to_string(k), "expected 1 <= k <= " + std::to_string(n) + " points");
  std::mt19937_64 rng(seed);
  const Vector norms = points.rowwise().squaredNorm();
  Matrix C(static_cast<Eigen::Index>(k), points.cols());

  // k-means++: first centre uniform, then each next one with probability ~ D(x)^2.
  C.row(0) = points.row(static_cast<Eigen::Index>(rng() % n));
  Vector closest = squared_distances(points, norms, C.topRows(1)).col(0);
  for (std::size_t c = 1; c < k; ++c) {
    const double total = closest.sum();
    std::size_t pick = 0;
    if (total > 0) {
      double target = unit(rng) * total;
      for (pick = 0; pick + 1 < n; ++pick) {
        target -= closest[static_cast<Eigen::Index>(pick)];
        if (target < 0) break;
      }
    } else {
      pick = rng() % n;  // every point coincides with a centre already
    }
    C.row(static_cast<Eigen::Index>(c)) = points.row(static_cast<Eigen::Index>(pick));
    closest = closest.cwiseMin(squared_distances(points, norms, C.row(static_cast<Eigen::Index>(c))).col(0));
  }

  KMeansResult r;
  r.label.assign(n, 0);
  for (r.iterations = 0; r.iterations < max_iterations; ++r.iterations) {
    const Matrix D = squared_distances(points, norms, C);
    bool changed = r.iterations == 0;
    Vector best(static_cast<Eigen::Index>(n));
    for (std::size_t i = 0; i < n; ++i) {
      Eigen::Index j = 0;
      best[static_cast<Eigen::Index>(i)] = D.row(static_cast<Eigen::Index>(i)).minCoeff(&j);
      if (r.label[i] != static_cast<std::size_t>(j)) changed = true;
      r.label[i] = static_cast<std::size_t>(j);
    }
    // Update; re-seed empty clusters with the currently worst-served point.
    Matrix sum = Matrix::Zero(C.rows(), C.cols());
    std::vector<std::size_t> count(k, 0);
    for (std::size_t i = 0; i < n; ++i) {
      sum.row(static_cast<Eigen::Index>(r.label[i])) += points.row(static_cast<Eigen::Index>(i));
      ++count[r.label[i]];
    }
    for (std::size_t c = 0; c < k; ++c) {
      if (count[c] > 0) {
        C.row(static_cast<Eigen::Index>(c)) = sum.row(static_cast<Eigen::Index>(c)) / static_cast<double>(count[c]);
        continue;
      }
      Eigen::Index far = 0;
      best.maxCoeff(&far);
      --count[r.label[static_cast<std::size_t>(far)]];
      r.label[static_cast<std::size_t>(far)] = c;
      count[c] = 1;
      best[far] = 0;
      C.row(static_cast<Eigen::Index>(c)) = points.row(far);
      changed = true;
    }
    if (!changed) break;
  }
  // Final assignment consistent with the final centroids (keeping clusters non-empty).
  const Matrix D = squared_distances(points, norms, C);
  std::vector<std::size_t> count(k, 0);
  for (std::size_t i = 0; i < n; ++i) ++count[r.label[i]];
  for (std::size_t i = 0; i < n; ++i) {
    Eigen::Index j = 0;
    D.row(static_cast<Eigen::Index>(i)).minCoeff(&j);
    if (static_cast<std::size_t>(j) != r.label[i] && count[r.label[i]] > 1) {
      --count[r.label[i]];
      ++count[static_cast<std::size_t>(j)];
      r.label[i] = static_cast<std::size_t>(j);
    }
  }
  r.centroids = C;
  r.inertia = 0;
  for (std::size_t i = 0; i < n; ++i) r.inertia += D(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(r.label[i]));
  return r;
}

}  // namespace nncert
