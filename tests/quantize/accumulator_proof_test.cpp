// The accumulator-width proof against exhaustive enumeration: on tiny QNNs every input on the
// grid is run through an accumulator computation written here (not the evaluator), and the
// proven bound must cover the largest |acc| seen; int32 must only be claimed when it fits, and a
// network whose all-max input overflows int32 must get int64.
#include "certifier/core/digest.hpp"
#include "certifier/core/model.hpp"
#include "certifier/quantize/accumulator_proof.hpp"
#include "formats/nnc.hpp"
#include "tests/test_support.hpp"

#include <random>

namespace nncert {
namespace {

__extension__ typedef __int128 i128;  // exact wide intermediates under -Wpedantic

// Largest |acc| of every layer over all inputs of the grid, by brute force (DESIGN §3.2 spelled
// out with wide integers and the requantization in plain division).
i128 enumerate_max_acc(const QNetwork& net) {
  i128 worst = 0;
  std::vector<std::int64_t> x(net.input_size, net.cx.lo());
  for (;;) {
    std::vector<i128> in(x.begin(), x.end());
    int fx = net.cx.frac;
    for (const QLayer& layer : net.layers) {
      std::vector<i128> out(layer.outputs);
      const int s = layer.cw.frac + fx - layer.cy.frac;
      for (std::size_t j = 0; j < layer.outputs; ++j) {
        i128 acc = i128{layer.b[j]} * (i128{1} << (layer.cw.frac + fx - layer.cb.frac));
        for (std::size_t k = 0; k < layer.inputs; ++k) acc += i128{layer.weight(j, k)} * in[k];
        worst = std::max(worst, acc < 0 ? -acc : acc);
        i128 v;
        if (s > 0) {
          const i128 num = acc + (i128{1} << (s - 1)), den = i128{1} << s;
          v = num / den - ((num % den != 0) && (num < 0));  // floor division
        } else {
          v = acc * (i128{1} << -s);
        }
        const i128 lb = layer.relu ? 0 : layer.cy.lo();
        out[j] = std::clamp<i128>(v, lb, layer.cy.hi());
      }
      in = out;
      fx = layer.cy.frac;
    }
    std::size_t k = 0;
    while (k < x.size() && x[k] == net.cx.hi()) x[k++] = net.cx.lo();
    if (k == x.size()) break;
    ++x[k];
  }
  return worst;
}

QNetwork random_tiny(std::mt19937_64& rng, int wbits) {
  std::uniform_int_distribution<int> coin(0, 1);
  QNetwork net;
  net.input_size = 3;
  net.cx = QConfig{coin(rng) == 1, 3, 2};
  int fx = net.cx.frac;
  std::size_t inputs = 3;
  const int depth = 1 + coin(rng);
  for (int l = 0; l < depth; ++l) {
    const bool last = l + 1 == depth;
    QLayer layer;
    layer.inputs = inputs;
    layer.outputs = last ? 2 : 3;
    layer.cw = QConfig{true, wbits, wbits - 1};
    layer.cb = QConfig{true, wbits, std::uniform_int_distribution<int>(0, layer.cw.frac + fx)(rng)};
    layer.cy = QConfig{last, 4, std::uniform_int_distribution<int>(0, 4)(rng)};
    layer.relu = !last;
    std::uniform_int_distribution<std::int64_t> w(layer.cw.lo(), layer.cw.hi()), b(layer.cb.lo(), layer.cb.hi());
    for (std::size_t i = 0; i < layer.inputs * layer.outputs; ++i) layer.W.push_back(w(rng));
    for (std::size_t i = 0; i < layer.outputs; ++i) layer.b.push_back(b(rng));
    net.layers.push_back(layer);
    inputs = layer.outputs;
    fx = layer.cy.frac;
  }
  return net;
}

TEST(AccumulatorProof, BoundCoversEveryGridInputOfTinyNetworks) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 60; ++trial) {
    QNetwork net = random_tiny(rng, trial % 2 ? 16 : 6);
    ASSERT_EQ(check_qnetwork(net), "");
    const i128 seen = enumerate_max_acc(net);
    const AccumulatorProof p = prove_accumulator(net, "test");
    EXPECT_GE(i128{p.bound}, seen) << "trial " << trial;
    if (p.type == AccumulatorType::Int32) {
      EXPECT_LT(seen, i128{1} << 31);
    }
    EXPECT_EQ(net.accumulator, p.type);
    // A single layer on independent inputs: interval analysis is exact (a corner attains it).
    if (net.layers.size() == 1) {
      EXPECT_EQ(i128{p.bound}, seen) << "trial " << trial;
    }
  }
}

QNetwork one_neuron(std::size_t inputs) {
  QNetwork net;
  net.input_size = inputs;
  net.cx = QConfig{false, 16, 0};
  QLayer layer;
  layer.inputs = inputs;
  layer.outputs = 1;
  layer.cw = QConfig{true, 16, 0};
  layer.cb = QConfig{true, 16, 0};
  layer.cy = QConfig{true, 16, 0};
  layer.relu = false;
  layer.W.assign(inputs, 32767);
  layer.b = {0};
  net.layers.push_back(layer);
  return net;
}

TEST(AccumulatorProof, Int32ExactlyWhenTheLargestAccumulatorFits) {
  // One input: 32767 * 65535 = 2147385345 < 2^31, reached at x = 65535 (enumerated).
  QNetwork fits = one_neuron(1);
  EXPECT_EQ(enumerate_max_acc(fits), i128{2147385345});
  const AccumulatorProof p = prove_accumulator(fits, "test");
  EXPECT_EQ(p.type, AccumulatorType::Int32);
  EXPECT_EQ(p.bound, 2147385345);
  EXPECT_EQ(p.certificate.property, "accumulator int32");
  EXPECT_EQ(p.certificate.method, "interval");
  EXPECT_EQ(p.certificate.verdict, "verified");
  EXPECT_EQ(p.certificate.network, "quantized");
  EXPECT_EQ(p.certificate.weights_digest, digest(fits));
  // Two inputs: the all-max input gives 2 * 2147385345 >= 2^31, so int32 would overflow.
  QNetwork wide = one_neuron(2);
  const AccumulatorProof p2 = prove_accumulator(wide, "test");
  EXPECT_EQ(p2.type, AccumulatorType::Int64);
  EXPECT_EQ(p2.certificate.property, "accumulator int64");
  i128 all_max = 0;
  for (auto w : wide.layers[0].W) all_max += i128{w} * wide.cx.hi();
  EXPECT_GE(all_max, i128{1} << 31);
}

TEST(AccumulatorProof, ChosenTypeSurvivesTheModelFile) {
  QNetwork q = one_neuron(1);
  const AccumulatorProof p = prove_accumulator(q, "test");
  Model m;
  m.network.input_size = 1;
  m.network.layers.emplace_back(Dense{Matrix::Constant(1, 1, 32767.0), Vector::Zero(1)});
  m.qnetwork = q;
  m.certificates.push_back(p.certificate);
  const Model back = parse_nnc(serialize_nnc(m), "memory");
  ASSERT_TRUE(back.qnetwork);
  EXPECT_EQ(back.qnetwork->accumulator, AccumulatorType::Int32);
  ASSERT_EQ(back.certificates.size(), 1u);
  EXPECT_EQ(back.certificates[0].weights_digest, digest(*back.qnetwork));
}

}  // namespace
}  // namespace nncert
