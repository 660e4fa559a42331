// QVIP's Table 2 protocol (Zhang et al., ASE'22, §5.2) on QVIP's own networks
// (../shared/data/qvip, see ../shared/data/README.md): L-inf radius r around correctly classified
// test images, one task per image; per row and per core (encoding x solver, and the Z3 baseline)
// the number of robust / non-robust / unknown verdicts and the total time, beside the paper's
// figures (Gurobi on a 28-core Xeon, 2 h per task). Verdicts of all cores are cross-checked.
//
//   bench_qnn_verify [--rows p46r1,p16r1,...|table2|other-q|all] [--cores compact/cbc,qvip/cbc,smt,portfolio]
//                    [--timeout S] [--threads T] [--max-tasks N] [--split D --leaf-timeout S] [--only IMAGE] [-v]
// (portfolio: its four members on their own threads, whatever --threads says.)
#include "certifier/core/error.hpp"
#include "certifier/quantize/qvip_scheme.hpp"
#include "certifier/verify/qnn_verifier.hpp"
#include "formats/dataset.hpp"
#include "formats/onnx.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using namespace nncert;

namespace {

struct Row {
  std::string id, onnx, data;
  int q, radius;
  std::size_t first, last;
  std::string paper_smt, paper_qvip1, paper_qvip28;  // "SR / time" from Table 2
};

const std::vector<Row> kRows{
    {"p16r1", "mnist_1blk_64_q6.onnx", "mnist", 6, 1, 0, 99, "100% / 14.78", "100% / 0.62", "100% / 1.06"},
    {"p26r1", "mnist_1blk_100_q6.onnx", "mnist", 6, 1, 0, 99, "83.7% / 3074", "100% / 80.50", "100% / 17.65"},
    {"p36r1", "mnist_2blk_64_32_q6.onnx", "mnist", 6, 1, 0, 49, "42% / 20383", "98% / 4936", "100% / 869.9"},
    {"p46r1", "fashion-mnist_1blk_64_q6.onnx", "fashion", 6, 1, 0, 99, "87.4% / 120.6", "100% / 993.4", "100% / 49.35"},
    {"p46r2", "fashion-mnist_1blk_64_q6.onnx", "fashion", 6, 2, 100, 199, "81.1% / 4491", "100% / 838.7", "100% / 37.47"},
    {"p46r3", "fashion-mnist_1blk_64_q6.onnx", "fashion", 6, 3, 200, 249, "60.4% / 4937", "100% / 324.5", "100% / 99.75"},
    {"p46r4", "fashion-mnist_1blk_64_q6.onnx", "fashion", 6, 4, 300, 349, "40.9% / 136.2", "97.7% / 987.6", "97.7% / 138.5"},
    // The other quantization widths at r = 1 (the paper reports these on its own image ranges).
    {"p14r1", "mnist_1blk_64_q4.onnx", "mnist", 4, 1, 0, 99, "-", "-", "-"},
    {"p18r1", "mnist_1blk_64_q8.onnx", "mnist", 8, 1, 0, 99, "-", "-", "-"},
    {"p110r1", "mnist_1blk_64_q10.onnx", "mnist", 10, 1, 0, 99, "-", "-", "-"},
    {"p24r1", "mnist_1blk_100_q4.onnx", "mnist", 4, 1, 0, 99, "-", "-", "-"},
    {"p28r1", "mnist_1blk_100_q8.onnx", "mnist", 8, 1, 0, 99, "-", "-", "-"},
    {"p210r1", "mnist_1blk_100_q10.onnx", "mnist", 10, 1, 0, 99, "-", "-", "-"},
    {"p34r1", "mnist_2blk_64_32_q4.onnx", "mnist", 4, 1, 0, 49, "-", "-", "-"},
    {"p38r1", "mnist_2blk_64_32_q8.onnx", "mnist", 8, 1, 0, 49, "-", "-", "-"},
    {"p310r1", "mnist_2blk_64_32_q10.onnx", "mnist", 10, 1, 0, 49, "-", "-", "-"},
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, sep))
    if (!item.empty()) out.push_back(item);
  return out;
}

struct Core {
  std::string name;
  QVerifyOptions options;
};

Core parse_core(const std::string& s) {
  Core c{s, {}};
  const auto parts = split(s, '/');
  c.options.encoding = parse_qencoding(parts.at(0));
  if (parts.size() > 1) c.options.backend = parse_milp_backend(parts[1]);
  if (c.options.encoding == QEncoding::Qvip) c.options.bounds = QBoundsKind::Interval;  // the paper's IA
  if (c.options.encoding == QEncoding::Smt) {
    c.options.bounds = QBoundsKind::Interval;
    c.options.attack = false;  // the baseline as published: the solver alone
  }
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  std::string rows_arg = "table2", cores_arg = "compact/cbc,compact/glpk,qvip/cbc,smt";
  double timeout = 60, leaf_timeout = 0;
  int split_depth = 0, threads = 1;
  std::size_t max_tasks = 1000;
  bool verbose = false;
  long only = -1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--rows") rows_arg = next();
    else if (a == "--cores") cores_arg = next();
    else if (a == "--timeout") timeout = std::stod(next());
    else if (a == "--max-tasks") max_tasks = std::stoul(next());
    else if (a == "--threads") threads = std::stoi(next());
    else if (a == "--split") split_depth = std::stoi(next());
    else if (a == "--leaf-timeout") leaf_timeout = std::stod(next());
    else if (a == "-v") verbose = true;
    else if (a == "--only") only = std::stol(next());
    else {
      std::cerr << "unknown argument " << a << "\n";
      return 2;
    }
  }
  const std::filesystem::path data = std::filesystem::path(NNCERT_SOURCE_DIR).parent_path() / "shared" / "data";
  if (!std::filesystem::exists(data / "qvip")) {
    std::cout << "../shared/data/qvip is absent: nothing to benchmark\n";
    return 0;
  }
  std::vector<std::string> wanted;
  if (rows_arg == "table2") wanted = {"p16r1", "p26r1", "p36r1", "p46r1", "p46r2", "p46r3", "p46r4"};
  else if (rows_arg == "other-q") wanted = {"p14r1", "p18r1", "p110r1", "p24r1", "p28r1", "p210r1", "p34r1", "p38r1", "p310r1"};
  else if (rows_arg == "all") for (const Row& r : kRows) wanted.push_back(r.id);
  else wanted = split(rows_arg, ',');
  std::vector<Core> cores;
  for (const auto& c : split(cores_arg, ',')) {
    cores.push_back(parse_core(c));
    cores.back().options.timeout_s = timeout;
    cores.back().options.threads = threads;
    if (cores.back().options.encoding != QEncoding::Smt) {
      cores.back().options.split_depth = split_depth;
      cores.back().options.leaf_timeout_s = leaf_timeout;
    }
  }
  std::map<std::string, Dataset> datasets;
  auto dataset = [&](const std::string& which) -> const Dataset& {
    if (!datasets.count(which))
      datasets[which] = which == "mnist" ? load_dataset((data / "mnist" / "mnist_test_100.csv").string())
                                         : load_dataset("fashion-mnist", "test");
    return datasets.at(which);
  };

  std::cout << "timeout per task " << timeout << " s, " << threads
            << " solver thread(s); time = sum over decided tasks (s)\n";
  std::cout << std::left << std::setw(7) << "row" << std::setw(4) << "r" << std::setw(5) << "#S" << std::setw(14) << "core"
            << std::setw(16) << "rob/non/unk" << std::setw(10) << "time" << std::setw(10) << "max" << std::setw(16)
            << "paper SMT" << std::setw(16) << "paper QVIP-1" << "paper QVIP-28\n";
  for (const std::string& id : wanted) {
    const Row* row = nullptr;
    for (const Row& r : kRows)
      if (r.id == id) row = &r;
    if (!row) {
      std::cerr << "unknown row " << id << "\n";
      return 2;
    }
    const Network folded = fold(load_onnx((data / "qvip" / row->onnx).string()));
    const QNetwork net = quantize_with_plan(folded, qvip_plan(folded, row->q));
    const Dataset& ds = dataset(row->data);
    std::vector<std::size_t> tasks;
    for (std::size_t i = row->first; i <= row->last && i < ds.size(); ++i)
      if (predict(net, ds.raw_sample(i)) == static_cast<std::size_t>(ds.labels[i]) &&
          (only < 0 || static_cast<std::size_t>(only) == i))
        tasks.push_back(i);
    if (tasks.size() > max_tasks) tasks.resize(max_tasks);
    std::map<std::size_t, std::map<std::string, QVerdict>> verdicts;
    for (const Core& core : cores) {
      int robust = 0, non = 0, unknown = 0;
      double total = 0, worst = 0;
      std::string unknown_ids;
      for (std::size_t i : tasks) {
        const QProperty p = classification_property(net, ball_region(net, ds.raw_sample(i), QNorm::Linf, row->radius));
        const QVerifyResult r = verify_qnn(net, p, core.options);
        verdicts[i][core.name] = r.verdict;
        if (r.verdict == QVerdict::Verified) ++robust;
        if (r.verdict == QVerdict::Falsified) ++non;
        if (r.verdict == QVerdict::Unknown) {
          ++unknown;
          unknown_ids += " " + std::to_string(i);
        }
        if (r.verdict != QVerdict::Unknown) {
          total += r.seconds;
          worst = std::max(worst, r.seconds);
        }
        if (verbose)
          std::cerr << id << " " << core.name << " image " << i << ": " << to_string(r.verdict) << " by "
                    << r.decided_by << " in " << r.seconds << " s (unstable " << r.unstable_neurons << ", open "
                    << r.disjuncts_open << ", calls " << r.solver_calls << ") " << r.detail << "\n";
      }
      std::ostringstream counts, t, w;
      counts << robust << "/" << non << "/" << unknown;
      t << std::fixed << std::setprecision(2) << total;
      w << std::fixed << std::setprecision(2) << worst;
      std::cout << std::left << std::setw(7) << id << std::setw(4) << row->radius << std::setw(5) << tasks.size()
                << std::setw(14) << core.name << std::setw(16) << counts.str() << std::setw(10) << t.str() << std::setw(10)
                << w.str() << std::setw(16) << row->paper_smt << std::setw(16) << row->paper_qvip1 << row->paper_qvip28
                << (unknown_ids.empty() ? "" : "   unknown:" + unknown_ids) << "\n"
                << std::flush;
    }
    int disagreements = 0;
    for (const auto& [i, by_core] : verdicts) {
      bool robust = false, non = false;
      for (const auto& [name, v] : by_core) {
        robust = robust || v == QVerdict::Verified;
        non = non || v == QVerdict::Falsified;
      }
      if (robust && non) {
        ++disagreements;
        std::cout << "DISAGREEMENT on " << id << " image " << i << "\n";
      }
    }
    std::cout << id << ": verdicts of all cores agree on every task decided by two or more: "
              << (disagreements == 0 ? "yes" : "NO") << "\n";
  }
  return 0;
}
