// `nncert quantize` end to end: QVIP's networks through the CLI and `nncert eval` (QVIP Table 2
// counts), exit codes for bad input, --json fields, and the certificate/accumulator in the file.
#include "certifier/core/digest.hpp"
#include "certifier/quantize/accumulator_proof.hpp"
#include "formats/nnc.hpp"
#include "tests/test_support.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <nlohmann/json.hpp>

namespace nncert {
namespace {

using test::q;
using test::run_nncert;
using test::shared_data;
using test::TempDir;

TEST(QuantizeCli, QvipSchemeThroughEvalMatchesTable2) {
  NNCERT_REQUIRE_SHARED_DATA("qvip");
  NNCERT_REQUIRE_SHARED_DATA("mnist");
  TempDir tmp;
  const auto r = run_nncert("quantize --json --scheme qvip --bits 6 " +
                            q(shared_data() / "qvip" / "mnist_1blk_64_q6.onnx") + " -o " + q(tmp / "p16.nnc"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["clamped_parameters"], 0);
  EXPECT_EQ(doc["plan"]["cx"], "<unsigned,8,8>");
  EXPECT_EQ(doc["plan"]["layers"][0]["cw"], "<signed,6,5>");
  EXPECT_EQ(doc["plan"]["layers"][0]["cb"], "<signed,6,4>");
  EXPECT_EQ(doc["plan"]["layers"][0]["cy"], "<unsigned,6,4>");
  EXPECT_EQ(doc["plan"]["layers"][1]["cy"], "<signed,6,4>");
  const auto e = run_nncert("eval --json " + q(tmp / "p16.nnc") + " --data " +
                            q(shared_data() / "mnist" / "mnist_test_100.csv"));
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_EQ(nlohmann::json::parse(e.out)["network"], "quantized");
  EXPECT_EQ(nlohmann::json::parse(e.out)["result"]["correct"], 99);  // P1-6, #S = 99
  // The file carries the accumulator proof about exactly this QNetwork.
  const Model m = load_nnc((tmp / "p16.nnc").string());
  ASSERT_TRUE(m.qnetwork);
  ASSERT_FALSE(m.certificates.empty());
  const Certificate& c = m.certificates.back();
  EXPECT_EQ(c.property, "accumulator " + to_string(m.qnetwork->accumulator));
  EXPECT_EQ(c.method, "interval");
  EXPECT_EQ(c.weights_digest, digest(*m.qnetwork));
  EXPECT_EQ(doc["digest"], digest(*m.qnetwork));
  EXPECT_GE(c.bound, static_cast<double>(accumulator_bound(*m.qnetwork)));
  EXPECT_EQ(m.qnetwork->accumulator, AccumulatorType::Int32);  // 6-bit weights on 784 pixels
}

TEST(QuantizeCli, P46OnFashionMnist) {
  NNCERT_REQUIRE_SHARED_DATA("qvip");
  NNCERT_REQUIRE_FASHION_MNIST();
  TempDir tmp;
  const auto r = run_nncert("quantize --scheme qvip --bits 6 " +
                            q(shared_data() / "qvip" / "fashion-mnist_1blk_64_q6.onnx") + " -o " + q(tmp / "p46.nnc"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto e = run_nncert("eval --json " + q(tmp / "p46.nnc") + " --data fashion-mnist --samples 0:99");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_EQ(nlohmann::json::parse(e.out)["result"]["correct"], 87);
  const auto all = run_nncert("eval --json " + q(tmp / "p46.nnc") + " --data fashion-mnist");
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_NEAR(nlohmann::json::parse(all.out)["result"]["accuracy"].get<double>(), 0.856, 0.0005);
}

// A tiny labelled CSV (label first, integer features 0..255) and a float model trained on it.
void write_blobs(const std::filesystem::path& path) {
  std::ofstream out(path);
  std::mt19937_64 rng(4);
  std::normal_distribution<double> noise(0, 30);
  const int proto[3][4] = {{30, 200, 60, 220}, {220, 40, 180, 20}, {120, 120, 250, 90}};
  for (int i = 0; i < 300; ++i) {
    const int c = i % 3;
    out << c;
    for (int k = 0; k < 4; ++k) out << "," << std::clamp(static_cast<int>(std::lround(proto[c][k] + noise(rng))), 0, 255);
    out << "\n";
  }
}

TEST(QuantizeCli, CalibratedWithQatReportsAccuracyAndAgreement) {
  TempDir tmp;
  write_blobs(tmp / "blobs.csv");
  const auto data = q(tmp / "blobs.csv");
  const auto t = run_nncert("train --arch 4:8:3 --data " + data + " --epochs 20 -o " + q(tmp / "f.nnc"));
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const auto r = run_nncert("quantize --json " + q(tmp / "f.nnc") + " --bits 4 --calib-data " + data +
                            " --calib-method mse --qat-epochs 2 --qat-lr 0.001 --eval-data " + data + " -o " +
                            q(tmp / "q.nnc"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["plan"]["cx"], "<unsigned,8,8>");
  EXPECT_EQ(doc["plan"]["input_divisor"], 255.0);
  ASSERT_TRUE(doc.contains("accuracy"));
  for (const char* stage : {"ptq", "qat"}) {
    const auto& a = doc["accuracy"][stage];
    EXPECT_EQ(a["samples"], 300);
    EXPECT_GE(a["agreement"].get<double>(), 0.0);
    EXPECT_LE(a["agreement"].get<double>(), 1.0);
  }
  EXPECT_EQ(doc["qat"]["history"].size(), 2u);
  EXPECT_TRUE(doc["accumulator"]["type"] == "int32" || doc["accumulator"]["type"] == "int64");
  // eval of the output runs the QNetwork and counts what quantize reported.
  const auto e = run_nncert("eval --json " + q(tmp / "q.nnc") + " --data " + data);
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const auto ev = nlohmann::json::parse(e.out);
  EXPECT_EQ(ev["network"], "quantized");
  EXPECT_EQ(ev["result"]["correct"], doc["accuracy"]["qat"]["quantized_correct"]);
  // Human output without --json names the accuracies.
  const auto h = run_nncert("quantize " + q(tmp / "f.nnc") + " --bits 8 --calib-data " + data + " --eval-data " + data +
                            " -o " + q(tmp / "q8.nnc"));
  ASSERT_EQ(h.exit_code, 0) << h.err;
  EXPECT_NE(h.out.find("agreement"), std::string::npos) << h.out;
  EXPECT_NE(h.out.find("accumulator"), std::string::npos) << h.out;
}

TEST(QuantizeCli, BadInputIsExitTwo) {
  TempDir tmp;
  write_blobs(tmp / "blobs.csv");
  const auto data = q(tmp / "blobs.csv");
  ASSERT_EQ(run_nncert("train --arch 4:8:3 --data " + data + " --epochs 1 -o " + q(tmp / "f.nnc")).exit_code, 0);
  const auto f = q(tmp / "f.nnc");
  const auto out = " -o " + q(tmp / "q.nnc");
  EXPECT_EQ(run_nncert("quantize " + q(tmp / "missing.nnc") + " --bits 8 --calib-data " + data + out).exit_code, 2);
  EXPECT_EQ(run_nncert("quantize " + f + " --bits 8 --calib-data " + data + " -o " + q(tmp / "q.onnx")).exit_code, 2);
  EXPECT_EQ(run_nncert("quantize " + f + " --bits 11 --scheme qvip" + out).exit_code, 2);
  EXPECT_EQ(run_nncert("quantize " + f + " --bits 1 --calib-data " + data + out).exit_code, 2);
  EXPECT_EQ(run_nncert("quantize " + f + " --bits 8 --scheme nope --calib-data " + data + out).exit_code, 2);
  EXPECT_EQ(run_nncert("quantize " + f + " --bits 8 --calib-data " + q(tmp / "none.csv") + out).exit_code, 2);
  EXPECT_EQ(run_nncert("quantize " + f + " --bits 8 --percentile 0 --calib-data " + data + out).exit_code, 2);
  EXPECT_EQ(run_nncert("quantize " + f + " --bits 8 --calib-data " + data + " --qat-epochs -1" + out).exit_code, 2);
  const auto j = run_nncert("quantize --json " + f + " --bits 99 --calib-data " + data + out);
  EXPECT_EQ(j.exit_code, 2);
  EXPECT_TRUE(nlohmann::json::parse(j.out).contains("error"));
  EXPECT_FALSE(std::filesystem::exists(tmp / "q.nnc"));
}

}  // namespace
}  // namespace nncert
