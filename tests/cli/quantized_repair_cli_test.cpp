// `nncert repair --bits 8` end to end on a generated CSV regression task with a 0/1 input: the
// loop certifies the QNetwork itself; the .nnc carries it with the repair certificate (property
// SHA-256, method, the QNetwork's digest) and the accumulator proof; enumeration of the whole
// input grid over the property's box confirms it; codegen and conform on host accept it. Bad
// input (Q out of range, a property the input grid cannot represent, --bn) is exit 2, no file.
#include "certifier/core/digest.hpp"
#include "certifier/verify/linear_property.hpp"
#include "formats/atomic_file.hpp"
#include "formats/model_file.hpp"
#include "tests/test_support.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

namespace nncert {
namespace {

using nlohmann::json;

// Columns a, b (continuous, 0..10 raw), flag (0/1), raw target a + b + 2 flag; scaled: inputs a/10,
// b/10, target / 20. The property: with a <= 0.2 and the flag set the output stays below 0.6,
// which the data themselves break (they reach 0.7 there).
void write_task(const test::TempDir& dir) {
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> u(0, 10);
  std::ofstream csv(dir / "task.csv");
  csv << "id,a,b,flag,target\n";
  for (std::size_t i = 0; i < 900; ++i) {
    const double a = u(rng), b = u(rng);
    const int flag = static_cast<int>(i % 2);
    csv << i << "," << a << "," << b << "," << flag << "," << (a + b) + 2 * flag << "\n";
  }
  std::ofstream spec(dir / "columns.toml");
  spec << "drop = [\"id\"]\n"
          "inputs = [{ column = \"a\", divide = 10, clamp = [0, 1] }, { column = \"b\", divide = 10, clamp = [0, 1] },\n"
          "          { column = \"flag\", binary = true }]\n"
          "targets = [{ column = \"target\", divide = 20 }]\n"
          "[split]\ntrain = 600\nvalidation = 150\nshuffle = \"seeded\"\nseed = 4\n";
  std::ofstream p1(dir / "cap.vnnlib");
  p1 << "(declare-const X_0 Real) (declare-const X_1 Real) (declare-const X_2 Int) (declare-const Y_0 Real)\n"
        "(assert (<= 0 X_0)) (assert (<= X_0 0.2)) (assert (<= 0 X_1)) (assert (<= X_1 1))\n"
        "(assert (<= 1 X_2)) (assert (<= X_2 1))\n"
        "(assert (>= Y_0 0.6))\n";
  // An Int input up to 1000: at 4 bits the grid step would be 2^7, merging integers.
  std::ofstream wide(dir / "wide.vnnlib");
  wide << "(declare-const X_0 Real) (declare-const X_1 Real) (declare-const X_2 Int) (declare-const Y_0 Real)\n"
          "(assert (<= 0 X_0)) (assert (<= X_0 0.2)) (assert (<= 0 X_1)) (assert (<= X_1 1))\n"
          "(assert (<= 0 X_2)) (assert (<= X_2 1000))\n"
          "(assert (>= Y_0 0.6))\n";
}

std::string common(const test::TempDir& dir) {
  return " --arch 3:10:10:1 --data " + test::q(dir / "task.csv") + " --columns " + test::q(dir / "columns.toml") +
         " --loss mse --epochs 40 --batch 32 --lr 0.01 --patience 10 --counterexamples 20 --samples 10 --sigma 0.05"
         " --max-iterations 30 --seed 3";
}

TEST(QuantizedRepairCli, CertifiesTheQNetworkThenCodegenAndConform) {
  test::TempDir dir;
  write_task(dir);
  const auto out = dir / "q8.nnc";
  // Without the property penalty, so that the first quantized network violates and the loop repairs it.
  const auto r = test::run_nncert("repair --bits 8 --property-weight 0 --property " + test::q(dir / "cap.vnnlib") +
                                  common(dir) + " -o " + test::q(out) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const json doc = json::parse(r.out);
  EXPECT_TRUE(doc["certified"].get<bool>());
  ASSERT_TRUE(doc.contains("quantized"));
  EXPECT_EQ(doc["quantized"]["bits"].get<int>(), 8);
  ASSERT_GE(doc["history"].size(), 2u) << "the first quantized network should need repair";
  EXPECT_GT(doc["history"][0]["counterexamples"].get<int>(), 0);

  const Model m = load_model(out.string());
  ASSERT_TRUE(m.qnetwork.has_value());
  const QNetwork& q = *m.qnetwork;
  const Certificate* cert = nullptr;
  for (const Certificate& c : m.certificates)
    if (c.method.find("cegis-repair") != std::string::npos) cert = &c;
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(cert->network, "quantized");
  EXPECT_EQ(cert->weights_digest, digest(q));
  EXPECT_NE(cert->property.find(sha256_hex(read_file((dir / "cap.vnnlib").string()))), std::string::npos);
  const auto info = test::run_nncert("info " + test::q(out));
  EXPECT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("cegis-repair-qat"), std::string::npos) << info.out;
  EXPECT_EQ(info.out.find("INVALID"), std::string::npos) << info.out;

  // The oracle: every grid point the box reaches (x quantizes as round(2^Fx x)), on the reference evaluator.
  auto grid = [&](double x) { return static_cast<std::int64_t>(std::floor(std::ldexp(x, q.cx.frac) + 0.5)); };
  const std::int64_t flag = grid(1.0);
  std::size_t points = 0;
  for (std::int64_t a = grid(0); a <= grid(0.2); ++a)
    for (std::int64_t b = grid(0); b <= grid(1.0); ++b) {
      const auto y = evaluate(q, {a, b, flag});
      EXPECT_LT(std::ldexp(static_cast<double>(y[0]), -q.layers.back().cy.frac), 0.6) << a << " " << b;
      ++points;
    }
  EXPECT_GT(points, 1000u);

  const auto gen = test::run_nncert("codegen " + test::q(out) + " -o " + test::q(dir / "gen"));
  EXPECT_EQ(gen.exit_code, 0) << gen.err;
  const auto conf = test::run_nncert("conform " + test::q(out) + " --target host --vectors 100");
  EXPECT_EQ(conf.exit_code, 0) << conf.err << conf.out;
}

TEST(QuantizedRepairCli, BadInputIsExitTwoWithOneLine) {
  test::TempDir dir;
  write_task(dir);
  const auto out = dir / "bad.nnc";
  for (const std::string& args : {" --bits 1 --property " + test::q(dir / "cap.vnnlib"),
                                 " --bits 17 --property " + test::q(dir / "cap.vnnlib"),
                                 " --bits 4 --property " + test::q(dir / "wide.vnnlib"),
                                 " --bits 8 --bn --property " + test::q(dir / "cap.vnnlib")}) {
    const auto r = test::run_nncert("repair" + args + common(dir) + " -o " + test::q(out));
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find("--bits"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(out));
  }
}

}  // namespace
}  // namespace nncert
