// LP-tightened pre-activation bounds (milp_encoding: tighten_bounds_lp) against the concrete
// network: every pre-activation at every sampled input of the box lies inside them, and they are
// never looser than the DeepPoly bounds they start from.
#include "certifier/train/architecture.hpp"
#include "certifier/verify/deeppoly.hpp"
#include "certifier/verify/milp_encoding.hpp"
#include "certifier/verify/relu_chain.hpp"

#include <gtest/gtest.h>

#include <random>

namespace nncert {
namespace {

TEST(MilpBounds, LpTightenedBoundsContainEverySampledPreActivation) {
  std::mt19937_64 rng(5);
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    const Network net = make_mlp({3, 10, 10, 10, 2}, false, seed);
    const ReluChain chain = to_relu_chain(net);
    Box box{Vector{{0.0, 0.2, 0.0}}, Vector{{1.0, 0.6, 1.0}}};
    const std::vector<Bounds> dp = deeppoly(chain, box).pre;
    const auto solver = make_milp_solver(MilpBackend::Cbc);
    const std::vector<Bounds> lp =
        tighten_bounds_lp(chain, box, dp, *solver, std::chrono::steady_clock::time_point::max());
    ASSERT_EQ(lp.size(), dp.size());
    double gained = 0;
    for (std::size_t l = 0; l < lp.size(); ++l) {
      EXPECT_TRUE((lp[l].lo.array() >= dp[l].lo.array()).all()) << "layer " << l;
      EXPECT_TRUE((lp[l].hi.array() <= dp[l].hi.array()).all()) << "layer " << l;
      gained += (dp[l].hi - dp[l].lo).sum() - (lp[l].hi - lp[l].lo).sum();
    }
    EXPECT_GT(gained, 0) << "seed " << seed << ": LP bounds should be tighter somewhere in a 3-layer net";
    std::uniform_real_distribution<double> u(0, 1);
    for (int s = 0; s < 3000; ++s) {
      Vector x(3);
      for (int i = 0; i < 3; ++i) x[i] = box.lo[i] + u(rng) * (box.hi[i] - box.lo[i]);
      if (s < 8) for (int i = 0; i < 3; ++i) x[i] = (s >> i) & 1 ? box.hi[i] : box.lo[i];  // the corners
      Vector a = x;
      for (std::size_t l = 0; l < chain.layers.size(); ++l) {
        const Vector z = chain.layers[l].W * a + chain.layers[l].b;
        for (Eigen::Index j = 0; j < z.size(); ++j) {
          ASSERT_GE(z[j], lp[l].lo[j] - 1e-9) << "seed " << seed << " layer " << l << " neuron " << j;
          ASSERT_LE(z[j], lp[l].hi[j] + 1e-9) << "seed " << seed << " layer " << l << " neuron " << j;
        }
        a = z.cwiseMax(0.0);
      }
    }
  }
}

}  // namespace
}  // namespace nncert
