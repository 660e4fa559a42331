// `nncert verify` on quantized models and `nncert mrr`, end to end: per-sample verdicts equal
// exhaustive enumeration on a tiny QNN, counterexamples replay, certificates are appended,
// VNN-COMP-style result lines are written, bad input exits 2; on QVIP's P4-6 (skip without data)
// the three encodings agree on a few r = 1 tasks.
#include "certifier/core/model.hpp"
#include "certifier/core/qsemantics.hpp"
#include "certifier/core/digest.hpp"
#include "formats/atomic_file.hpp"
#include "formats/nnc.hpp"

#include "tests/qvip_models.hpp"
#include "tests/test_support.hpp"
#include "tests/verify/qnn_test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace nncert {
namespace {

using test::q;
using test::run_nncert;
using test::TempDir;

// A tiny QNN on a 3-bit unsigned input grid, wrapped in a model with a placeholder float network.
Model tiny_model(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  QNetwork net;
  do {
    net = test::random_tiny_qnn(rng);
    net.cx = QConfig{false, 3, 0};
    for (auto& l : net.layers) l.cb.frac = std::min(l.cb.frac, l.cw.frac + input_frac(net, &l - net.layers.data()));
  } while (!check_qnetwork(net).empty() || net.input_size != 3);
  Model m;
  m.network.input_size = net.input_size;
  std::size_t width = net.input_size;
  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    m.network.layers.push_back(Dense{Matrix::Zero(static_cast<Eigen::Index>(net.layers[l].outputs), static_cast<Eigen::Index>(width)),
                                     Vector::Zero(static_cast<Eigen::Index>(net.layers[l].outputs))});
    width = net.layers[l].outputs;
    if (l + 1 < net.layers.size()) m.network.layers.push_back(ReLU{});
  }
  net.accumulator = prove_accumulator(net).type;  // as quantize records it
  m.qnetwork = net;
  return m;
}

TEST(QnnCli, TinyModelVerdictsMatchEnumeration) {
  TempDir tmp;
  Model m = tiny_model(3);
  const QNetwork& net = *m.qnetwork;
  save_nnc(m, (tmp / "m.nnc").string());
  std::mt19937_64 rng(4);
  std::ofstream csv(tmp / "d.csv");
  std::vector<std::vector<std::int64_t>> xs;
  for (int i = 0; i < 12; ++i) {
    const auto x = test::random_input(net, rng);
    xs.push_back(x);
    csv << (i % 4 == 3 ? (predict(net, x) + 1) % output_size(net) : predict(net, x));  // some misclassified
    for (auto v : x) csv << "," << v;
    csv << "\n";
  }
  csv.close();
  for (const std::string norm : {"linf", "l1", "l0"}) {
    const auto r = run_nncert("verify --json " + q(tmp / "m.nnc") + " --robust " + norm + ":1 --data " + q(tmp / "d.csv") +
                              " --results " + q(tmp / "r.txt"));
    ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    int falsified = 0, verified = 0;
    for (const auto& s : doc["samples"]) {
      const std::size_t i = s["sample"];
      if (s["verdict"] == "misclassified") {
        EXPECT_EQ(i % 4, 3u);
        continue;
      }
      const QProperty p = classification_property(net, ball_region(net, xs[i], parse_qnorm(norm), 1));
      const bool oracle = test::enumerate_counterexample(net, p).has_value();
      EXPECT_EQ(s["verdict"] == "falsified", oracle) << "sample " << i << " " << norm;
      if (s["verdict"] == "falsified") {
        ++falsified;
        EXPECT_TRUE(replays(net, p, s["counterexample"].get<std::vector<std::int64_t>>()));
      } else {
        ++verified;
      }
    }
    EXPECT_EQ(r.exit_code, falsified ? 1 : 0);
    EXPECT_EQ(doc["verified"], verified);
    std::ifstream results(tmp / "r.txt");
    std::string line;
    int lines = 0;
    while (std::getline(results, line)) {
      ++lines;
      EXPECT_TRUE(line.find(",unsat,") != std::string::npos || line.find(",sat,") != std::string::npos) << line;
    }
    EXPECT_EQ(lines, falsified + verified);
  }
  // Every verified task left a certificate bound to the exact quantized weights.
  const Model after = load_nnc((tmp / "m.nnc").string());
  ASSERT_FALSE(after.certificates.empty());
  for (const auto& c : after.certificates) {
    EXPECT_EQ(c.verdict, "verified");
    EXPECT_EQ(c.network, "quantized");
    EXPECT_EQ(c.weights_digest, digest(net));
  }
}

TEST(QnnCli, MrrMatchesEnumeration) {
  TempDir tmp;
  Model m = tiny_model(7);
  const QNetwork& net = *m.qnetwork;
  save_nnc(m, (tmp / "m.nnc").string());
  std::mt19937_64 rng(8);
  std::ofstream csv(tmp / "d.csv");
  std::vector<std::vector<std::int64_t>> xs;
  for (int i = 0; i < 8; ++i) {
    xs.push_back(test::random_input(net, rng));
    csv << predict(net, xs.back());
    for (auto v : xs.back()) csv << "," << v;
    csv << "\n";
  }
  csv.close();
  for (const std::string norm : {"linf", "l1"}) {
    const auto r = run_nncert("mrr --json " + q(tmp / "m.nnc") + " --data " + q(tmp / "d.csv") + " --start 2 --step 2 --norm " + norm);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    ASSERT_EQ(doc["samples"].size(), xs.size());
    for (const auto& s : doc["samples"]) {
      const std::size_t i = s["sample"];
      EXPECT_EQ(s["radius"].get<std::int64_t>(), test::enumerated_mrr(net, xs[i], parse_qnorm(norm))) << "sample " << i;
    }
  }
  EXPECT_EQ(run_nncert("mrr " + q(tmp / "m.nnc") + " --data " + q(tmp / "d.csv") + " --start 0").exit_code, 2);
}

// Several tiny models (some decided by the bounds alone, some by the solvers): every verdict
// matches enumeration, the second opinion agrees, and the certificates name what was exported.
TEST(QnnCli, ExportIlpAndCrossCheckMakeACheckableCertificate) {
  int files = 0, named = 0;
  for (const std::uint64_t seed : {3, 5, 7, 11, 13, 17}) {
    TempDir tmp;
    Model m = tiny_model(seed);
    const QNetwork& net = *m.qnetwork;
    std::mt19937_64 rng(seed + 100);
    std::ofstream csv(tmp / "d.csv");
    std::vector<std::vector<std::int64_t>> xs;
    for (int i = 0; i < 6; ++i) {
      xs.push_back(test::random_input(net, rng));
      csv << predict(net, xs.back());
      for (auto v : xs.back()) csv << "," << v;
      csv << "\n";
    }
    csv.close();
    for (const std::string encoding : {"compact", "portfolio"}) {
      const auto dir = tmp / ("ilp-" + encoding), model = tmp / ("m-" + encoding + ".nnc");
      save_nnc(m, model.string());
      const auto r = run_nncert("verify --json " + q(model) + " --robust linf:2 --data " + q(tmp / "d.csv") +
                                " --encoding " + encoding + " --cross-check --export-ilp " + q(dir));
      ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
      const auto doc = nlohmann::json::parse(r.out);
      for (const auto& s : doc["samples"]) {
        const std::size_t i = s["sample"];
        const QProperty p = classification_property(net, ball_region(net, xs[i], QNorm::Linf, 2));
        const bool oracle = test::enumerate_counterexample(net, p).has_value();
        ASSERT_EQ(s["verdict"] == "falsified", oracle) << encoding << " model " << seed << " sample " << i;
        // The second opinion was recorded and, with no time limit reached, agrees.
        EXPECT_EQ(s["cross_check"]["verdict"], s["verdict"]) << encoding << " sample " << i;
        for (const auto& f : s["ilp_files"]) {
          EXPECT_EQ(sha256_hex(read_file((dir / f["file"].get<std::string>()).string())), f["sha256"]);
          ++files;
        }
      }
      // Each certificate names the manifest's digest, the manifest the files' digests, and the
      // second opinion is recorded beside the method.
      for (const auto& c : load_nnc(model.string()).certificates) {
        EXPECT_NE(c.method.find("; cross-check "), std::string::npos) << c.method;
        const auto at = c.method.find("queries sha256:");
        if (at == std::string::npos) continue;  // decided by the bounds alone: nothing to export
        const std::string hex = c.method.substr(at + 15, 64);
        const std::string manifest = c.method.substr(at + 80, c.method.find(' ', at + 80) - (at + 80));
        const std::string text = read_file((dir / manifest).string());
        EXPECT_EQ(sha256_hex(text), hex) << c.method;
        std::istringstream lines(text);
        std::string file_hex, file;
        while (lines >> file_hex >> file) EXPECT_EQ(sha256_hex(read_file((dir / file).string())), file_hex) << file;
        ++named;
      }
    }
    // An export directory that cannot be made is bad input, and the model is left alone.
    std::ofstream(tmp / "plain") << "x";
    const std::string before = read_file((tmp / "m-compact.nnc").string());
    const auto bad = run_nncert("verify " + q(tmp / "m-compact.nnc") + " --robust linf:2 --data " + q(tmp / "d.csv") +
                                " --export-ilp " + q(tmp / "plain" / "sub"));
    EXPECT_EQ(bad.exit_code, 2) << bad.err;
    EXPECT_EQ(read_file((tmp / "m-compact.nnc").string()), before);
  }
  EXPECT_GT(files, 0);
  EXPECT_GT(named, 0);
}

TEST(QnnCli, BadInputExitsTwo) {
  TempDir tmp;
  save_nnc(tiny_model(5), (tmp / "m.nnc").string());
  std::ofstream(tmp / "d.csv") << "0,1,2,3\n1,4,5,6\n";
  const std::string base = "verify " + q(tmp / "m.nnc") + " --data " + q(tmp / "d.csv") + " --robust ";
  for (const std::string bad : {"linf:-1", "l7:1", "linf:1.5", "linf:99", "linf:1 --samples 0:5", "linf:1 --encoding gurobi",
                                "linf:1 --solver cplex"}) {
    const auto r = run_nncert(base + bad);
    EXPECT_EQ(r.exit_code, 2) << bad << "\n" << r.err;
    EXPECT_FALSE(r.err.empty()) << bad;  // one clear line
  }
  // A float-only model given to --encoding.
  Model float_only = tiny_model(5);
  float_only.qnetwork.reset();
  save_nnc(float_only, (tmp / "f.nnc").string());
  const auto r = run_nncert("verify " + q(tmp / "f.nnc") + " --data " + q(tmp / "d.csv") + " --robust linf:1 --encoding compact");
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

TEST(QnnCli, P46EncodingsAgreeOnRealTasks) {
  NNCERT_REQUIRE_SHARED_DATA("qvip");
  NNCERT_REQUIRE_FASHION_MNIST();
  TempDir tmp;
  const Model m = test::qvip_model(test::shared_data() / "qvip" / "fashion-mnist_1blk_64_q6.onnx", 6);
  save_nnc(m, (tmp / "p46.nnc").string());
  // Images 0-9 include image 4, the hard one (non-robust at r = 1, found by the compact core);
  // QVIP's encoding (interval bounds, as published) cross-checks the first four, where its ILP is quick.
  std::map<std::size_t, std::string> first;
  for (const std::string run : {"compact --samples 0:9", "qvip --samples 0:3"}) {
    const auto r = run_nncert("verify --json " + q(tmp / "p46.nnc") + " --robust linf:1 --data fashion-mnist --timeout 60 "
                              "--encoding " + run);
    ASSERT_NE(r.exit_code, 2) << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    for (const auto& s : doc["samples"]) {
      const std::size_t i = s["sample"];
      const std::string v = s["verdict"];
      if (v == "unknown") continue;
      if (!first.count(i)) first[i] = v;
      EXPECT_EQ(first[i], v) << "image " << i << " " << run;
      if (v == "falsified") {
        const auto x = s["counterexample"].get<std::vector<std::int64_t>>();
        EXPECT_NE(predict(*m.qnetwork, x), s["label"].get<std::size_t>());
      }
    }
    if (run.rfind("compact", 0) == 0) {
      EXPECT_EQ(r.exit_code, 1);  // image 4
      EXPECT_EQ(doc["unknown"], 0);
    }
  }
  EXPECT_EQ(first[4], "falsified");
}

}  // namespace
}  // namespace nncert
