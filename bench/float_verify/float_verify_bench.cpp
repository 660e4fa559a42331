// Float verification benchmarks (issues 7, 15): (1) the 186 VNN-COMP 2021 ACAS Xu instances with the
// verdict table and disagreements against ../shared/data/acasxu/expected.csv, nnenum's time on this
// kind of machine (nnenum_here.csv) beside each; (3) DeepPoly time per image on a 6x100 fully
// connected MNIST-size network; (2) `--only never`: the NeVer 2.0 pruning table (never_table.cpp).
// Usage: bench_float_verify [--timeout S] [--first N] [--from I] [--pick A_B:P,...] [--only acas|deeppoly|never]
//                           [--threads T]
//   acas: instances I..N-1 of expected.csv (default all 186); --pick: only these (e.g. 2_9:1 is
//         network 2_9 with prop_1)
//   never only: [--problems N] [--first-image I] [--eps E1,E2] [--epochs E] [--finetune F] [--sets S]
//               [--methods interval,deeppoly,milp-cbc,milp-glpk,bab,auto] [--nets NET1,NET2] [--cache DIR]
//   (--timeout defaults to 116 s for ACAS Xu and to the paper's 600 s for the NeVer table)
#include "bench/float_verify/never_table.hpp"
#include "certifier/verify/deeppoly.hpp"
#include "certifier/verify/deeppoly_batch.hpp"
#include "certifier/verify/verifier.hpp"
#include "formats/onnx.hpp"
#include "formats/vnnlib.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>

namespace fs = std::filesystem;
using namespace nncert;

namespace {

struct Peer {
  std::string got;
  double seconds = 0;
};

// nnenum's per-instance result on this kind of machine, keyed by (network file, property file).
std::map<std::pair<std::string, std::string>, Peer> nnenum_here(const fs::path& csv) {
  std::map<std::pair<std::string, std::string>, Peer> m;
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);  // net,prop,expected,got,seconds,solve_seconds
  while (std::getline(in, line)) {
    std::stringstream s(line);
    std::string net, prop, expected, got, seconds;
    std::getline(s, net, ',');
    std::getline(s, prop, ',');
    std::getline(s, expected, ',');
    std::getline(s, got, ',');
    std::getline(s, seconds, ',');
    m[{net + ".onnx", prop + ".vnnlib"}] = Peer{got, std::stod(seconds)};
  }
  return m;
}

int acas(double timeout, std::size_t from, std::size_t first_n, const std::vector<std::string>& pick, int threads) {
  const fs::path dir = fs::path(NNCERT_SOURCE_DIR).parent_path() / "shared" / "data" / "acasxu";
  if (!fs::exists(dir / "expected.csv")) {
    std::cout << "ACAS Xu: " << dir.string() << " is absent; skipping\n";
    return 0;
  }
  std::ifstream in(dir / "expected.csv");
  std::string line;
  std::getline(in, line);  // header
  struct Row {
    std::string net, prop, expected;
  };
  std::vector<Row> rows;
  while (std::getline(in, line)) {
    std::stringstream s(line);
    Row r;
    std::string t;
    std::getline(s, r.net, ',');
    std::getline(s, r.prop, ',');
    std::getline(s, t, ',');
    std::getline(s, r.expected, ',');
    rows.push_back(r);
  }
  if (first_n < rows.size()) rows.resize(first_n);
  rows.erase(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(std::min(from, rows.size())));
  if (!pick.empty()) {
    std::vector<Row> picked;
    for (const std::string& p : pick) {
      const auto colon = p.find(':');
      const std::string net = "ACASXU_run2a_" + p.substr(0, colon) + "_batch_2000.onnx",
                        prop = "prop_" + (colon == std::string::npos ? "" : p.substr(colon + 1)) + ".vnnlib";
      for (const Row& r : rows)
        if (r.net == net && r.prop == prop) picked.push_back(r);
    }
    rows = std::move(picked);
  }
  const auto peer = nnenum_here(dir / "nnenum_here.csv");
  double peer_total = 0;
  std::size_t peer_solved = 0;
  std::map<std::string, Network> nets;
  std::size_t verified = 0, falsified = 0, unknown = 0, wrong = 0;
  double total = 0, solved_time = 0, max_time = 0;
  std::printf("%-34s %-14s %-8s %-10s %9s %9s %9s  %-10s %9s  %s\n", "network", "property", "expected", "result",
              "time_s", "nodes", "nodes/s", "nnenum", "nnenum_s", "method");
  for (const Row& r : rows) {
    if (!nets.count(r.net)) nets[r.net] = load_onnx((dir / r.net).string());
    const Network& net = nets[r.net];
    const Property p = property_from_vnnlib(load_vnnlib((dir / r.prop).string(), 5, 5), r.prop);
    VerifyOptions o;
    o.timeout_s = timeout;
    o.threads = threads;
    const VerifyResult v = verify(net, p, o);
    const std::string got = v.verdict == Verdict::Verified ? "unsat" : v.verdict == Verdict::Falsified ? "sat" : "unknown";
    const bool disagree = got != "unknown" && got != r.expected;
    verified += v.verdict == Verdict::Verified;
    falsified += v.verdict == Verdict::Falsified;
    unknown += v.verdict == Verdict::Unknown;
    wrong += disagree;
    total += v.seconds;
    max_time = std::max(max_time, v.seconds);
    if (v.verdict != Verdict::Unknown && !disagree) solved_time += v.seconds;
    const auto pr = peer.find({r.net, r.prop});
    const Peer nn = pr == peer.end() ? Peer{"-", 0.0} : pr->second;
    peer_total += nn.seconds;
    peer_solved += nn.got == r.expected;
    std::printf("%-34s %-14s %-8s %-10s %9.3f %9zu %9.0f  %-10s %9.2f  %s%s\n", r.net.c_str(), r.prop.c_str(),
                r.expected.c_str(), got.c_str(), v.seconds, v.nodes, static_cast<double>(v.nodes) / std::max(v.seconds, 1e-9),
                nn.got.c_str(), nn.seconds, v.method.c_str(), disagree ? "  <-- DISAGREES" : "");
    std::fflush(stdout);
  }
  std::printf("\nACAS Xu: %zu instances, timeout %.0f s: verified (unsat) %zu, falsified (sat) %zu, unknown %zu, "
              "disagreements %zu\n",
              rows.size(), timeout, verified, falsified, unknown, wrong);
  std::printf("time: total %.1f s, on solved instances %.1f s, max per instance %.2f s, mean %.3f s\n", total,
              solved_time, max_time, total / std::max<std::size_t>(1, rows.size()));
  std::printf("nnenum (nnenum_here.csv, 60 s timeout, one process, Python start-up included) on the same instances: "
              "%zu solved, total %.1f s; ratio nncert/nnenum total time %.3f\n",
              peer_solved, peer_total, total / std::max(peer_total, 1e-9));
  return wrong == 0 ? 0 : 1;
}

void deeppoly_speed(bool eigen_threads) {
  std::optional<EigenSingleThread> single;
  if (!eigen_threads) single.emplace();
  std::mt19937_64 rng(1);
  std::normal_distribution<double> g(0.0, 1.0);
  ReluChain chain;
  chain.input_size = 784;
  std::size_t in = 784;
  for (int l = 0; l < 7; ++l) {
    const std::size_t out = l == 6 ? 10 : 100;
    chain.layers.push_back(Dense{Matrix::NullaryExpr(static_cast<Eigen::Index>(out), static_cast<Eigen::Index>(in),
                                                     [&] { return g(rng) / std::sqrt(static_cast<double>(in)); }),
                                 Vector::NullaryExpr(static_cast<Eigen::Index>(out), [&] { return 0.1 * g(rng); })});
    in = out;
  }
  std::printf("\nDeepPoly on a 784-6x100-10 network (random weights), spec = 9 robustness rows, Eigen GEMM threads: "
              "%d; one image per call (deeppoly) and 40 images per call (deeppoly_batch), max |difference| of the "
              "spec lower bounds\n", Eigen::nbThreads());
  std::printf("%8s %12s %16s %14s %12s\n", "eps", "ms/image", "batched ms/image", "unstable/image", "max |diff|");
  DeepPolySpec spec{Matrix::Zero(9, 10), Vector::Zero(9)};
  for (int j = 0; j < 9; ++j) {
    spec.C(j, 0) = 1;
    spec.C(j, j + 1) = -1;
  }
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (double eps : {0.005, 0.01, 0.02, 0.05}) {
    const int n = 40;
    std::vector<Box> boxes;
    for (int k = 0; k < n; ++k) {
      const Vector x = Vector::NullaryExpr(784, [&] { return u(rng); });
      boxes.push_back(Box{(x.array() - eps).cwiseMax(0.0).matrix(), (x.array() + eps).cwiseMin(1.0).matrix()});
    }
    double unstable = 0;
    std::vector<DeepPolyResult> one;
    const auto t0 = std::chrono::steady_clock::now();
    for (const Box& box : boxes) one.push_back(deeppoly(chain, box, &spec));
    const auto t1 = std::chrono::steady_clock::now();
    const std::vector<DeepPolyResult> batch = deeppoly_batch(chain, boxes, &spec);
    const auto t2 = std::chrono::steady_clock::now();
    double diff = 0;
    for (std::size_t k = 0; k < boxes.size(); ++k) {
      diff = std::max(diff, (one[k].spec_lo - batch[k].spec_lo).cwiseAbs().maxCoeff());
      for (std::size_t l = 0; l + 1 < one[k].pre.size(); ++l)
        unstable += static_cast<double>(((one[k].pre[l].lo.array() < 0) && (one[k].pre[l].hi.array() > 0)).count());
    }
    const double ms = std::chrono::duration<double, std::milli>(t1 - t0).count() / n;
    const double batch_ms = std::chrono::duration<double, std::milli>(t2 - t1).count() / n;
    std::printf("%8.3f %12.3f %16.3f %14.1f %12.2e\n", eps, ms, batch_ms, unstable / n, diff);
  }
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string t; std::getline(in, t, ',');)
    if (!t.empty()) out.push_back(t);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<double> timeout;
  std::size_t first_n = static_cast<std::size_t>(-1), from = 0;
  std::string only;
  int threads = 0;
  std::vector<std::string> pick;
  nncert_bench::NeverOptions never;
  // An unknown option or a missing value stops here: a typo must not start the 1-hour default run.
  const char* usage = "usage: bench_float_verify [--timeout S] [--first N] [--from I] [--pick A_B:P,...] "
                      "[--only acas|deeppoly|never] [--threads T] [--problems N] [--first-image I] [--eps E,...] [--epochs E] [--finetune F] "
                      "[--sets S] [--methods M,...] [--nets NET1,...] [--cache DIR]\n";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::printf("%s", usage);
      return 0;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "bench_float_verify: %s needs a value\n%s", a.c_str(), usage);
      return 2;
    }
    const std::string v = argv[++i];
    try {
      if (a == "--timeout") timeout = std::stod(v);
      else if (a == "--first") first_n = std::stoul(v);
      else if (a == "--from") from = std::stoul(v);
      else if (a == "--pick") pick = split_list(v);
      else if (a == "--only") only = v;
      else if (a == "--threads") threads = std::stoi(v);
      else if (a == "--problems") never.problems = std::stoul(v);
      else if (a == "--first-image") never.first_image = std::stoul(v);
      else if (a == "--epochs") never.epochs = std::stoul(v);
      else if (a == "--finetune") never.finetune = std::stoul(v);
      else if (a == "--sets") never.sets = std::stoul(v);
      else if (a == "--cache") never.cache_dir = v;
      else if (a == "--methods") never.methods = split_list(v);
      else if (a == "--nets") never.nets = split_list(v);
      else if (a == "--eps") {
        never.eps.clear();
        for (const auto& e : split_list(v)) never.eps.push_back(std::stod(e));
      } else {
        std::fprintf(stderr, "bench_float_verify: unknown option %s\n%s", a.c_str(), usage);
        return 2;
      }
    } catch (const std::logic_error&) {  // std::stod/stoul: not a number, or out of range
      std::fprintf(stderr, "bench_float_verify: %s: '%s' is not a valid number\n", a.c_str(), v.c_str());
      return 2;
    }
  }
  if (!only.empty() && only != "acas" && only != "deeppoly" && only != "never") {
    std::fprintf(stderr, "bench_float_verify: --only expects acas, deeppoly or never, not '%s'\n", only.c_str());
    return 2;
  }
  int rc = 0;
  if (only.empty() || only == "deeppoly") {
    deeppoly_speed(false);
    deeppoly_speed(true);
  }
  if (only.empty() || only == "acas") rc = acas(timeout.value_or(116), from, first_n, pick, threads);
  if (only == "never") {  // not part of the default run: it trains 20 networks first
    never.timeout_s = timeout.value_or(600);
    never.threads = threads;
    try {
      rc = nncert_bench::never_table(never);
    } catch (const std::exception& e) {
      std::cerr << "bench_float_verify: " << e.what() << "\n";
      return 2;
    }
  }
  return rc;
}
