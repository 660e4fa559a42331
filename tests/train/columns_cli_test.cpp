// `nncert train|eval --columns SPEC` end to end on generated CSVs: the spec's validation part
// drives early stopping, its test part gives the test MSE, eval on the saved model agrees, and
// bad specs or data are exit 2 with one line and no output file. A short MANNERS-DB run when the
// data is present.
#include "tests/test_support.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <random>

namespace nncert {
namespace {

using nlohmann::json;
using test::q;

// id, u (0..100), v (0..10), flag (0/1), y1 = u/100 - v/10 + flag/2, y2 = flag (+ noise);
// the raw inputs need the spec's scaling to be on a common [0, 1] scale.
std::string write_csv(const test::TempDir& dir, std::size_t n = 200) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0, 100), v(0, 10);
  std::normal_distribution<double> noise(0, 0.01);
  const std::string path = (dir / "data.csv").string();
  std::ofstream f(path);
  f << "id,u,v,flag,y1,y2\n";
  for (std::size_t i = 0; i < n; ++i) {
    const double a = u(rng), b = v(rng);
    const int flag = static_cast<int>(i % 2);
    f << i << "," << a << "," << b << "," << flag << "," << a / 100 - b / 10 + flag / 2.0 + noise(rng) << ","
      << flag + noise(rng) << "\n";
  }
  return path;
}

const char* kSpec = R"(drop = ["id"]
inputs = [
  { column = "u", divide = 100, clamp = [0, 1] },
  { column = "v", divide = 10 },
  { column = "flag", binary = true },
]
targets = ["y1", "y2"]
[split]
train = 120
validation = 40
test = 40
shuffle = "python"
seed = 5
)";

std::string write_spec(const test::TempDir& dir, const std::string& text, const std::string& name = "spec.toml") {
  const std::string path = (dir / name).string();
  std::ofstream(path) << text;
  return path;
}

TEST(ColumnsCli, TrainsValidatesAndTests) {
  test::TempDir dir;
  const std::string csv = write_csv(dir), spec = write_spec(dir, kSpec), out = (dir / "net.nnc").string();
  const auto r = test::run_nncert("train --arch 3:16:2 --data " + q(csv) + " --columns " + q(spec) +
                                  " --loss mse --epochs 60 --batch 10 --lr 0.01 --patience 5 --stop-from-initial"
                                  " --threads 1 --seed 2 -o " + q(out) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json doc = json::parse(r.out);
  EXPECT_EQ(doc["train"]["samples"], 120);
  EXPECT_EQ(doc["validation"]["samples"], 40);
  ASSERT_EQ(doc["test"]["samples"], 40);
  ASSERT_TRUE(doc["history"][0].contains("val_loss"));
  ASSERT_TRUE(doc["training"].contains("initial_val_loss"));
  const double test_mse = doc["test"]["mse"];
  // y2 = flag alone has variance 1/4: the untrained network is far off, the trained one close.
  EXPECT_LT(test_mse, 0.02);
  EXPECT_LT(doc["validation"]["mse"].get<double>(), doc["training"]["initial_val_loss"].get<double>());
  // eval (its own MSE code on the saved file) reproduces the test MSE on the spec's test part.
  const auto e = test::run_nncert("eval " + q(out) + " --data " + q(csv) + " --columns " + q(spec) + " --json");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const json ev = json::parse(e.out);
  EXPECT_EQ(ev["result"]["samples"], 40);
  EXPECT_NEAR(ev["result"]["mse"].get<double>(), test_mse, 1e-12);
  // The human report names the test MSE.
  const auto h = test::run_nncert("train --arch 3:4:2 --data " + q(csv) + " --columns " + q(spec) +
                                  " --loss mse --epochs 2 --threads 1 -o " + q(dir / "h.nnc"));
  ASSERT_EQ(h.exit_code, 0) << h.err;
  EXPECT_NE(h.out.find("test (" + csv + ", 40 samples): mse "), std::string::npos) << h.out;
  EXPECT_NE(h.out.find("val_loss"), std::string::npos) << h.out;
}

// prune --columns: fine-tunes on the spec's train part with early stopping on its validation part,
// keeps the pruned weights zero, and its test MSE is the one eval computes on the saved file.
TEST(ColumnsCli, PruneFinetunesOnTheSpecsSplit) {
  test::TempDir dir;
  const std::string csv = write_csv(dir), spec = write_spec(dir, kSpec), net = (dir / "net.nnc").string(),
                    out = (dir / "pruned.nnc").string();
  ASSERT_EQ(test::run_nncert("train --arch 3:16:2 --data " + q(csv) + " --columns " + q(spec) +
                             " --loss mse --epochs 30 --batch 10 --lr 0.01 --threads 1 --seed 2 -o " + q(net))
                .exit_code,
            0);
  const auto r = test::run_nncert("prune weights " + q(net) + " --sparsity 0.5 --data " + q(csv) + " --columns " +
                                  q(spec) + " --loss mse --finetune 20 --batch 10 --lr 0.01 --patience 3 --threads 1 -o " +
                                  q(out) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json doc = json::parse(r.out);
  ASSERT_TRUE(doc["history"][0].contains("val_loss")) << "early stopping saw no validation part";
  EXPECT_EQ(doc["finetuned"]["test"]["samples"], 40);
  EXPECT_LE(doc["finetuned"]["nonzero_weights"].get<double>(), 0.5 * (3 * 16 + 16 * 2) + 1);
  const auto e = test::run_nncert("eval " + q(out) + " --data " + q(csv) + " --columns " + q(spec) + " --json");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NEAR(json::parse(e.out)["result"]["mse"].get<double>(), doc["finetuned"]["test"]["mse"].get<double>(), 1e-12);
}

TEST(ColumnsCli, BadInputIsExitTwo) {
  test::TempDir dir;
  const std::string csv = write_csv(dir, 50), out = (dir / "z.nnc").string();
  std::string missing = kSpec;
  missing.replace(missing.find("\"y2\""), 4, "\"price\"");
  std::string sizes = kSpec;
  sizes.replace(sizes.find("test = 40"), 9, "test = 41");
  const std::vector<std::pair<std::string, std::string>> cases{
      {write_spec(dir, missing, "missing.toml"), "expected a column named \"price\""},
      {write_spec(dir, "targets = [\"y1\"\n", "bad.toml"), "bad.toml: line "},
      {write_spec(dir, std::string(kSpec) + "oops = 1\n", "key.toml"), "unknown key \"oops\""},
      {write_spec(dir, sizes, "sizes.toml"), "expected train + validation + test to be the 50 rows"},
      {(dir / "absent.toml").string(), "absent.toml"},
  };
  for (const auto& [spec, needle] : cases) {
    const auto r = test::run_nncert("train --arch 3:4:2 --loss mse --data " + q(csv) + " --columns " + q(spec) + " -o " + q(out));
    EXPECT_EQ(r.exit_code, 2) << spec << "\n" << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << spec << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << spec << "\n" << r.err;
    EXPECT_FALSE(std::filesystem::exists(out)) << spec;
  }
  // The missing column is named together with the CSV file.
  const auto r = test::run_nncert("train --arch 3:4:2 --loss mse --data " + q(csv) + " --columns " +
                                  q(dir / "missing.toml") + " -o " + q(out));
  EXPECT_NE(r.err.find(csv + ": line 1: expected a column named \"price\""), std::string::npos) << r.err;
  // A spec with 50 rows of train only: validation 0 and test 0 are allowed for train, not for eval.
  const std::string all_train = write_spec(dir, "drop = [\"id\"]\ntargets = [\"y1\", \"y2\"]\n", "all.toml");
  ASSERT_EQ(test::run_nncert("train --arch 3:4:2 --loss mse --epochs 1 --data " + q(csv) + " --columns " + q(all_train) +
                             " -o " + q(out)).exit_code, 0);
  const auto e = test::run_nncert("eval " + q(out) + " --data " + q(csv) + " --columns " + q(all_train));
  EXPECT_EQ(e.exit_code, 2) << e.err;
  EXPECT_NE(e.err.find("expected a test part"), std::string::npos) << e.err;
  // --test-data beside a spec that has its own test part is ambiguous.
  const std::string spec = write_spec(dir, kSpec);
  std::filesystem::remove(out);
  const auto t = test::run_nncert("train --arch 3:4:2 --loss mse --data " + q(write_csv(dir, 200)) + " --columns " + q(spec) +
                                  " --test-data " + q(csv) + " -o " + q(out));
  EXPECT_EQ(t.exit_code, 2) << t.err;
  EXPECT_NE(t.err.find("has a test part"), std::string::npos) << t.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(ColumnsCli, MannersShortRun) {
  NNCERT_REQUIRE_SHARED_DATA("manners/not_normallized.csv");
  test::TempDir dir;
  const auto data = test::shared_data() / "manners" / "not_normallized.csv";
  const auto spec = test::source_dir() / "examples" / "manners" / "columns.toml";
  const auto r = test::run_nncert("train --arch 28:9:9:9:9:9:9:8 --data " + q(data) + " --columns " + q(spec) +
                                  " --loss mse --epochs 3 --batch 100 --lr 0.001 --patience 20 --stop-from-initial"
                                  " --threads 1 -o " + q(dir / "m.nnc") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json doc = json::parse(r.out);
  EXPECT_EQ(doc["train"]["samples"], 8840);
  EXPECT_EQ(doc["validation"]["samples"], 1105);
  EXPECT_EQ(doc["test"]["samples"], 1105);
  // Targets lie in [0.2, 1]: any sane network is well under the 0.36 of predicting 0, and no
  // network beats the annotator-disagreement floor 0.028 of the README.
  EXPECT_LT(doc["test"]["mse"].get<double>(), 0.36);
  EXPECT_GT(doc["test"]["mse"].get<double>(), 0.028);
}

}  // namespace
}  // namespace nncert
