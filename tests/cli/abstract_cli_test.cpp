// End-to-end tests of `nncert abstract` and `nncert verify --via-abstraction` (DeepAbstract,
// Ashok et al., ATVA'20) on a small synthetic CSV dataset, so they run without Fashion-MNIST:
// the abstract network's accuracy is re-measured by `nncert eval`, every lifted proof is replayed
// on concrete points of its box, and bad input exits 2 with one line.
#include "certifier/verify/relu_chain.hpp"
#include "formats/nnc.hpp"
#include "tests/test_support.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <random>

namespace nncert {
namespace {

using test::q;
using test::run_nncert;
using test::TempDir;

// 3 classes of 8-pixel "images": a class lights up its own third of the pixels, plus noise.
// Label-first CSV rows, pixels 0..255 (the reader scales them to [0,1]).
std::vector<std::pair<int, std::vector<int>>> write_dataset(const std::filesystem::path& p, int n) {
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<int> noise(0, 90), bright(150, 255), cls(0, 2);
  std::vector<std::pair<int, std::vector<int>>> rows;
  std::ofstream f(p);
  for (int i = 0; i < n; ++i) {
    const int c = cls(rng);
    std::vector<int> px(8);
    for (int j = 0; j < 8; ++j) px[static_cast<std::size_t>(j)] = (j * 3 / 8 == c) ? bright(rng) : noise(rng);
    f << c;
    for (int v : px) f << "," << v;
    f << "\n";
    rows.emplace_back(c, px);
  }
  return rows;
}

struct Fixture {
  TempDir tmp;
  std::filesystem::path data = tmp / "data.csv", net = tmp / "net.nnc";
  std::vector<std::pair<int, std::vector<int>>> rows;
  Fixture() {
    rows = write_dataset(data, 600);
    const auto r = run_nncert("--seed 3 train --arch 8:24:24:3 --data " + q(data) + " --test-data " + q(data) +
                              " --epochs 40 --threads 1 -o " + q(net));
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
};

TEST(AbstractCli, AbstractThenVerifyViaAbstraction) {
  Fixture fx;
  // Algorithm 2 under a 5% drop: the reported abstract accuracy is what `eval` measures.
  const auto abs = fx.tmp / "abs.nnc";
  const auto a = run_nncert("--json abstract " + q(fx.net) + " --data " + q(fx.data) +
                            " --max-drop 0.05 --cluster-samples 200 -o " + q(abs));
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const auto doc = nlohmann::json::parse(a.out);
  EXPECT_EQ(doc["hidden_neurons"].get<int>(), 48);
  EXPECT_LE(doc["abstract_hidden_neurons"].get<int>(), 48);
  EXPECT_GE(doc["abstract_accuracy"].get<double>(), doc["accuracy"].get<double>() - 0.05 - 1e-12);
  const auto e = run_nncert("--json eval " + q(abs) + " --data " + q(fx.data));
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const auto ev = nlohmann::json::parse(e.out);
  EXPECT_NEAR(ev["result"]["accuracy"].get<double>(), doc["abstract_accuracy"].get<double>(), 1e-12);

  // Fixed clusters: hidden layer 2 (the first) to 6 clusters, layer 3 to 10.
  const auto abs2 = fx.tmp / "abs2.nnc";
  const auto k = run_nncert("--json abstract " + q(fx.net) + " --data " + q(fx.data) + " --k 2:6,3:10 -o " + q(abs2));
  ASSERT_EQ(k.exit_code, 0) << k.err;
  const auto kd = nlohmann::json::parse(k.out);
  EXPECT_EQ(kd["abstract_widths"].get<std::vector<int>>(), std::vector<int>({6, 10}));
  EXPECT_EQ(kd["removed"].get<std::vector<int>>(), std::vector<int>({18, 14}));
  const Model am = load_nnc(abs2.string());
  EXPECT_EQ(to_relu_chain(am.network).layers[0].W.rows(), 6);

  // Verify via the abstraction; every lifted sample is replayed on concrete points of its box.
  const double eps = 0.02;
  const auto v = run_nncert("--json verify " + q(fx.net) + " --robust linf:" + std::to_string(eps) + " --data " +
                            q(fx.data) + " --samples 0:29 --via-abstraction " + q(abs2) + " --compare-direct");
  ASSERT_TRUE(v.exit_code == 0 || v.exit_code == 3) << v.err;
  const auto vd = nlohmann::json::parse(v.out);
  const ReluChain net = to_relu_chain(load_nnc(fx.net.string()).network);
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::size_t lifted = 0;
  for (const auto& s : vd["samples"]) {
    if (!s.value("lifted", false)) continue;
    ++lifted;
    const auto& [label, px] = fx.rows.at(s["sample"].get<std::size_t>());
    EXPECT_EQ(s["label"].get<int>(), label);
    Matrix P(8, 1000);
    for (Eigen::Index j = 0; j < P.cols(); ++j)
      for (Eigen::Index i = 0; i < 8; ++i) {
        const double t = j % 2 ? u(rng) : (u(rng) < 0 ? -1.0 : 1.0);
        P(i, j) = std::clamp(px[static_cast<std::size_t>(i)] / 255.0 + eps * t, 0.0, 1.0);
      }
    const Matrix Y = evaluate(net, P);
    for (Eigen::Index j = 0; j < Y.cols(); ++j) ASSERT_EQ(argmax_first(Vector(Y.col(j))), label) << s.dump();
  }
  EXPECT_EQ(vd["lifted"].get<std::size_t>(), lifted);
  EXPECT_GT(lifted, 0u) << v.err;  // the positive path is exercised
  EXPECT_EQ(v.exit_code == 0, vd["not_lifted"].get<std::size_t>() == 0);
}

TEST(AbstractCli, BadInputExitsTwoWithOneLine) {
  Fixture fx;
  const std::string base = "abstract " + q(fx.net) + " --data " + q(fx.data) + " ";
  for (const std::string& args :
       {base + "--k 9:3 -o " + q(fx.tmp / "a.nnc"),              // no such hidden layer
        base + "--k 2:0 -o " + q(fx.tmp / "a.nnc"),              // k out of range
        base + "--remove 2:24 -o " + q(fx.tmp / "a.nnc"),        // removes the whole layer
        base + "--k 2-3 -o " + q(fx.tmp / "a.nnc"),              // malformed list
        base + "--max-drop 2 -o " + q(fx.tmp / "a.nnc"),         // not a fraction
        base + "-o " + q(fx.tmp / "a.onnx"),                     // the map needs .nnc provenance
        "abstract " + q(fx.tmp / "missing.nnc") + " --data " + q(fx.data) + " -o " + q(fx.tmp / "a.nnc")}) {
    const auto r = run_nncert(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << "\n" << r.err;
  }
  // A dataset with the wrong number of features.
  {
    std::ofstream(fx.tmp / "wide.csv") << "0,1,2,3\n1,4,5,6\n";
    const auto r = run_nncert("abstract " + q(fx.net) + " --data " + q(fx.tmp / "wide.csv") + " -o " + q(fx.tmp / "a.nnc"));
    EXPECT_EQ(r.exit_code, 2) << r.err;
  }
  // Lifting through an abstraction of a different network, or a file without a map, or a
  // non-L-inf property, is refused.
  const auto abs = fx.tmp / "abs.nnc";
  ASSERT_EQ(run_nncert(base + "--k 2:6 -o " + q(abs)).exit_code, 0);
  const auto other = fx.tmp / "other.nnc";
  ASSERT_EQ(run_nncert("--seed 4 train --arch 8:24:24:3 --data " + q(fx.data) + " --test-data " + q(fx.data) +
                       " --epochs 2 --threads 1 -o " + q(other))
                .exit_code,
            0);
  const std::string verify = " --robust linf:0.01 --data " + q(fx.data) + " --samples 0:3 --via-abstraction ";
  for (const std::string& args : {"verify " + q(other) + verify + q(abs), "verify " + q(fx.net) + verify + q(other),
                                  "verify " + q(fx.net) + " --robust l2:0.01 --data " + q(fx.data) +
                                      " --samples 0:3 --via-abstraction " + q(abs),
                                  "verify " + q(fx.net) + verify + q(fx.tmp / "missing.nnc")}) {
    const auto r = run_nncert(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << "\n" << r.err;
  }
}

}  // namespace
}  // namespace nncert
