// `nncert prune weights|slim` end to end: sparsity and neuron counts as requested, masks kept
// through fine-tuning (nonzero count unchanged), `nncert eval` confirms the reported accuracy.
#include "tests/test_support.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <random>

namespace nncert {
namespace {

using nlohmann::json;

struct Fixture {
  test::TempDir dir;
  std::string data, model;
  Fixture() {
    std::mt19937_64 rng(2);
    std::normal_distribution<double> g(0.0, 0.3);
    data = (dir / "blobs.csv").string();
    std::ofstream f(data);
    for (int i = 0; i < 300; ++i) {
      const int c = i % 3;
      f << c;
      for (int k = 0; k < 4; ++k) f << "," << (k == c ? 1.0 : 0.0) + g(rng);
      f << "\n";
    }
    f.close();
    model = (dir / "base.nnc").string();
    const auto r = test::run_nncert("train --arch 4:16:12:3 --bn --slim-l1 1e-3 --data " + data +
                                    " --epochs 8 --batch 16 --lr 0.01 -o " + model);
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
};

double eval_accuracy(const std::string& model, const std::string& data) {
  const auto e = test::run_nncert("eval --json " + model + " --data " + data);
  EXPECT_EQ(e.exit_code, 0) << e.err;
  return json::parse(e.out)["result"]["accuracy"];
}

TEST(PruneCli, WeightsWithFineTuning) {
  Fixture f;
  const std::string out = (f.dir / "w.nnc").string();
  const auto r = test::run_nncert("prune weights " + f.model + " --sparsity 0.5 --finetune 2 --batch 16 --json -o " +
                                  out + " --test-data " + f.data);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json doc = json::parse(r.out);
  const std::size_t total = 4 * 16 + 16 * 12 + 12 * 3;
  EXPECT_EQ(doc["pruned"]["nonzero_weights"].get<std::size_t>(), total - (32 + 96 + 18));
  EXPECT_EQ(doc["finetuned"]["nonzero_weights"], doc["pruned"]["nonzero_weights"]);
  EXPECT_EQ(doc["history"].size(), 2u);
  EXPECT_DOUBLE_EQ(eval_accuracy(out, f.data), doc["finetuned"]["test"]["accuracy"].get<double>());
  // `nncert info` reports the sparsity per layer.
  const auto info = test::run_nncert("info --json " + out);
  ASSERT_EQ(info.exit_code, 0);
  EXPECT_DOUBLE_EQ(json::parse(info.out)["network"]["layers"][0]["sparsity"].get<double>(), 0.5);
}

TEST(PruneCli, SlimShrinksLayers) {
  Fixture f;
  const std::string out = (f.dir / "s.onnx").string();
  const auto r = test::run_nncert("prune slim " + f.model + " --ratio 0.5 --finetune 1 --json -o " + out +
                                  " --test-data " + f.data);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json doc = json::parse(r.out);
  EXPECT_EQ(doc["before"]["hidden_neurons"], 28);
  EXPECT_EQ(doc["pruned"]["hidden_neurons"], 14);
  EXPECT_DOUBLE_EQ(eval_accuracy(out, f.data), doc["finetuned"]["test"]["accuracy"].get<double>());
}

TEST(PruneCli, BadInput) {
  Fixture f;
  const std::string out = (f.dir / "x.nnc").string();
  for (const std::string& args : std::vector<std::string>{"weights " + f.model + " --sparsity 1.5", "weights " + f.model,
                                 "slim " + f.model + " --ratio -0.1", "weights " + f.model + " --sparsity 0.5 --finetune -1",
                                 "weights " + (f.dir / "missing.nnc").string() + " --sparsity 0.5"}) {
    const auto r = test::run_nncert("prune " + args + " -o " + out);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_FALSE(std::filesystem::exists(out));
  }
  // Slimming needs BatchNorm.
  const std::string plain = (f.dir / "plain.nnc").string();
  ASSERT_EQ(test::run_nncert("train --arch 4:8:3 --data " + f.data + " --epochs 1 -o " + plain).exit_code, 0);
  const auto r = test::run_nncert("prune slim " + plain + " --ratio 0.5 -o " + out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("BatchNorm"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace nncert
