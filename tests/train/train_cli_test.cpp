// `nncert train` end to end: history in --json, .nnc with provenance and .onnx output, same seed
// -> same weights digest, bad input -> exit 2 with one line and no output file, and one short
// Fashion-MNIST smoke run (skipped when the Debian dataset is absent).
#include "tests/test_support.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <random>

namespace nncert {
namespace {

using nlohmann::json;

// Label-first headerless CSV: three separable blobs in 4-D.
std::string write_blobs(const test::TempDir& dir, std::size_t n = 300) {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> g(0.0, 0.3);
  const std::string path = (dir / "blobs.csv").string();
  std::ofstream f(path);
  for (std::size_t i = 0; i < n; ++i) {
    const int c = static_cast<int>(i % 3);
    f << c;
    for (int k = 0; k < 4; ++k) f << "," << (k == c ? 1.0 : 0.0) + g(rng);
    f << "\n";
  }
  return path;
}

std::string weights_digest(const std::string& model) {
  const auto r = test::run_nncert("info --json " + model);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out)["network"]["digest"];
}

TEST(TrainCli, TrainsAndReportsHistory) {
  test::TempDir dir;
  const std::string data = write_blobs(dir), out = (dir / "net.nnc").string();
  const auto r = test::run_nncert("train --arch 4:16:8:3 --bn --data " + data +
                                  " --epochs 6 --batch 16 --lr 0.01 --val-split 0.2 --schedule cosine --seed 5 -o " +
                                  out + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json doc = json::parse(r.out);
  ASSERT_EQ(doc["history"].size(), 6u);
  EXPECT_TRUE(doc["history"][5].contains("val_accuracy"));
  EXPECT_GT(doc["train"]["accuracy"].get<double>(), 0.9);
  EXPECT_EQ(doc["train"]["per_class_accuracy"].size(), 3u);
  // `nncert eval` (an independent code path: core evaluate on the saved file) agrees.
  const auto e = test::run_nncert("eval --json " + out + " --data " + data);
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_DOUBLE_EQ(json::parse(e.out)["result"]["accuracy"].get<double>(), doc["train"]["accuracy"].get<double>());
  // Provenance (dataset, training config) is stored in the .nnc: its strings are plain bytes.
  std::ifstream in(out, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(bytes.find("blobs.csv"), std::string::npos);
  EXPECT_NE(bytes.find("\"schedule\":\"cosine\""), std::string::npos);
}

TEST(TrainCli, SameSeedSameModelAndOnnxExport) {
  test::TempDir dir;
  const std::string data = write_blobs(dir);
  const std::string common = "train --arch 4:8:3 --bn --data " + data + " --epochs 2 --batch 16 --threads 2 ";
  ASSERT_EQ(test::run_nncert(common + "--seed 7 -o " + (dir / "a.nnc").string()).exit_code, 0);
  ASSERT_EQ(test::run_nncert(common + "--seed 7 -o " + (dir / "b.nnc").string()).exit_code, 0);
  ASSERT_EQ(test::run_nncert(common + "--seed 8 -o " + (dir / "c.nnc").string()).exit_code, 0);
  ASSERT_EQ(test::run_nncert(common + "--seed 7 -o " + (dir / "a.onnx").string()).exit_code, 0);
  const std::string a = weights_digest((dir / "a.nnc").string());
  EXPECT_EQ(a, weights_digest((dir / "b.nnc").string()));
  EXPECT_NE(a, weights_digest((dir / "c.nnc").string()));
  EXPECT_EQ(a, weights_digest((dir / "a.onnx").string()));  // ONNX keeps the exact weights
  // --fold: BatchNorm folded into Dense at export, same predictions (fold is exact to ~1e-15).
  ASSERT_EQ(test::run_nncert(common + "--seed 7 --fold -o " + (dir / "f.nnc").string()).exit_code, 0);
  const auto info = test::run_nncert("info --json " + (dir / "f.nnc").string());
  EXPECT_EQ(info.out.find("BatchNorm"), std::string::npos);
  const auto ea = test::run_nncert("eval --json " + (dir / "a.nnc").string() + " --data " + data);
  const auto ef = test::run_nncert("eval --json " + (dir / "f.nnc").string() + " --data " + data);
  EXPECT_EQ(json::parse(ea.out)["result"]["correct"], json::parse(ef.out)["result"]["correct"]);
}

TEST(TrainCli, BadInputIsExitTwo) {
  test::TempDir dir;
  const std::string data = write_blobs(dir, 30);
  const std::string out = (dir / "z.nnc").string();
  std::ofstream(dir / "badlabel.csv") << "0,1,2\n7,1,2\n";
  std::ofstream(dir / "nan.csv") << "0,1,nan\n1,1,2\n";
  std::ofstream(dir / "empty.csv") << "";
  const std::vector<std::pair<std::string, std::string>> cases{
      {"--arch 5:8:3 --data " + data, "features"},
      {"--arch 4:8:10 --data " + data, "classes"},
      {"--arch 4:8:3 --epochs 0 --data " + data, "epochs"},
      {"--arch 4:8:3 --epochs -2 --data " + data, "epochs"},
      {"--arch 4:8:3 --batch 0 --data " + data, "batch"},
      {"--arch 4:8:3 --batch -5 --data " + data, "batch"},
      {"--arch 4::3 --data " + data, "--arch"},
      {"--arch 2:4:3 --data " + (dir / "badlabel.csv").string(), "label 7"},
      {"--arch 2:4:2 --data " + (dir / "nan.csv").string(), "nan"},
      {"--arch 2:4:2 --data " + (dir / "empty.csv").string(), "empty"},
  };
  for (const auto& [args, needle] : cases) {
    const auto r = test::run_nncert("train " + args + " -o " + out);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << args << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << "\n" << r.err;
    EXPECT_FALSE(std::filesystem::exists(out)) << args;
  }
}

TEST(TrainCli, FashionMnistSmoke) {
  NNCERT_REQUIRE_FASHION_MNIST();
  test::TempDir dir;
  const auto r = test::run_nncert("train --arch 784:32:10 --bn --data fashion-mnist --epochs 1 --batch 128 --threads 1 -o " +
                                  (dir / "f.nnc").string() + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json doc = json::parse(r.out);
  EXPECT_EQ(doc["test"]["samples"], 10000);
  EXPECT_GT(doc["test"]["accuracy"].get<double>(), 0.78);  // one epoch of a tiny MLP; 0.1 is chance
}

}  // namespace
}  // namespace nncert
