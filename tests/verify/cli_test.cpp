// End-to-end `nncert verify` / `nncert bounds`: exit codes (0 holds, 1 falsified, 2 bad input),
// VNN-COMP result files whose sat assignment replays on the network, certificates in .nnc files.
#include "certifier/core/digest.hpp"
#include "formats/nnc.hpp"
#include "formats/onnx.hpp"
#include "tests/core/random_nets.hpp"
#include "tests/test_support.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <iomanip>
#include <regex>

namespace nncert {
namespace {

void write(const std::filesystem::path& p, const std::string& s) { std::ofstream(p) << s; }

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), {}};
}

struct Fixture {
  test::TempDir dir;
  Network net;
  Vector y0;
  Fixture() {
    std::mt19937_64 rng(11);
    net = test::random_float_network(rng, {2, 8, 8, 2});
    save_onnx(net, (dir / "net.onnx").string());
    Model m;
    m.network = net;
    save_nnc(m, (dir / "net.nnc").string());
    y0 = evaluate(net, Vector(Vector::Zero(2)));
  }
  // Unsafe: Y_0 <= t over the box [-0.1, 0.1]^2.
  std::string property(double t) const {
    std::ostringstream s;
    s << std::setprecision(17) << "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n"
      << "(declare-const Y_1 Real)\n(assert (<= X_0 0.1))\n(assert (>= X_0 -0.1))\n(assert (<= X_1 0.1))\n"
      << "(assert (>= X_1 -0.1))\n(assert (<= Y_0 " << t << "))\n";
    return s.str();
  }
};

TEST(VerifyCli, FalsifiedWritesReplayableSat) {
  Fixture f;
  write(f.dir / "p.vnnlib", f.property(f.y0[0] + 1.0));  // the centre is unsafe
  const auto r2 = test::run_nncert("verify " + (f.dir / "net.onnx").string() + " --vnnlib " +
                                   (f.dir / "p.vnnlib").string() + " --results " + (f.dir / "out.txt").string());
  ASSERT_EQ(r2.exit_code, 1) << r2.err;
  const std::string res = slurp(f.dir / "out.txt");
  ASSERT_EQ(res.rfind("sat\n(", 0), 0u) << res;
  // Parse the assignment and replay it on the network ourselves.
  std::regex item(R"(\(X_(\d+) ([^)]+)\))");
  Vector x = Vector::Zero(2);
  int found = 0;
  for (std::sregex_iterator it(res.begin(), res.end(), item), end; it != end; ++it) {
    x[std::stoi((*it)[1])] = std::stod((*it)[2]);
    ++found;
  }
  ASSERT_EQ(found, 2);
  EXPECT_TRUE((x.array().abs() <= 0.1).all());
  EXPECT_LE(evaluate(f.net, x)[0], f.y0[0] + 1.0);
}

TEST(VerifyCli, HoldsAppendsCertificateToNnc) {
  Fixture f;
  write(f.dir / "p.vnnlib", f.property(-1e6));  // unreachable
  const auto r = test::run_nncert("--json verify " + (f.dir / "net.nnc").string() + " --vnnlib " +
                                  (f.dir / "p.vnnlib").string() + " --method deeppoly --results " +
                                  (f.dir / "out.txt").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(slurp(f.dir / "out.txt"), "unsat\n");
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["result"]["verdict"], "verified");
  const Model m = load_nnc((f.dir / "net.nnc").string());
  ASSERT_EQ(m.certificates.size(), 1u);
  EXPECT_EQ(m.certificates[0].verdict, "verified");
  EXPECT_EQ(m.certificates[0].weights_digest, digest(m.network));
  EXPECT_EQ(m.certificates[0].property, "vnnlib:p.vnnlib");
}

TEST(VerifyCli, BadInputExitsTwoWithPosition) {
  Fixture f;
  write(f.dir / "bad.vnnlib", "(declare-const X_0 Real)\n(declare-const X_3 Real)\n");
  auto r = test::run_nncert("verify " + (f.dir / "net.onnx").string() + " --vnnlib " + (f.dir / "bad.vnnlib").string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("line 2:16"), std::string::npos) << r.err;
  write(f.dir / "bad2.vnnlib", f.property(0) + "(assert (>= X_0 0.5))\n");
  r = test::run_nncert("verify " + (f.dir / "net.onnx").string() + " --vnnlib " + (f.dir / "bad2.vnnlib").string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("line 10:9"), std::string::npos) << r.err;
  r = test::run_nncert("bounds " + (f.dir / "net.onnx").string() + " --box 1:0");
  EXPECT_EQ(r.exit_code, 2);
  r = test::run_nncert("verify " + (f.dir / "net.onnx").string() + " --vnnlib " + (f.dir / "bad.vnnlib").string() +
                       " --method magic");
  EXPECT_EQ(r.exit_code, 2);
}

TEST(VerifyCli, BoundsContainConcreteOutputs) {
  Fixture f;
  const auto r = test::run_nncert("--json bounds " + (f.dir / "net.onnx").string() + " --box -0.1:0.1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  const auto& out = doc["layers"].back();
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(-0.1, 0.1);
  for (int k = 0; k < 1000; ++k) {
    const Vector y = evaluate(f.net, Vector{{u(rng), u(rng)}});
    for (int j = 0; j < 2; ++j) {
      EXPECT_LE(out["lo"][j].get<double>(), y[j]);
      EXPECT_GE(out["hi"][j].get<double>(), y[j]);
    }
  }
}

TEST(VerifyCli, RobustnessOnCsvSamples) {
  Fixture f;
  // Labels are the network's own predictions, so every sample is correctly classified.
  std::ostringstream csv;
  csv << std::setprecision(17);
  const std::vector<Vector> xs{Vector{{0.25, 0.5}}, Vector{{0.75, 0.125}}, Vector{{0.5, 0.5}}};
  for (const Vector& x : xs) csv << argmax_first(evaluate(f.net, x)) << "," << x[0] << "," << x[1] << "\n";
  write(f.dir / "d.csv", csv.str());
  auto r = test::run_nncert("--json verify " + (f.dir / "net.onnx").string() + " --robust linf:0 --data " +
                            (f.dir / "d.csv").string());
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;  // radius 0: trivially robust
  EXPECT_EQ(nlohmann::json::parse(r.out)["verified"], 3);
  r = test::run_nncert("--json verify " + (f.dir / "net.onnx").string() + " --robust linf:1 --data " +
                       (f.dir / "d.csv").string() + " --domain -10:10 --timeout 20");
  const auto doc = nlohmann::json::parse(r.out);
  // The whole [-1, 1.75]^2 region: the oracle is whether a dense grid changes the class.
  int changes = 0;
  for (std::size_t s = 0; s < xs.size(); ++s) {
    const auto label = argmax_first(evaluate(f.net, xs[s]));
    bool changed = false;
    for (int i = 0; i <= 200 && !changed; ++i)
      for (int j = 0; j <= 200 && !changed; ++j) {
        const Vector x{{xs[s][0] - 1 + 0.01 * i, xs[s][1] - 1 + 0.01 * j}};
        changed = argmax_first(evaluate(f.net, x)) != label;
      }
    changes += changed;
    if (changed) {
      EXPECT_EQ(doc["samples"][s]["result"]["verdict"], "falsified") << s;
    }
  }
  EXPECT_EQ(doc["falsified"].get<int>(), changes);
  EXPECT_EQ(r.exit_code, changes ? 1 : (doc["unknown"].get<int>() ? 3 : 0));
}

// VNN-COMP 2021: prop_3 holds on every network here. Whether a proof fits in a timeout depends on
// the machine (a sanitizer build on a busy core answered unknown on 1_1), so the assertion is "never
// wrong": verified (exit 0) or unknown (exit 3), never falsified, and the JSON verdict says the same.
// Network 5_7 is proven by DeepPoly alone in milliseconds, so the run decides it in practice.
TEST(VerifyCli, AcasXuProperty3NeverRefuted) {
  NNCERT_REQUIRE_SHARED_DATA("acasxu/ACASXU_run2a_5_7_batch_2000.onnx");
  const auto a = test::shared_data() / "acasxu";
  const auto r = test::run_nncert("--json verify " + (a / "ACASXU_run2a_5_7_batch_2000.onnx").string() + " --vnnlib " +
                                  (a / "prop_3.vnnlib").string() + " --timeout 60");
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 3) << r.exit_code << r.out << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["result"]["verdict"], r.exit_code == 0 ? "verified" : "unknown") << r.out;
}

}  // namespace
}  // namespace nncert
