// The accumulator-width proof against exhaustive enumeration: on tiny QNNs every input on the
// grid is run through an accumulator computation written here (not the evaluator), and the
// proven bounds must cover the largest |acc| and the largest partial sum, product or rounding
// offset seen; int32 must only be claimed when they fit, and a network whose all-max input
// overflows int32 must get int64. The .nnc loader refuses a proof that is not the fresh one.
#include "certifier/core/digest.hpp"
#include "certifier/core/error.hpp"
#include "certifier/core/model.hpp"
#include "certifier/quantize/accumulator_proof.hpp"
#include "formats/nnc.hpp"
#include "tests/test_support.hpp"

#include <random>

namespace nncert {
namespace {

i128 mag(i128 v) { return v < 0 ? -v : v; }

struct Seen {
  i128 acc = 0;      // largest |acc| at the end of a sum
  i128 partial = 0;  // largest |aligned bias|, |product|, |prefix sum| (k ascending), |acc + 2^(s-1)|
};

// Over all inputs of the grid, by brute force (DESIGN §3.2 spelled out with wide integers and
// the requantization in plain division).
Seen enumerate(const QNetwork& net) {
  Seen seen;
  std::vector<std::int64_t> x(net.input_size, net.cx.lo());
  for (;;) {
    std::vector<i128> in(x.begin(), x.end());
    int fx = net.cx.frac;
    for (const QLayer& layer : net.layers) {
      std::vector<i128> out(layer.outputs);
      const int s = layer.cw.frac + fx - layer.cy.frac;
      for (std::size_t j = 0; j < layer.outputs; ++j) {
        i128 acc = i128{layer.b[j]} * (i128{1} << (layer.cw.frac + fx - layer.cb.frac));
        seen.partial = std::max(seen.partial, mag(acc));
        for (std::size_t k = 0; k < layer.inputs; ++k) {
          acc += i128{layer.weight(j, k)} * in[k];
          seen.partial = std::max({seen.partial, mag(acc), mag(i128{layer.weight(j, k)} * in[k])});
        }
        seen.acc = std::max(seen.acc, mag(acc));
        i128 v;
        if (s > 0) {
          const i128 num = acc + (i128{1} << (s - 1)), den = i128{1} << s;
          seen.partial = std::max(seen.partial, mag(num));
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
  return seen;
}

i128 enumerate_max_acc(const QNetwork& net) { return enumerate(net).acc; }

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
    const Seen seen = enumerate(net);
    const AccumulatorProof p = certify_accumulator(net, "test").proof;
    EXPECT_GE(i128{p.final_bound}, seen.acc) << "trial " << trial;
    EXPECT_GE(i128{p.partial_bound}, seen.partial) << "trial " << trial;
    if (p.type == AccumulatorType::Int32) {
      EXPECT_LT(seen.partial, i128{1} << 31);
    }
    EXPECT_EQ(net.accumulator, p.type);
    // A single layer on independent inputs: interval analysis is exact (a corner attains it).
    if (net.layers.size() == 1) {
      EXPECT_EQ(i128{p.final_bound}, seen.acc) << "trial " << trial;
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
  const AccumulatorCertificate p = certify_accumulator(fits, "test");
  EXPECT_EQ(p.proof.type, AccumulatorType::Int32);
  EXPECT_EQ(p.proof.final_bound, 2147385345);
  EXPECT_EQ(p.certificate.property, "accumulator int32");
  EXPECT_EQ(p.certificate.method, "interval");
  EXPECT_EQ(p.certificate.verdict, "verified");
  EXPECT_EQ(p.certificate.network, "quantized");
  EXPECT_EQ(p.certificate.weights_digest, digest(fits));
  // Two inputs: the all-max input gives 2 * 2147385345 >= 2^31, so int32 would overflow.
  QNetwork wide = one_neuron(2);
  const AccumulatorCertificate p2 = certify_accumulator(wide, "test");
  EXPECT_EQ(p2.proof.type, AccumulatorType::Int64);
  EXPECT_EQ(p2.certificate.property, "accumulator int64");
  i128 all_max = 0;
  for (auto w : wide.layers[0].W) all_max += i128{w} * wide.cx.hi();
  EXPECT_GE(all_max, i128{1} << 31);
}

TEST(AccumulatorProof, ChosenTypeSurvivesTheModelFile) {
  QNetwork q = one_neuron(1);
  const AccumulatorCertificate p = certify_accumulator(q, "test");
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

Model certified_model(QNetwork q) {
  const AccumulatorCertificate p = certify_accumulator(q, "test");
  Model m;
  m.network.input_size = q.input_size;
  m.network.layers.emplace_back(
      Dense{Matrix::Constant(1, static_cast<Eigen::Index>(q.input_size), 1.0), Vector::Zero(1)});
  m.qnetwork = q;
  m.certificates.push_back(p.certificate);
  return m;
}

// InputError's message, or "" when parsing succeeds.
std::string load_error(const Model& m) {
  try {
    parse_nnc(serialize_nnc(m), "tampered.nnc");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(AccumulatorProof, LoaderRefusesATamperedStoredType) {
  for (std::size_t inputs : {1, 2}) {  // proven int32, proven int64
    Model m = certified_model(one_neuron(inputs));
    ASSERT_EQ(load_error(m), "");
    const AccumulatorType proven = m.qnetwork->accumulator;
    m.qnetwork->accumulator = proven == AccumulatorType::Int32 ? AccumulatorType::Int64 : AccumulatorType::Int32;
    const std::string err = load_error(m);
    EXPECT_NE(err.find("tampered.nnc"), std::string::npos) << err;
    EXPECT_NE(err.find("expected the proven " + accumulator_property(proven)), std::string::npos) << err;
    EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  }
}

TEST(AccumulatorProof, LoaderRefusesATamperedCertificate) {
  Model m = certified_model(one_neuron(1));
  Model wrong_type = m, wrong_bound = m, other_net = m;
  wrong_type.certificates[0].property = accumulator_property(AccumulatorType::Int64);
  wrong_bound.certificates[0].bound -= 1;
  for (const Model* bad : {&wrong_type, &wrong_bound}) {
    const std::string err = load_error(*bad);
    EXPECT_NE(err.find("tampered.nnc: certificate:"), std::string::npos) << err;
    EXPECT_NE(err.find("expected accumulator int32 (|acc| <= 2147385345"), std::string::npos) << err;
  }
  // A certificate about other weights is stale, not a claim about this QNetwork.
  other_net.certificates[0].weights_digest = std::string(64, '0');
  other_net.certificates[0].property = accumulator_property(AccumulatorType::Int64);
  EXPECT_EQ(load_error(other_net), "");
}

}  // namespace
}  // namespace nncert
