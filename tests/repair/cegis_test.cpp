// The CEGIS loop end to end on tiny regression networks: the certified network satisfies the
// property on a dense grid and a second complete method (input-split BaB) re-verifies it; a
// network that already satisfies the property comes back unchanged after one iteration.
#include "certifier/core/digest.hpp"
#include "certifier/core/error.hpp"
#include "certifier/repair/cegis.hpp"
#include "certifier/train/architecture.hpp"
#include "certifier/verify/verifier.hpp"
#include "tests/repair/sum_task.hpp"

#include <gtest/gtest.h>

#include <random>
#include <utility>
#include <vector>

namespace nncert {
namespace {

// y = x0 + x1 plus a little noise.
Dataset sum_data(std::size_t n, std::uint64_t seed) { return test::sum_data(n, seed, 0.01); }
using test::cap_property;

CegisConfig small_config(Retrain retrain) {
  CegisConfig c;
  c.widths = {2, 8, 8, 1};
  c.train.loss = LossKind::MeanSquaredError;
  c.train.epochs = 40;
  c.train.batch = 32;
  c.train.adam.lr = 0.01;
  c.train.patience = 10;
  c.search.max_counterexamples = 20;
  c.sampling.samples = 10;
  c.sampling.input_sigma = c.sampling.output_sigma = 0.05;
  c.retrain = retrain;
  c.region_samples = 200;
  c.max_iterations = 25;
  c.seed = 5;
  return c;
}

TEST(Cegis, CertifiesANetworkThatViolatesAndTheProofHoldsUp) {
  const CegisData data{sum_data(600, 1), sum_data(150, 2), sum_data(150, 3)};
  const LinearProperty p = cap_property(0.3, 0.8);  // for x0 <= 0.3 the output stays below 0.8
  // The paper's loop (targets only) both ways, and nncert's with the property penalty in training.
  for (const auto& [retrain, weight] : std::vector<std::pair<Retrain, double>>{
           {Retrain::Scratch, 0.0}, {Retrain::Finetune, 0.0}, {Retrain::Scratch, 1.0}}) {
    CegisConfig c = small_config(retrain);
    c.property_loss = PropertyLossOptions{};
    c.property_loss.weight = weight;
    CegisHooks hooks;
    hooks.on_iteration = [](const CegisIteration& it) {
      std::fprintf(stderr, "it %zu %s cex %zu added %zu n %zu val %g train %.3fs verify %.3fs %s\n", it.iteration,
                   to_string(it.verdict).c_str(), it.counterexamples, it.added, it.training_size, it.validation_loss,
                   it.train_seconds, it.verify_seconds, it.detail.c_str());
    };
    const CegisResult r = cegis(make_mlp(c.widths, false, 1), p, data, c, hooks);
    ASSERT_TRUE(r.certified) << to_string(retrain) << " after " << r.history.size() << " iterations";
    if (weight == 0) {  // trained on the data alone, the network violates first (with the penalty it need not)
      EXPECT_GT(r.history.front().counterexamples, 0u) << "the trained network should violate first";
    }
    EXPECT_EQ(r.history.back().verdict, Verdict::Verified);
    // Dense grid over the precondition's box: every output below the cap.
    double worst = -1e300;
    for (int i = 0; i <= 60; ++i)
      for (int j = 0; j <= 200; ++j) worst = std::max(worst, evaluate(r.network, Vector{{0.3 * i / 60, j / 200.0}})[0]);
    EXPECT_LT(worst, 0.8) << to_string(retrain);
    // A second complete method on the same question.
    VerifyOptions vo;
    vo.method = Method::Bab;
    vo.timeout_s = 60;
    EXPECT_EQ(verify(r.network, *to_box_property(p), vo).verdict, Verdict::Verified) << to_string(retrain);
    // Still a good model where the property does not bind (x0 > 0.3 is unconstrained).
    ASSERT_TRUE(r.history.back().test_loss);
    EXPECT_LT(*r.history.back().test_loss, 0.05);
  }
}

TEST(Cegis, ANetworkThatAlreadySatisfiesComesBackUnchanged) {
  const CegisData data{sum_data(200, 1), sum_data(50, 2), std::nullopt};
  CegisConfig c = small_config(Retrain::Scratch);
  c.train_first = false;
  const Network net = make_mlp(c.widths, false, 9);
  const CegisResult r = cegis(net, cap_property(1.0, 1000.0), data, c);
  ASSERT_TRUE(r.certified);
  EXPECT_EQ(r.history.size(), 1u);
  EXPECT_EQ(digest(r.network), digest(net));
}

TEST(Cegis, RejectsAZeroBudgetAndAnUnrepairableProperty) {
  const CegisData data{sum_data(100, 1), sum_data(30, 2), std::nullopt};
  CegisConfig c = small_config(Retrain::Scratch);
  c.max_iterations = 0;
  EXPECT_THROW(cegis(make_mlp(c.widths, false, 1), cap_property(0.3, 0.8), data, c), InputError);
  // Unsafe whatever y is: y_0 >= 0 or y_0 <= 1.
  const std::string text = "(declare-const X_0 Real) (declare-const X_1 Real) (declare-const Y_0 Real)"
                           "(assert (<= 0 X_0)) (assert (<= X_0 1)) (assert (<= 0 X_1)) (assert (<= X_1 1))"
                           "(assert (or (>= Y_0 0) (<= Y_0 1)))";
  const LinearProperty all = linear_property_from_vnnlib(parse_vnnlib(text, "all.vnnlib", 2, 1), "all.vnnlib");
  c.max_iterations = 3;
  EXPECT_THROW(cegis(make_mlp(c.widths, false, 1), all, data, c), InputError);
}

}  // namespace
}  // namespace nncert
