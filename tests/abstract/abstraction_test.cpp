// Algorithm 1 / Proposition 1 / k-means / Theorems 1-2 of DeepAbstract (Ashok et al., ATVA'20),
// against independent oracles: concrete evaluation, hand-written merges, planted clusters.
#include "certifier/abstract/abstraction.hpp"
#include "certifier/abstract/activations.hpp"
#include "certifier/abstract/clustering.hpp"
#include "certifier/abstract/error_bounds.hpp"
#include "certifier/abstract/identify_clusters.hpp"
#include "certifier/abstract/kmeans.hpp"
#include "certifier/core/error.hpp"
#include "tests/abstract/abstract_support.hpp"

#include <gtest/gtest.h>

#include <set>

namespace nncert {
namespace {

using test::random_chain;

// Proposition 1: duplicate neuron p of hidden layer h as q (same incoming row and bias), then
// merge q into p: the outputs on any input are unchanged.
TEST(Proposition1, ExactCopiesMergeWithoutChange) {
  std::mt19937_64 rng(1);
  for (int trial = 0; trial < 20; ++trial) {
    ReluChain c = random_chain(rng, {5, 7, 6, 6, 3});
    const std::size_t h = trial % 3, p = rng() % 5;
    // Append a copy of neuron p as a new neuron q = n, with its own random outgoing weights.
    Dense& in = c.layers[h];
    Dense& out = c.layers[h + 1];
    const Eigen::Index n = in.W.rows();
    in.W.conservativeResize(n + 1, Eigen::NoChange);
    in.W.row(n) = in.W.row(static_cast<Eigen::Index>(p));
    in.b.conservativeResize(n + 1);
    in.b[n] = in.b[static_cast<Eigen::Index>(p)];
    out.W.conservativeResize(Eigen::NoChange, n + 1);
    std::normal_distribution<double> g;
    for (Eigen::Index r = 0; r < out.W.rows(); ++r) out.W(r, n) = g(rng);
    AbstractionMap map = identity_map(c);
    map.rep[h][static_cast<std::size_t>(n)] = p;
    const ReluChain a = apply_abstraction(c, map);
    EXPECT_EQ(hidden_neurons(a) + 1, hidden_neurons(c));
    const Matrix X = Matrix::Random(5, 200) * 3;
    const Matrix Y = evaluate(c, X), Ya = evaluate(a, X);
    EXPECT_LE((Y - Ya).cwiseAbs().maxCoeff(), 1e-12 * (1 + Y.cwiseAbs().maxCoeff())) << "trial " << trial;
  }
}

// The same through k-means: with the copies planted, clustering into (#distinct) groups puts the
// copies together (eps = 0) and the abstraction leaves the outputs on X unchanged.
TEST(Proposition1, ClusteringFindsCopies) {
  std::mt19937_64 rng(2);
  ReluChain c = random_chain(rng, {4, 6, 5, 3});
  // Hidden layer 0: neurons 6..8 copy neurons 0, 1, 0.
  Dense& in = c.layers[0];
  Dense& out = c.layers[1];
  const std::vector<int> src{0, 1, 0};
  in.W.conservativeResize(9, Eigen::NoChange);
  in.b.conservativeResize(9);
  out.W.conservativeResize(Eigen::NoChange, 9);
  for (int i = 0; i < 3; ++i) {
    in.W.row(6 + i) = in.W.row(src[i]);
    in.b[6 + i] = in.b[src[i]];
    out.W.col(6 + i) = Vector::Random(out.W.rows());
  }
  const Matrix X = Matrix::Random(4, 300) * 2;
  // Make sure the 6 original neurons are pairwise distinct on X (random weights: they are).
  const ClusteredAbstraction ca = abstract_by_clustering(c, X, {6, 0}, 7);
  EXPECT_EQ(ca.map.rep[0][6], ca.map.rep[0][0]);
  EXPECT_EQ(ca.map.rep[0][7], ca.map.rep[0][1]);
  EXPECT_EQ(ca.map.rep[0][8], ca.map.rep[0][0]);
  EXPECT_EQ(ca.eps[0].maxCoeff(), 0.0);
  EXPECT_EQ(hidden_neurons(ca.abstract), hidden_neurons(c) - 3);
  const Matrix Y = evaluate(c, X), Ya = evaluate(ca.abstract, X);
  EXPECT_LE((Y - Ya).cwiseAbs().maxCoeff(), 1e-12 * (1 + Y.cwiseAbs().maxCoeff()));
}

// Algorithm 1 lines 6-8 against a loop-by-loop merge written independently.
TEST(Algorithm1, MergeMatchesHandWrittenLoops) {
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 10; ++trial) {
    const ReluChain c = random_chain(rng, {3, 6, 5, 4});
    const AbstractionMap map = test::random_map(rng, c, 0.5);
    const ReluChain a = apply_abstraction(c, map);
    // Hand merge of layer 1 (hidden 0 -> hidden 1): keep rows of reps of hidden 1, and for each
    // kept column j of hidden 0 sum the columns m with rep(m) = j.
    std::vector<std::size_t> k0, k1;
    for (std::size_t m = 0; m < 6; ++m) if (map.rep[0][m] == m) k0.push_back(m);
    for (std::size_t m = 0; m < 5; ++m) if (map.rep[1][m] == m) k1.push_back(m);
    ASSERT_EQ(static_cast<std::size_t>(a.layers[1].W.rows()), k1.size());
    ASSERT_EQ(static_cast<std::size_t>(a.layers[1].W.cols()), k0.size());
    for (std::size_t i = 0; i < k1.size(); ++i)
      for (std::size_t j = 0; j < k0.size(); ++j) {
        double s = 0;
        for (std::size_t m = 0; m < 6; ++m)
          if (map.rep[0][m] == k0[j]) s += c.layers[1].W(static_cast<Eigen::Index>(k1[i]), static_cast<Eigen::Index>(m));
        EXPECT_NEAR(a.layers[1].W(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)), s, 1e-15);
      }
    // First layer: rows of reps only, weights untouched.
    for (std::size_t i = 0; i < k0.size(); ++i)
      EXPECT_EQ(a.layers[0].W.row(static_cast<Eigen::Index>(i)), c.layers[0].W.row(static_cast<Eigen::Index>(k0[i])));
  }
}

TEST(Algorithm1, BadMapsAreRejected) {
  std::mt19937_64 rng(4);
  const ReluChain c = random_chain(rng, {3, 4, 2});
  AbstractionMap map = identity_map(c);
  map.rep[0][1] = 2;
  map.rep[0][2] = 3;  // 2 is not its own representative
  EXPECT_THROW(apply_abstraction(c, map), InputError);
  map = identity_map(c);
  map.rep[0].push_back(0);
  EXPECT_THROW(apply_abstraction(c, map), InputError);
}

TEST(KMeans, RecoversPlantedClustersAndIsSeeded) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> g(0, 0.01);
  Matrix P(60, 8);
  Matrix centres = Matrix::Random(4, 8) * 10;
  for (int i = 0; i < 60; ++i) P.row(i) = centres.row(i % 4) + Eigen::RowVectorXd::NullaryExpr(8, [&] { return g(rng); });
  const KMeansResult r = kmeans(P, 4, 11);
  for (int i = 0; i < 60; ++i) EXPECT_EQ(r.label[static_cast<std::size_t>(i)], r.label[static_cast<std::size_t>(i % 4)]);
  std::set<std::size_t> distinct(r.label.begin(), r.label.end());
  EXPECT_EQ(distinct.size(), 4u);
  const KMeansResult r2 = kmeans(P, 4, 11);
  EXPECT_EQ(r.label, r2.label);
  EXPECT_THROW(kmeans(P, 0, 1), InputError);
  EXPECT_THROW(kmeans(P, 61, 1), InputError);
  // k = n: every point its own cluster.
  const KMeansResult all = kmeans(P.topRows(10), 10, 3);
  EXPECT_EQ(std::set<std::size_t>(all.label.begin(), all.label.end()).size(), 10u);
}

// Representatives are the members closest to the centroid; eps is the distance to them.
TEST(Algorithm1, RepresentativeIsClosestToCentroid) {
  Matrix A(5, 2);
  A << 0, 0, 1, 0, 0.4, 0, 10, 10, 10, 11;
  const LayerClustering lc = cluster_layer(A, 2, 1);
  EXPECT_EQ(lc.rep[0], 2u);  // centroid (0.4667, 0): neuron 2 (0.4) is closest
  EXPECT_EQ(lc.rep[1], 2u);
  EXPECT_EQ(lc.rep[2], 2u);
  EXPECT_TRUE(lc.rep[3] == lc.rep[4]);
  EXPECT_NEAR(lc.eps[0], 0.4, 1e-15);
  EXPECT_NEAR(lc.eps[1], 0.6, 1e-15);
  EXPECT_NEAR(lc.eps[3] + lc.eps[4], 1.0, 1e-15);
}

// Theorem 1 on X and Theorem 2 around X, checked by concrete evaluation.
TEST(ErrorBounds, Theorems1And2HoldOnTheSampleSet) {
  std::mt19937_64 rng(6);
  for (int trial = 0; trial < 10; ++trial) {
    const ReluChain c = random_chain(rng, {6, 20, 20, 20, 4});
    const Matrix X = Matrix::Random(6, 100);
    const ClusteredAbstraction ca = abstract_by_clustering(c, X, {12, 10, 8}, static_cast<std::uint64_t>(trial));
    const auto err = clustering_error(c, ca.eps);
    const Matrix Y = evaluate(c, X), Ya = evaluate(ca.abstract, X);
    for (Eigen::Index j = 0; j < X.cols(); ++j)
      for (Eigen::Index o = 0; o < 4; ++o) EXPECT_LE(std::abs(Y(o, j) - Ya(o, j)), err.back()[o] * (1 + 1e-9) + 1e-12);
    // Hidden layers: |z_m - z~_rep(m)| <= err_m.
    const auto Z = hidden_activations(c, X), Za = hidden_activations(ca.abstract, X);
    for (std::size_t h = 0; h < 3; ++h) {
      const auto idx = abstract_index(ca.map.rep[h]);
      for (std::size_t m = 0; m < idx.size(); ++m)
        for (Eigen::Index j = 0; j < X.cols(); ++j)
          EXPECT_LE(std::abs(Z[h](static_cast<Eigen::Index>(m), j) - Za[h](static_cast<Eigen::Index>(idx[m]), j)),
                    err[h][static_cast<Eigen::Index>(m)] * (1 + 1e-9) + 1e-12);
    }
    const Vector delta = Vector::Constant(6, 0.05);
    const Vector total = total_error(ca.abstract, err.back(), delta);
    const Matrix Xp = X + Matrix::Random(6, 100) * 0.05;
    const Matrix Yp = evaluate(ca.abstract, Xp);
    for (Eigen::Index j = 0; j < X.cols(); ++j)
      for (Eigen::Index o = 0; o < 4; ++o) EXPECT_LE(std::abs(Yp(o, j) - Y(o, j)), total[o] * (1 + 1e-9) + 1e-12);
  }
}

// Algorithm 2: the found abstraction meets alpha on the validation set, actually shrinks the
// network, and replaying Algorithm 1 with the found K_L reproduces it.
TEST(Algorithm2, BinarySearchMeetsAlpha) {
  std::mt19937_64 rng(8);
  const ReluChain c = random_chain(rng, {5, 30, 30, 4});
  const Matrix X = Matrix::Random(5, 200), V = Matrix::Random(5, 400);
  const Matrix Y = evaluate(c, V);
  std::vector<int> labels;
  for (Eigen::Index j = 0; j < V.cols(); ++j) labels.push_back(static_cast<int>(argmax_first(Y.col(j))));
  const double alpha = 0.9;  // the original scores 1.0 on its own labels
  const ClusterSearch s = identify_clusters(c, X, V, labels, alpha, 5);
  EXPECT_GE(accuracy(s.abstraction.abstract, V, labels), alpha);
  EXPECT_NEAR(accuracy(s.abstraction.abstract, V, labels), s.accuracy.back(), 1e-15);
  EXPECT_LT(hidden_neurons(s.abstraction.abstract), hidden_neurons(c));
  // Replaying Algorithm 1 with the found k reproduces the same abstraction.
  const ClusteredAbstraction replay = abstract_by_clustering(c, X, s.clusters, 5);
  EXPECT_EQ(replay.map.rep, s.abstraction.map.rep);
}

}  // namespace
}  // namespace nncert
