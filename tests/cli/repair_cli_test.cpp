// `nncert repair` end to end on a generated CSV regression task (column spec, one-copy and
// two-copy properties with a 0/1 input): certified .nnc whose certificate names the property's
// SHA-256 and the weights, `info` shows it, the certified network holds on a grid; bad input is
// exit 2 with one line and no output file. Real MANNERS-DB runs live in bench/repair.
#include "certifier/core/digest.hpp"
#include "certifier/verify/linear_property.hpp"
#include "formats/atomic_file.hpp"
#include "formats/model_file.hpp"
#include "tests/test_support.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <random>

namespace nncert {
namespace {

using nlohmann::json;

// Columns a, b (continuous, 0..10 raw), flag (0/1), raw target a + b + 2 flag; scaled: inputs a/10,
// b/10, target / 20 = (a + b) / 2 + flag / 10.
void write_task(const test::TempDir& dir, std::size_t n = 900) {
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> u(0, 10);
  std::ofstream csv(dir / "task.csv");
  csv << "id,a,b,flag,target\n";
  for (std::size_t i = 0; i < n; ++i) {
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
  // One copy: with a <= 0.2 and the flag set, the output stays below 0.6 (the data reach 0.7).
  std::ofstream p1(dir / "cap.vnnlib");
  p1 << "(declare-const X_0 Real) (declare-const X_1 Real) (declare-const X_2 Int) (declare-const Y_0 Real)\n"
        "(assert (<= 0 X_0)) (assert (<= X_0 0.2)) (assert (<= 0 X_1)) (assert (<= X_1 1))\n"
        "(assert (<= 1 X_2)) (assert (<= X_2 1))\n"
        "(assert (>= Y_0 0.6))\n";
  // Two copies: a scene with the flag scores at most 0.16 above a scene without it whose inputs are
  // within 0.05 (the data: 0.1 plus at most 0.05; a network fitting them overshoots here and there).
  std::ofstream p2(dir / "gap.vnnlib");
  p2 << "(declare-const X_0 Real) (declare-const X_1 Real) (declare-const X_2 Int) (declare-const Y_0 Real)\n"
        "(declare-const Xp_0 Real) (declare-const Xp_1 Real) (declare-const Xp_2 Int) (declare-const Yp_0 Real)\n"
        "(assert (<= 0 X_0)) (assert (<= X_0 1)) (assert (<= 0 X_1)) (assert (<= X_1 1))\n"
        "(assert (<= 1 X_2)) (assert (<= X_2 1))\n"
        "(assert (<= 0 Xp_0)) (assert (<= Xp_0 1)) (assert (<= 0 Xp_1)) (assert (<= Xp_1 1))\n"
        "(assert (<= 0 Xp_2)) (assert (<= Xp_2 0))\n"
        "(assert (<= (- X_0 Xp_0) 0.05)) (assert (<= (- Xp_0 X_0) 0.05))\n"
        "(assert (<= (- X_1 Xp_1) 0.05)) (assert (<= (- Xp_1 X_1) 0.05))\n"
        "(assert (>= (- Y_0 Yp_0) 0.16))\n";
}

// The task's properties on a 21x21 grid over (a, b): the flag set (and, for the two-copy gap, a
// second copy at the same point without it; the one-copy cap only where a <= 0.2). Expects no
// grid point (or pair) to reach the counterexample region.
void expect_holds_on_grid(const LinearProperty& p, const Network& net, const std::string& what) {
  for (int i = 0; i <= 20; ++i)
    for (int j = 0; j <= 20; ++j) {
      const Vector x{{i / 20.0, j / 20.0, 1.0}};
      std::vector<Vector> xs{x};
      if (p.copies == 2) xs.push_back(Vector{{x[0], x[1], 0.0}});
      if (p.copies == 1 && x[0] > 0.2) continue;
      EXPECT_FALSE(violated_case(p, evaluate_copies(net, xs))) << what << " at " << x.transpose();
    }
}

std::string common(const test::TempDir& dir, int max_iterations = 30) {
  return " --data " + test::q(dir / "task.csv") + " --columns " + test::q(dir / "columns.toml") +
         " --loss mse --epochs 40 --batch 32 --lr 0.01 --patience 10 --counterexamples 20 --samples 10 --sigma 0.05"
         " --max-iterations " + std::to_string(max_iterations) + " --seed 3";
}

TEST(RepairCli, CertifiesOneAndTwoCopyPropertiesWithAnIntegerInput) {
  test::TempDir dir;
  write_task(dir);
  // Weight 0: the paper's loop (the first network, trained on the data alone, needs repair);
  // the default adds the property penalty to training, after which it need not.
  for (const std::string weight : {"0", "1"})
  for (const std::string prop : {"cap.vnnlib", "gap.vnnlib"}) {
    const auto out = dir / ("repaired-" + weight + "-" + prop + ".nnc");
    const auto r = test::run_nncert("repair --arch 3:10:10:1 --property " + test::q(dir / prop) + common(dir) +
                                    " --property-weight " + weight + " -o " + test::q(out) + " --json");
    ASSERT_EQ(r.exit_code, 0) << prop << "\n" << r.err << r.out;
    const json doc = json::parse(r.out);
    EXPECT_TRUE(doc["certified"].get<bool>());
    if (weight == "0") {
      ASSERT_GE(doc["history"].size(), 2u) << prop << ": the first network should need repair";
      EXPECT_GT(doc["history"][0]["counterexamples"].get<int>(), 0) << prop << " " << doc["history"][0].dump();
    }
    EXPECT_TRUE(doc["history"].back().contains("test_mse"));

    const Model m = load_model(out.string());
    ASSERT_EQ(m.certificates.size(), 1u);
    const Certificate& c = m.certificates[0];
    EXPECT_EQ(c.weights_digest, digest(m.network));
    EXPECT_NE(c.property.find(sha256_hex(read_file((dir / prop).string()))), std::string::npos) << c.property;
    const auto info = test::run_nncert("info " + test::q(out));
    EXPECT_NE(info.out.find("cegis-repair"), std::string::npos) << info.out;

    // Independent check on a grid: no grid point (or pair) reaches the counterexample region.
    const LinearProperty p =
        linear_property_from_vnnlib(load_vnnlib((dir / prop).string(), 3, 1), (dir / prop).string());
    expect_holds_on_grid(p, m.network, prop);
    // `verify` takes the same superset and proves the certified network.
    const auto v = test::run_nncert("verify " + test::q(out) + " --vnnlib " + test::q(dir / prop) + " --json");
    ASSERT_EQ(v.exit_code, 0) << v.err << v.out;
    EXPECT_EQ(json::parse(v.out)["result"]["verdict"], "verified");
  }
}

// `verify` on an unrepaired network and the superset properties: a falsified verdict carries a
// counterexample (both copies) that replays on the network; a verified one agrees with a grid.
TEST(RepairCli, VerifyTakesTheSupersetAndReplaysItsCounterexamples) {
  test::TempDir dir;
  write_task(dir);
  const auto plain = dir / "plain.nnc";
  ASSERT_EQ(test::run_nncert("train --arch 3:10:10:1 --data " + test::q(dir / "task.csv") + " --columns " +
                             test::q(dir / "columns.toml") + " --loss mse --epochs 40 --batch 32 --lr 0.01 --seed 3 -o " +
                             test::q(plain))
                .exit_code,
            0);
  const Model m = load_model(plain.string());
  std::size_t falsified = 0;
  for (const std::string prop : {"cap.vnnlib", "gap.vnnlib"}) {
    const LinearProperty p =
        linear_property_from_vnnlib(load_vnnlib((dir / prop).string(), 3, 1), (dir / prop).string());
    const auto v = test::run_nncert("verify " + test::q(plain) + " --vnnlib " + test::q(dir / prop) + " --json");
    ASSERT_TRUE(v.exit_code == 0 || v.exit_code == 1) << v.err << v.out;
    const json r = json::parse(v.out)["result"];
    if (v.exit_code == 1) {
      ++falsified;
      ASSERT_EQ(r["verdict"], "falsified");
      const json& copies = r["counterexample"]["copies"];
      ASSERT_EQ(copies.size(), p.copies);
      std::vector<Vector> xs;
      for (const json& c : copies) {
        const auto x = c["x"].get<std::vector<double>>();
        xs.push_back(Eigen::Map<const Vector>(x.data(), static_cast<Eigen::Index>(x.size())));
      }
      EXPECT_TRUE(violated_case(p, evaluate_copies(m.network, xs))) << prop << ": the counterexample does not replay";
    } else {
      expect_holds_on_grid(p, m.network, prop + " verified, but fails on the grid");
    }
  }
  EXPECT_GT(falsified, 0u) << "the network trained on the data alone should break the cap (the data reach 0.7)";
}

TEST(RepairCli, RepairsAGivenNetworkWithoutItsData) {
  test::TempDir dir;
  write_task(dir);
  const auto plain = dir / "plain.nnc", out = dir / "distilled.nnc";
  const auto t = test::run_nncert("train --arch 3:10:10:1 --data " + test::q(dir / "task.csv") + " --columns " +
                                  test::q(dir / "columns.toml") +
                                  " --loss mse --epochs 40 --batch 32 --lr 0.01 --patience 10 --seed 3 -o " + test::q(plain));
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const auto r = test::run_nncert("repair " + test::q(plain) + " --property " + test::q(dir / "cap.vnnlib") +
                                  " --epochs 20 --batch 64 --lr 0.003 --patience 5 --max-iterations 20 --seed 3 -o " +
                                  test::q(out) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const json doc = json::parse(r.out);
  ASSERT_TRUE(doc.contains("fidelity"));
  EXPECT_GE(doc["fidelity"]["agreement"].get<double>(), 0.9);
  EXPECT_GT(doc["fidelity"]["samples"].get<int>(), 0);
  // The repaired network holds on a grid of the precondition, and stays near the original elsewhere in it.
  const Model original = load_model(plain.string()), repaired = load_model(out.string());
  const LinearProperty p = linear_property_from_vnnlib(load_vnnlib((dir / "cap.vnnlib").string(), 3, 1), "cap");
  double worst_change = 0;
  for (int i = 0; i <= 20; ++i)
    for (int j = 0; j <= 20; ++j) {
      const Vector x{{0.2 * i / 20.0, j / 20.0, 1.0}};
      EXPECT_FALSE(violated_case(p, evaluate_copies(repaired.network, {x}))) << x.transpose();
      worst_change = std::max(worst_change, std::abs(evaluate(repaired.network, x)[0] - evaluate(original.network, x)[0]));
    }
  EXPECT_LT(worst_change, 0.5);
}

// Label-first CSV: three blobs in 4-D, close enough that L-inf balls of 0.08 around some samples cross a boundary.
void write_blobs(const test::TempDir& dir) {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> g(0.0, 0.15);
  std::ofstream f(dir / "blobs.csv");
  for (int i = 0; i < 600; ++i) {
    const int c = i % 3;
    f << c;
    for (int k = 0; k < 4; ++k) f << "," << (k == c ? 0.8 : 0.2) + g(rng);
    f << "\n";
  }
}

TEST(RepairCli, RepairsLocalRobustnessAndVerifyAgrees) {
  test::TempDir dir;
  write_blobs(dir);
  const auto net = dir / "blobs.nnc", out = dir / "robust.nnc";
  const std::string data = " --data " + test::q(dir / "blobs.csv");
  ASSERT_EQ(test::run_nncert("train --arch 4:16:3" + data + " --epochs 30 --batch 32 --lr 0.01 --seed 1 -o " + test::q(net))
                .exit_code,
            0);
  const std::string check = data + " --robust linf:0.08 --samples 0:29";
  const auto before = test::run_nncert("verify " + test::q(net) + check);
  const auto r = test::run_nncert("repair " + test::q(net) + " --robust linf:0.08 --robust-samples 0:29 --retrain finetune" + data +
                                  " --epochs 10 --batch 32 --lr 0.003 --max-iterations 15 --seed 1 -o " + test::q(out));
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  // The plain verifier (DeepPoly, then complete methods) proves every sample robust afterwards.
  const auto after = test::run_nncert("verify " + test::q(out) + check + " --json");
  EXPECT_EQ(after.exit_code, 0) << after.out << "\nbefore repair: " << before.out;
  EXPECT_EQ(json::parse(after.out)["verified"].get<int>(), 30) << after.out;
}

TEST(RepairCli, BadInputIsExitTwoWithoutOutput) {
  test::TempDir dir;
  write_task(dir, 300);
  const auto out = dir / "never.nnc";
  auto expect_bad = [&](const std::string& args, const std::string& what) {
    const auto r = test::run_nncert("repair --arch 3:6:1" + args + " -o " + test::q(out));
    EXPECT_EQ(r.exit_code, 2) << what << "\n" << r.err;
    EXPECT_FALSE(std::filesystem::exists(out)) << what;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << what << ": " << r.err;
  };
  // A property over an input the network lacks.
  std::ofstream(dir / "wide.vnnlib") << "(declare-const X_5 Real) (declare-const Y_0 Real)\n"
                                        "(assert (<= 0 X_5)) (assert (<= X_5 1)) (assert (>= Y_0 1))\n";
  expect_bad(" --property " + test::q(dir / "wide.vnnlib") + common(dir), "variable beyond the network");
  // No output is ever safe: nothing can repair it.
  std::ofstream(dir / "never.vnnlib")
      << "(declare-const X_0 Real) (declare-const X_1 Real) (declare-const X_2 Real) (declare-const Y_0 Real)\n"
         "(assert (<= 0 X_0)) (assert (<= X_0 1)) (assert (<= 0 X_1)) (assert (<= X_1 1))\n"
         "(assert (<= 0 X_2)) (assert (<= X_2 1)) (assert (or (<= Y_0 0.5) (>= Y_0 0.4)))\n";
  expect_bad(" --property " + test::q(dir / "never.vnnlib") + common(dir), "unsatisfiable postcondition");
  // A budget of 0 iterations, and data without the columns named.
  expect_bad(" --property " + test::q(dir / "cap.vnnlib") + common(dir, 0), "zero budget");
  std::ofstream(dir / "other.toml") << "inputs = [\"a\", \"b\", \"nope\"]\ntargets = [\"target\"]\n";
  expect_bad(" --property " + test::q(dir / "cap.vnnlib") + " --data " + test::q(dir / "task.csv") + " --columns " +
                 test::q(dir / "other.toml") + " --loss mse",
             "missing column");
}

}  // namespace
}  // namespace nncert
