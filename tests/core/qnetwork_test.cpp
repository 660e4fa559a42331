// Fixed-point reference evaluator (DESIGN §3.2): QVIP's Example 2.2 as a golden vector, and a
// property test against an independent evaluator in exact rational arithmetic (GMP), which
// computes round(2^Fy * (sum w x + b)) from the real values instead of shifting integers.
#include "certifier/core/qnetwork.hpp"
#include "certifier/core/qsemantics.hpp"

#include "certifier/core/digest.hpp"
#include "certifier/core/error.hpp"
#include "tests/qvip_example.hpp"

#include <gmpxx.h>
#include <gtest/gtest.h>

#include <random>

namespace nncert {
namespace {

using test::qvip_example_2_2;

TEST(QNetwork, QvipExample22Golden) {
  const QNetwork net = qvip_example_2_2();
  ASSERT_EQ(check_qnetwork(net), "");
  const auto trace = evaluate_trace(net, {10, 2});
  EXPECT_EQ(trace[1], (std::vector<std::int64_t>{3, 17}));
  EXPECT_EQ(trace[2], (std::vector<std::int64_t>{8, 10}));
  EXPECT_EQ(predict(net, {10, 2}), 1u);
}

// 2^e as a rational, e of either sign.
mpq_class pow2(int e) {
  mpz_class p;
  mpz_ui_pow_ui(p.get_mpz_t(), 2, static_cast<unsigned long>(std::abs(e)));
  return e >= 0 ? mpq_class(p) : mpq_class(1, p);
}

mpz_class floor_q(const mpq_class& q) {
  mpz_class r;
  mpz_fdiv_q(r.get_mpz_t(), q.get_num_mpz_t(), q.get_den_mpz_t());
  return r;
}

struct OracleResult {
  std::vector<std::int64_t> y;
  mpz_class max_acc;  // max |2^(Fw+Fx) * pre-activation| seen (the integer accumulator)
};

// Independent oracle: real-valued semantics, then round half up and clamp.
OracleResult rational_evaluate(const QNetwork& net, std::vector<std::int64_t> x) {
  OracleResult r;
  int fx = net.cx.frac;
  for (const QLayer& layer : net.layers) {
    std::vector<std::int64_t> y(layer.outputs);
    for (std::size_t j = 0; j < layer.outputs; ++j) {
      mpq_class real = mpq_class(mpz_class(static_cast<long>(layer.b[j]))) * pow2(-layer.cb.frac);
      for (std::size_t k = 0; k < layer.inputs; ++k)
        real += mpq_class(mpz_class(static_cast<long>(layer.weight(j, k)))) * pow2(-layer.cw.frac) *
                mpq_class(mpz_class(static_cast<long>(x[k]))) * pow2(-fx);
      mpq_class acc = real * pow2(layer.cw.frac + fx);
      mpz_class mag = abs(acc.get_num());  // the accumulator is an integer: denominator 1
      EXPECT_EQ(acc.get_den(), 1);
      if (mag > r.max_acc) r.max_acc = mag;
      mpz_class q = floor_q(real * pow2(layer.cy.frac) + mpq_class(1, 2));
      const long lb = layer.relu ? 0 : static_cast<long>(layer.cy.lo());
      const long hi = static_cast<long>(layer.cy.hi());
      if (q < lb) q = lb;
      if (q > hi) q = hi;
      y[j] = q.get_si();
    }
    x = y;
    fx = layer.cy.frac;
  }
  r.y = x;
  return r;
}

QConfig random_config(std::mt19937_64& rng, bool allow_unsigned, int frac_lo, int frac_hi) {
  std::uniform_int_distribution<int> bits(2, 16), frac(std::min(frac_lo, frac_hi), frac_hi), coin(0, 1);
  return QConfig{!allow_unsigned || coin(rng) == 1, bits(rng), frac(rng)};
}

std::int64_t random_on_grid(std::mt19937_64& rng, const QConfig& c) {
  // One in four values sits at a grid extreme: saturation and overflow live there.
  std::uniform_int_distribution<int> pick(0, 7);
  std::uniform_int_distribution<std::int64_t> any(c.lo(), c.hi());
  switch (pick(rng)) {
    case 0: return c.lo();
    case 1: return c.hi();
    default: return any(rng);
  }
}

QNetwork random_qnetwork(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> width(1, 12), depth(1, 4);
  QNetwork net;
  net.input_size = static_cast<std::size_t>(width(rng));
  net.cx = random_config(rng, true, -2, 18);
  const int layers = depth(rng);
  std::size_t in = net.input_size;
  int fx = net.cx.frac;
  for (int l = 0; l < layers; ++l) {
    QLayer layer;
    layer.inputs = in;
    layer.outputs = static_cast<std::size_t>(width(rng));
    layer.cw = random_config(rng, false, -2, 18);
    // Fb <= Fw + Fx keeps the bias alignment exact (DESIGN §3.2).
    layer.cb = random_config(rng, false, -4, layer.cw.frac + fx);
    // Fy both below and above Fw + Fx, so s > 0, s = 0 and s < 0 all occur.
    layer.cy = random_config(rng, true, std::max(-4, layer.cw.frac + fx - 20), layer.cw.frac + fx + 3);
    layer.relu = l + 1 < layers;
    for (std::size_t i = 0; i < layer.inputs * layer.outputs; ++i) layer.W.push_back(random_on_grid(rng, layer.cw));
    for (std::size_t i = 0; i < layer.outputs; ++i) layer.b.push_back(random_on_grid(rng, layer.cb));
    net.layers.push_back(layer);
    in = layer.outputs;
    fx = layer.cy.frac;
  }
  return net;
}

TEST(QNetwork, MatchesRationalOracleOnRandomNetworks) {
  std::mt19937_64 rng(20261125);
  int checked = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    const QNetwork net = random_qnetwork(rng);
    const std::int64_t bound = accumulator_bound(net);
    const std::string problem = check_qnetwork(net);
    if (!problem.empty()) {
      // Only draws too wide for exact int64 evaluation may be rejected, and must be.
      EXPECT_TRUE(bound >= (std::int64_t{1} << 62) || problem.find("0..62") != std::string::npos) << problem;
      continue;
    }
    for (int v = 0; v < 8; ++v) {
      std::vector<std::int64_t> x(net.input_size);
      for (auto& xi : x) xi = random_on_grid(rng, net.cx);
      const auto oracle = rational_evaluate(net, x);
      ASSERT_EQ(evaluate(net, x), oracle.y) << "trial " << trial << " vector " << v;
      // The proven accumulator bound must cover every accumulator actually reached.
      ASSERT_LE(oracle.max_acc, mpz_class(std::to_string(bound))) << "trial " << trial;
      ++checked;
    }
  }
  EXPECT_GE(checked, 2900 * 8);  // only a few draws are too wide to evaluate
}

TEST(QNetwork, QuantizeValueRoundsHalfUpAndClamps) {
  const QConfig c{true, 4, 1};  // grid -8..7, step 1/2
  EXPECT_EQ(quantize_value(0.25, c), 1);    // 0.5 rounds up
  EXPECT_EQ(quantize_value(-0.25, c), 0);   // -0.5 rounds up to 0
  EXPECT_EQ(quantize_value(-0.26, c), -1);
  EXPECT_EQ(quantize_value(100.0, c), 7);
  EXPECT_EQ(quantize_value(-100.0, c), -8);
  EXPECT_EQ(quantize_value(1e300, QConfig{false, 16, 30}), 65535);
  EXPECT_THROW(quantize_value(std::nan(""), c), InputError);
}

TEST(QNetwork, CheckRejectsBrokenNetworks) {
  QNetwork net = qvip_example_2_2();
  net.layers[0].W[1] = 40;  // off the <signed,6,4> grid (-32..31)
  EXPECT_NE(check_qnetwork(net).find("weight 1"), std::string::npos);
  net = qvip_example_2_2();
  net.layers[1].inputs = 3;
  EXPECT_NE(check_qnetwork(net).find("layer 1"), std::string::npos);
  net = qvip_example_2_2();
  net.layers[0].cb.frac = 9;  // Fb > Fw + Fx: bias alignment would need a right shift
  EXPECT_NE(check_qnetwork(net).find("bias alignment"), std::string::npos);
  net = qvip_example_2_2();
  net.layers[0].cw.bits = 17;
  EXPECT_NE(check_qnetwork(net).find("out of range"), std::string::npos);
}

TEST(QNetwork, EvaluateRejectsOffGridInput) {
  const QNetwork net = qvip_example_2_2();
  EXPECT_THROW(evaluate(net, {64, 0}), InputError);  // unsigned 6-bit grid is 0..63
  EXPECT_THROW(evaluate(net, {-1, 0}), InputError);
  EXPECT_THROW(evaluate(net, {1}), InputError);
}

TEST(QNetwork, AccumulatorBoundIsTightOnExample) {
  // Layer 1 worst case: 24*63 + 17*63 = 2583; reached at x = (63, 63).
  EXPECT_EQ(accumulator_bound(qvip_example_2_2()) >= 2583, true);
  const QNetwork net = qvip_example_2_2();
  const auto oracle = rational_evaluate(net, {63, 63});
  EXPECT_LE(oracle.max_acc, mpz_class(std::to_string(accumulator_bound(net))));
}

TEST(Digest, Sha256KnownVectorAndSensitivity) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  QNetwork a = qvip_example_2_2(), b = a;
  EXPECT_EQ(digest(a), digest(b));
  b.layers[1].W[3] += 1;
  EXPECT_NE(digest(a), digest(b));
  b = a;
  b.layers[0].cy.frac += 1;
  EXPECT_NE(digest(a), digest(b));
  Network f{2, {Dense{Matrix{{1.0, 2.0}}, Vector{{0.5}}}}}, g = f;
  EXPECT_EQ(digest(f), digest(g));
  std::get<Dense>(g.layers[0]).W(0, 1) = std::nextafter(2.0, 3.0);
  EXPECT_NE(digest(f), digest(g));
}

}  // namespace
}  // namespace nncert
