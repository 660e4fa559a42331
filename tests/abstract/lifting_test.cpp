// Proof lifting (DeepAbstract, Ashok et al., ATVA'20, §4 / Theorem 3 / appendix A.5): lifted
// bounds against 10^4 concrete samples of the original network and against DeepPoly run on the
// original directly; the A.5 worked example; a counterexample to the printed Theorem 3.
#include "certifier/abstract/abstraction.hpp"
#include "certifier/abstract/activations.hpp"
#include "certifier/abstract/clustering.hpp"
#include "certifier/abstract/lifting.hpp"
#include "certifier/train/architecture.hpp"
#include "certifier/train/trainer.hpp"
#include "certifier/verify/attack.hpp"
#include "tests/abstract/abstract_support.hpp"

#include <gtest/gtest.h>

#include <iostream>

namespace nncert {
namespace {

// Pre-activations of every layer of the chain for the columns of X.
std::vector<Matrix> pre_activations(const ReluChain& c, const Matrix& X) {
  std::vector<Matrix> out;
  Matrix a = X;
  for (std::size_t l = 0; l < c.depth(); ++l) {
    Matrix z = (c.layers[l].W * a).colwise() + c.layers[l].b;
    a = z.cwiseMax(0.0);
    out.push_back(std::move(z));
  }
  return out;
}

// Random nets, boxes and clusterings: every concrete value of the ORIGINAL network on 10^4
// samples of the box lies in the lifted bounds, and a lifted robustness proof is never
// contradicted by a sample. Also measures how often the lifted bounds contain DeepPoly's own
// bounds on the original (the paper's Theorem 3 claim, not implied by soundness: see below).
TEST(Lifting, ContainsConcreteSamplesOnRandomNets) {
  std::mt19937_64 rng(21);
  std::size_t neurons = 0, contained_dp = 0, abstract_robust = 0;
  std::size_t lifted_by[3] = {0, 0, 0};
  for (int trial = 0; trial < 30; ++trial) {
    const ReluChain c = test::random_chain(rng, {4, 10, 10, 10, 3});
    const AbstractionMap map = test::random_map(rng, c, trial % 3 == 0 ? 0.15 : 0.4);
    const ReluChain a = apply_abstraction(c, map);
    const Box box = test::random_box(rng, 4, 0.02 + 0.1 * (trial % 5));
    const DeepPolyResult dpa = deeppoly(a, box);
    const LiftedBounds lb = lift_bounds(c, map, a, box, dpa.pre);
    const LiftedBounds lr = lift_bounds(c, map, a, box, dpa.pre, trial % 2 ? 2 : 10);
    const Matrix X = test::sample_box(rng, box, 10000);
    const auto Z = pre_activations(c, X);
    for (std::size_t l = 0; l < c.depth(); ++l) {
      const Matrix& z = Z[l];
      for (Eigen::Index n = 0; n < z.rows(); ++n) {
        const double lo = z.row(n).minCoeff(), hi = z.row(n).maxCoeff();
        EXPECT_LE(lb.pre[l].lo[n], lo) << "trial " << trial << " layer " << l << " neuron " << n;
        EXPECT_GE(lb.pre[l].hi[n], hi) << "trial " << trial << " layer " << l << " neuron " << n;
        EXPECT_LE(lr.pre[l].lo[n], lo) << "refined, trial " << trial << " layer " << l << " neuron " << n;
        EXPECT_GE(lr.pre[l].hi[n], hi) << "refined, trial " << trial << " layer " << l << " neuron " << n;
      }
    }
    const DeepPolyResult dpo = deeppoly(c, box);
    for (std::size_t l = 0; l < c.depth(); ++l)
      for (Eigen::Index n = 0; n < dpo.pre[l].lo.size(); ++n, ++neurons)
        contained_dp += lb.pre[l].lo[n] <= dpo.pre[l].lo[n] && lb.pre[l].hi[n] >= dpo.pre[l].hi[n];
    // Robustness for the label of the box centre.
    const int label = static_cast<int>(argmax_first(evaluate(c, Matrix(box.center())).col(0)));
    for (const LiftOptions opt : {LiftOptions{false, false}, LiftOptions{false, true}, LiftOptions{true, true}}) {
      const LiftedRobustness r = lift_robustness(c, map, a, box, label, opt);
      if (opt.refine) abstract_robust += r.abstract_robust;
      if (!r.lifted) continue;
      ++lifted_by[opt.refine + opt.backsub_margin];
      const Matrix& Y = Z.back();
      for (Eigen::Index j = 0; j < Y.cols(); ++j) ASSERT_EQ(argmax_first(Y.col(j)), label) << "trial " << trial;
      // The lifted margins bound the concrete margins.
      Eigen::Index row = 0;
      for (Eigen::Index o = 0; o < Y.rows(); ++o) {
        if (o == label) continue;
        EXPECT_LE(r.lifted_margin[row], (Y.row(label) - Y.row(o)).minCoeff());
        ++row;
      }
    }
  }
  std::cout << "lifted bounds containing DeepPoly-on-original bounds: " << contained_dp << " / " << neurons
            << "; abstract robust " << abstract_robust << ", lifted by interval margin " << lifted_by[0]
            << ", + back-substituted margin " << lifted_by[1] << ", + refined " << lifted_by[2] << " of 30\n";
  EXPECT_GT(lifted_by[0], 0u);  // the test exercises the positive path
  EXPECT_GE(lifted_by[1], lifted_by[0]);
  EXPECT_GE(lifted_by[2], lifted_by[1]);
}

// A trained network abstracted by k-means (Algorithm 1), where the old interval-only lifting is
// too loose: the staged lifting must prove more images, and every lifted proof survives 10^4
// concrete points of its box and a PGD attack on the original network.
TEST(Lifting, LiftsOnATrainedNetworkAndNeverContradictsSamplingOrAttack) {
  // 3 classes of 8-feature inputs: a class raises its own third of the features, plus noise.
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> noise(0.0, 0.35), bright(0.6, 1.0);
  Dataset d;
  d.name = "synthetic";
  d.num_classes = 3;
  d.X.resize(8, 600);
  for (Eigen::Index i = 0; i < d.X.cols(); ++i) {
    const int c = static_cast<int>(rng() % 3);
    for (Eigen::Index j = 0; j < 8; ++j) d.X(j, i) = j * 3 / 8 == c ? bright(rng) : noise(rng);
    d.labels.push_back(c);
  }
  TrainConfig cfg;
  cfg.epochs = 30;
  cfg.seed = 2;
  const ReluChain c = to_relu_chain(train(make_mlp({8, 32, 32, 32, 3}, false, 3), d, cfg).network);
  const ClusteredAbstraction ca = abstract_by_clustering(c, d.X.leftCols(200), {12, 10, 10}, 4);
  const Network net = to_network(c);
  std::size_t robust = 0, lifted_interval = 0, lifted = 0, correct = 0;
  for (Eigen::Index i = 0; i < 60; ++i) {
    const Vector x = d.X.col(i);
    const int label = d.labels[static_cast<std::size_t>(i)];
    if (argmax_first(Vector(evaluate(c, Matrix(x)).col(0))) != label) continue;
    ++correct;
    const double eps = 0.04;
    const Property p = local_robustness(x, eps, label, 3, 0.0, 1.0);
    const Box& box = p.cases.at(0).box;
    const LiftedRobustness old = lift_robustness(c, ca.map, ca.abstract, box, label, {false, false});
    const LiftedRobustness r = lift_robustness(c, ca.map, ca.abstract, box, label);
    robust += r.abstract_robust;
    lifted_interval += old.lifted;
    lifted += r.lifted;
    EXPECT_TRUE(!old.lifted || r.lifted) << "sample " << i;
    if (!r.lifted) continue;
    const Matrix Y = evaluate(c, test::sample_box(rng, box, 10000));
    for (Eigen::Index j = 0; j < Y.cols(); ++j) ASSERT_EQ(argmax_first(Vector(Y.col(j))), label) << "sample " << i;
    AttackOptions ao;
    ao.seed = static_cast<std::uint64_t>(i);
    EXPECT_FALSE(attack(net, c, p, ao).has_value()) << "sample " << i;
  }
  std::cout << "trained 8:32:32:32:3, " << hidden_neurons(c) << " -> " << hidden_neurons(ca.abstract)
            << " neurons: correct " << correct << ", abstract robust " << robust << ", lifted (interval margin only) "
            << lifted_interval << ", lifted (staged) " << lifted << "\n";
  EXPECT_GT(lifted, lifted_interval);
}

// With the identity abstraction the error is zero and lifting gives DeepPoly's bounds on the
// original exactly (up to the outward widening).
TEST(Lifting, IdentityAbstractionReproducesDeepPolyOnTheOriginal) {
  std::mt19937_64 rng(22);
  for (int trial = 0; trial < 10; ++trial) {
    const ReluChain c = test::random_chain(rng, {5, 12, 12, 4});
    const AbstractionMap map = identity_map(c);
    const Box box = test::random_box(rng, 5, 0.2);
    const DeepPolyResult dp = deeppoly(c, box);
    const LiftedBounds lb = lift_bounds(c, map, apply_abstraction(c, map), box, dp.pre);
    for (std::size_t l = 0; l < c.depth(); ++l) {
      EXPECT_TRUE((lb.pre[l].lo.array() <= dp.pre[l].lo.array()).all());
      EXPECT_TRUE((lb.pre[l].hi.array() >= dp.pre[l].hi.array()).all());
      EXPECT_LE((lb.pre[l].lo - dp.pre[l].lo).cwiseAbs().maxCoeff(), 1e-9);
      EXPECT_LE((lb.pre[l].hi - dp.pre[l].hi).cwiseAbs().maxCoeff(), 1e-9);
    }
  }
}

// Appendix A.5. Layers: inputs 1,2 in [0,2]; affine 7 = 8 = x1 + x2; ReLU 9, 10; outputs
// 11 = x9 + x10 + 5 and 12 = x10. Neuron 10 is merged into 9, so the abstract outputs are
// 11 = 2 x9 + 5 and 12 = x9 (the two "purple" weights), and DeepPoly on the abstract network
// gives l11 = 5, u11 = 13, l12 = 0, u12 = 4 (x9 = x1 + x2 exactly: all ReLUs are stable), the
// bounds of the paper's Figure 4. Theorem 3 then gives u^ = [13 + 2 eps, 4 + eps],
// l^ = [5 - 2 eps, -eps], and the proof lifts iff 5 - 2 eps > 4 + eps, i.e. eps < 1/3.
ReluChain a5_network() {
  ReluChain c;
  c.input_size = 2;
  Dense h{Matrix(2, 2), Vector::Zero(2)};
  h.W << 1, 1, 1, 1;
  Dense o{Matrix(2, 2), Vector(2)};
  o.W << 1, 1, 0, 1;
  o.b << 5, 0;
  c.layers = {h, o};
  return c;
}

TEST(Lifting, AppendixA5WorkedExample) {
  const ReluChain c = a5_network();
  AbstractionMap map = identity_map(c);
  map.rep[0][1] = 0;  // neuron 10 -> representative 9
  const ReluChain a = apply_abstraction(c, map);
  ASSERT_EQ(a.layers[1].W.cols(), 1);
  EXPECT_EQ(a.layers[1].W(0, 0), 2.0);
  EXPECT_EQ(a.layers[1].W(1, 0), 1.0);
  const Box box{Vector::Zero(2), Vector::Constant(2, 2.0)};
  const DeepPolyResult dp = deeppoly(a, box);
  EXPECT_NEAR(dp.pre[1].lo[0], 5, 1e-7);
  EXPECT_NEAR(dp.pre[1].hi[0], 13, 1e-7);
  EXPECT_NEAR(dp.pre[1].lo[1], 0, 1e-7);
  EXPECT_NEAR(dp.pre[1].hi[1], 4, 1e-7);
  for (const double eps : {0.0, 0.1, 0.3, 1.0 / 3 + 1e-6, 0.5}) {
    const auto lifted = lift_theorem3(a, representative_eps(map, {Vector::Constant(2, eps)}), dp.pre);
    EXPECT_NEAR(lifted[1].hi[0], 13 + 2 * eps, 1e-7);
    EXPECT_NEAR(lifted[1].hi[1], 4 + eps, 1e-7);
    EXPECT_NEAR(lifted[1].lo[0], 5 - 2 * eps, 1e-7);
    EXPECT_NEAR(lifted[1].lo[1], -eps, 1e-7);
    EXPECT_EQ(lifted[1].lo[0] > lifted[1].hi[1], eps < 1.0 / 3) << "eps " << eps;
  }
  // 9 and 10 are exact copies, so the sound lifting has no error to add: the original network's
  // bounds are the abstract ones and class 11 (index 0) is proved robust.
  const LiftedBounds lb = lift_bounds(c, map, a, box, dp.pre);
  EXPECT_NEAR(lb.pre[1].lo[0], 5, 1e-7);
  EXPECT_NEAR(lb.pre[1].hi[1], 4, 1e-7);
  const LiftedRobustness r = lift_robustness(c, map, a, box, 0);
  EXPECT_TRUE(r.abstract_robust);
  EXPECT_TRUE(r.lifted);
  EXPECT_NEAR(r.lifted_margin[0], 5, 1e-7);  // y11 - y12 = x9 + 5 >= 5 (DeepPoly keeps the relation)
}

// Theorem 3's proof treats a cluster's merged weight (w_1 + w_2)^+ as if it were w_1^+ + w_2^+.
// Here z1 = ReLU(x), z2 = ReLU(-x) on x in [-1, 1] have the same bounds [0, 1], so the proof's
// condition "u^_r + eps >= u_m, l^_r - eps <= l_m" holds with eps = 0; merging them with outgoing
// weights +1 and -1 makes the merged weight 0 and the printed formula claims y = z1 - z2 = x is
// exactly 0. The sound lifting keeps the whole range [-1, 1].
TEST(Lifting, PrintedTheorem3IsUnsoundForMixedSignClusters) {
  ReluChain c;
  c.input_size = 1;
  Dense h{Matrix(2, 1), Vector::Zero(2)};
  h.W << 1, -1;
  Dense o{Matrix(1, 2), Vector::Zero(1)};
  o.W << 1, -1;
  c.layers = {h, o};
  AbstractionMap map = identity_map(c);
  map.rep[0][1] = 0;
  const ReluChain a = apply_abstraction(c, map);
  const Box box{Vector::Constant(1, -1.0), Vector::Constant(1, 1.0)};
  const DeepPolyResult dp = deeppoly(a, box);
  const auto paper = lift_theorem3(a, representative_eps(map, {Vector::Zero(2)}), dp.pre);
  EXPECT_NEAR(paper[1].lo[0], 0, 1e-9);
  EXPECT_NEAR(paper[1].hi[0], 0, 1e-9);
  EXPECT_NEAR(evaluate(c, Matrix::Constant(1, 1, 1.0))(0, 0), 1.0, 1e-15);  // outside [0, 0]
  const LiftedBounds lb = lift_bounds(c, map, a, box, dp.pre);
  EXPECT_LE(lb.pre[1].lo[0], -1.0);
  EXPECT_GE(lb.pre[1].hi[0], 1.0);
}

}  // namespace
}  // namespace nncert
