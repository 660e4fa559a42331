// End-to-end tests of the `nncert` binary: exit codes (DESIGN §7), one-line errors on bad
// input, JSON output, and real-data checks against QVIP's published task counts.
#include "certifier/core/digest.hpp"
#include "formats/nnc.hpp"
#include "formats/onnx.hpp"
#include "tests/qvip_models.hpp"
#include "tests/test_support.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

namespace nncert {
namespace {

using test::qvip_model;
using test::q;
using test::run_nncert;
using test::shared_data;
using test::TempDir;

void write(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

int count_lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

TEST(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(run_nncert("").exit_code, 2);
  EXPECT_EQ(run_nncert("frobnicate").exit_code, 2);
  EXPECT_EQ(run_nncert("info").exit_code, 2);
  EXPECT_EQ(run_nncert("--help").exit_code, 0);
}

TEST(Cli, MissingAndCorruptFilesExitTwoWithOneLine) {
  TempDir tmp;
  const auto missing = run_nncert("info " + q(tmp / "nope.onnx"));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("nope.onnx"), std::string::npos) << missing.err;
  EXPECT_EQ(count_lines(missing.err), 1) << missing.err;

  std::string garbage;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 4096; ++i) garbage.push_back(static_cast<char>(rng()));
  for (const std::string name : {"corrupt.onnx", "corrupt.nnc"}) {
    write(tmp / name, garbage);
    const auto r = run_nncert("info " + q(tmp / name));
    EXPECT_EQ(r.exit_code, 2) << name << ": " << r.err;
    EXPECT_NE(r.err.find(name), std::string::npos) << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
  }
  write(tmp / "model.txt", "hello");
  EXPECT_EQ(run_nncert("info " + q(tmp / "model.txt")).exit_code, 2);
}

TEST(Cli, JsonErrorIsOneDocument) {
  TempDir tmp;
  const auto r = run_nncert("info --json " + q(tmp / "nope.nnc"));
  EXPECT_EQ(r.exit_code, 2);
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["exit_code"], 2);
  EXPECT_NE(doc["error"].get<std::string>().find("nope.nnc"), std::string::npos);
}

Network small_network() {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> g;
  auto m = [&](int r, int c) { return Matrix(Matrix::NullaryExpr(r, c, [&] { return g(rng); })); };
  return Network{4, {Normalize{Vector::Constant(4, 0.5), Vector::Constant(4, 2.0)}, Dense{m(6, 4), m(6, 1)}, ReLU{},
                     BatchNorm{Vector::Ones(6), Vector::Zero(6), m(6, 1), Vector::Constant(6, 1.5), 1e-5},
                     Dense{m(3, 6), m(3, 1)}}};
}

TEST(Cli, ConvertRoundTripKeepsTheDigest) {
  TempDir tmp;
  const Network net = small_network();
  save_onnx(net, (tmp / "a.onnx").string());
  ASSERT_EQ(run_nncert("convert " + q(tmp / "a.onnx") + " " + q(tmp / "b.nnc")).exit_code, 0);
  ASSERT_EQ(run_nncert("convert " + q(tmp / "b.nnc") + " " + q(tmp / "c.onnx")).exit_code, 0);
  const auto info = run_nncert("info --json " + q(tmp / "c.onnx"));
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_EQ(nlohmann::json::parse(info.out)["network"]["digest"], digest(net));
}

TEST(Cli, FailedConvertLeavesExistingOutputAlone) {
  TempDir tmp;
  write(tmp / "out.nnc", "precious");
  write(tmp / "bad.onnx", "not a model");
  EXPECT_EQ(run_nncert("convert " + q(tmp / "bad.onnx") + " " + q(tmp / "out.nnc")).exit_code, 2);
  std::ifstream in(tmp / "out.nnc");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "precious");
}

TEST(Cli, InfoOnAcasXu) {
  NNCERT_REQUIRE_SHARED_DATA("acasxu");
  const auto r = run_nncert("info --json " + q(shared_data() / "acasxu" / "ACASXU_run2a_1_1_batch_2000.onnx"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["network"]["inputs"], 5);
  EXPECT_EQ(doc["network"]["outputs"], 5);
  EXPECT_EQ(doc["network"]["parameters"], 5 * 50 + 50 + 5 * (50 * 50 + 50) + 50 * 5 + 5);
  EXPECT_EQ(doc["network"]["digest"].get<std::string>().size(), 64u);
}

// QVIP's P4-6 rebuilt as a QNetwork straight from the on-grid ONNX floats (QVIP scheme, Q = 6):
// an oracle for `eval` that owes nothing to nncert's quantizer.
TEST(Cli, EvalQuantizedP46MatchesQvipTaskCounts) {
  NNCERT_REQUIRE_SHARED_DATA("qvip");
  NNCERT_REQUIRE_FASHION_MNIST();
  TempDir tmp;
  save_nnc(qvip_model(shared_data() / "qvip" / "fashion-mnist_1blk_64_q6.onnx", 6), (tmp / "p46.nnc").string());
  // QVIP Table 2, column #S: correctly classified images per range.
  const std::vector<std::pair<std::string, int>> counts{{"0:99", 87}, {"100:199", 90}, {"200:249", 43}, {"300:349", 44}};
  for (const auto& [range, expected] : counts) {
    const auto r = run_nncert("eval --json " + q(tmp / "p46.nnc") + " --data fashion-mnist --samples " + range);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["result"]["correct"], expected) << range;
  }
  const auto all = run_nncert("eval --json " + q(tmp / "p46.nnc") + " --data fashion-mnist --outputs " + q(tmp / "o.csv"));
  ASSERT_EQ(all.exit_code, 0) << all.err;
  const auto doc = nlohmann::json::parse(all.out);
  EXPECT_NEAR(doc["result"]["accuracy"].get<double>(), 0.856, 0.0005);  // QVIP Table 1
  // The outputs file agrees with the summary: one row per sample, integers, same hits.
  std::ifstream in(tmp / "o.csv");
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line.rfind("index,label,predicted,y0,", 0), 0u);
  int rows = 0, hits = 0;
  while (std::getline(in, line)) {
    std::stringstream s(line);
    std::string idx, label, pred;
    std::getline(s, idx, ',');
    std::getline(s, label, ',');
    std::getline(s, pred, ',');
    EXPECT_EQ(line.find('.'), std::string::npos) << "quantized outputs must be exact integers: " << line;
    hits += label == pred;
    ++rows;
  }
  EXPECT_EQ(rows, 10000);
  EXPECT_EQ(hits, doc["result"]["correct"]);
}

TEST(Cli, EvalQuantizedP16OnMnistCsv) {
  NNCERT_REQUIRE_SHARED_DATA("qvip");
  NNCERT_REQUIRE_SHARED_DATA("mnist");
  TempDir tmp;
  save_nnc(qvip_model(shared_data() / "qvip" / "mnist_1blk_64_q6.onnx", 6), (tmp / "p16.nnc").string());
  const auto r = run_nncert("eval --json " + q(tmp / "p16.nnc") + " --data " + q(shared_data() / "mnist" / "mnist_test_100.csv"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["result"]["correct"], 99);  // QVIP Table 2: P1-6, #S = 99
}

TEST(Cli, EvalRejectsMismatchedInputsAndBadRanges) {
  NNCERT_REQUIRE_SHARED_DATA("acasxu");
  NNCERT_REQUIRE_FASHION_MNIST();
  const auto acas = q(shared_data() / "acasxu" / "ACASXU_run2a_1_1_batch_2000.onnx");
  const auto r = run_nncert("eval " + acas + " --data fashion-mnist --samples 0:9");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("784 features"), std::string::npos) << r.err;
  EXPECT_EQ(run_nncert("eval " + acas + " --data fashion-mnist --samples 9:3").exit_code, 2);
  EXPECT_EQ(run_nncert("eval " + acas + " --data fashion-mnist --samples x").exit_code, 2);
  EXPECT_EQ(run_nncert("eval " + acas + " --data fashion-mnist --samples 0:10000").exit_code, 2);
}

}  // namespace
}  // namespace nncert
