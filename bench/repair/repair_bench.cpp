// bench_repair: the CEGIS paper's table (Zavatteri et al., ECAI'24; ../shared/data/manners/) side
// by side: P1, P2 x 6x9, 7x8, 8x7, 9x6, 10x10 x lr 0.01, 0.001, 0.0001 (C = 50, S = 20, seed 100,
// 100 epochs, patience 20, batch 100, MSE, retrained from scratch), with CEGIS iterations, total /
// training / verification / repair seconds, test MSE first and last, added pairs, counterexamples,
// certified, and the paper's row (anchor_table.md) beside each. "LxN" is L hidden layers of N.
// usage: bench_repair [--data DIR] [--only P1|P2] [--arch 6x9,...] [--lr 0.01,...] [--timeout S]
//                     [--max-iterations N] [--retrain scratch|finetune] [--threads T] [--paper yes|no]
// --paper yes runs the paper's loop (no target repair or region samples, fixed 1e-4 margin, early
// stopping on the original validation set); the default is nncert's loop as `nncert repair` runs it.
#include "certifier/repair/cegis.hpp"
#include "certifier/train/architecture.hpp"
#include "formats/atomic_file.hpp"
#include "formats/column_spec.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace nncert;

struct Options {
  std::filesystem::path data = std::filesystem::path(NNCERT_SOURCE_DIR).parent_path() / "shared" / "data" / "manners";
  std::vector<std::string> properties{"P1", "P2"}, archs{"6x9", "7x8", "8x7", "9x6", "10x10"}, lrs{"0.01", "0.001", "0.0001"};
  double timeout = 1800;
  std::size_t max_iterations = 100;
  std::string retrain = "scratch";
  int threads = 1;
  bool paper = false;  // the paper's loop: no target repair, no region samples, fixed margin, original validation
  double property_weight = 1, property_margin = 0.01;  // nncert's loop: the property penalty in training
  std::size_t region_samples = 500;
  bool verbose = false;
};

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(item);
  return out;
}

[[noreturn]] void usage(int code) {
  std::cerr << "usage: bench_repair [--data DIR] [--only P1|P2] [--arch 6x9,7x8,...] [--lr 0.01,...] [--timeout S]\n"
               "                    [--max-iterations N] [--retrain scratch|finetune] [--threads T] [--paper yes|no]\n"
               "                    [--property-weight W] [--property-margin M] [--region-samples N] [--verbose yes|no]\n";
  std::exit(code);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") usage(0);
    if (i + 1 >= argc) usage(2);
    const std::string v = argv[++i];
    try {
      if (a == "--data") o.data = v;
      else if (a == "--only") o.properties = split_list(v);
      else if (a == "--arch") o.archs = split_list(v);
      else if (a == "--lr") o.lrs = split_list(v);
      else if (a == "--timeout") o.timeout = std::stod(v);
      else if (a == "--max-iterations") o.max_iterations = std::stoul(v);
      else if (a == "--retrain") o.retrain = v;
      else if (a == "--threads") o.threads = std::stoi(v);
      else if (a == "--paper") o.paper = v == "1" || v == "yes";
      else if (a == "--property-weight") o.property_weight = std::stod(v);
      else if (a == "--property-margin") o.property_margin = std::stod(v);
      else if (a == "--region-samples") o.region_samples = std::stoul(v);
      else if (a == "--verbose") o.verbose = v == "1" || v == "yes";
      else usage(2);
    } catch (const std::exception&) {
      usage(2);
    }
  }
  return o;
}

// "6x9" -> 28:9:9:9:9:9:9:8 (L hidden layers of N, the paper's text).
std::vector<std::size_t> widths_of(const std::string& lxn) {
  const auto x = lxn.find('x');
  const std::size_t L = std::stoul(lxn.substr(0, x)), N = std::stoul(lxn.substr(x + 1));
  std::vector<std::size_t> w{28};
  for (std::size_t i = 0; i < L; ++i) w.push_back(N);
  w.push_back(8);
  return w;
}

// The paper's rows, keyed "P1 6x9 0.01", as printed cells (read in place, never copied).
std::map<std::string, std::vector<std::string>> anchor_rows(const std::filesystem::path& table) {
  std::map<std::string, std::vector<std::string>> rows;
  std::ifstream f(table);
  for (std::string line; std::getline(f, line);) {
    if (line.rfind("| P", 0) != 0) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line.substr(1));
    for (std::string c; std::getline(ss, c, '|');) {
      const auto b = c.find_first_not_of(' '), e = c.find_last_not_of(' ');
      cells.push_back(b == std::string::npos ? "" : c.substr(b, e - b + 1));
    }
    if (cells.size() >= 12) rows[cells[0] + " " + cells[1] + " " + cells[2]] = cells;
  }
  return rows;
}

struct Row {
  std::size_t iterations = 0, added = 0, counterexamples = 0;
  double total = 0, train = 0, verify = 0, repair = 0, mse_first = 0, mse_last = 0, mse_plain = 0;
  bool certified = false;
};

Row run(const Options& o, const DataSplit& split, const LinearProperty& p, const std::string& arch, double lr) {
  CegisConfig c;
  c.widths = widths_of(arch);
  c.train.loss = LossKind::MeanSquaredError;
  c.train.epochs = 100;
  c.train.batch = 100;
  c.train.patience = 20;
  c.train.adam.lr = lr;
  c.train.seed = 100;
  c.search.max_counterexamples = 50;
  c.search.threads = o.threads;
  c.sampling.samples = 20;
  c.retrain = parse_retrain(o.retrain);
  c.region_samples = o.paper ? 0 : o.region_samples;
  if (!o.paper) {
    c.property_loss = PropertyLossOptions{};
    c.property_loss.weight = o.property_weight;
    c.property_loss.margin = o.property_margin;
  }
  c.repair_data = c.validate_on_repairs = !o.paper;
  if (o.paper) c.max_margin = c.repair.margin;
  c.max_iterations = o.max_iterations;
  c.timeout_s = o.timeout;
  c.seed = 100;
  const CegisData data{split.train, split.validation, split.test};
  CegisHooks hooks;
  if (o.verbose)
    hooks.on_iteration = [](const CegisIteration& it) {
      std::fprintf(stderr, "  round %zu: %s, %zu cex, val %.4f, test %.4f, region unsafe %.1f%%, train %.1f s, verify %.1f s (%s)\n",
                   it.iteration, to_string(it.verdict).c_str(), it.counterexamples, it.validation_loss,
                   it.test_loss.value_or(0), 100 * it.region_violating.value_or(0), it.train_seconds, it.verify_seconds,
                   it.detail.c_str());
    };
  Row row;
  // The same architecture and training without the property: what "still accurate" is judged by.
  const Network plain = train(make_mlp(c.widths, false, 100), split.train, &split.validation, c.train).network;
  row.mse_plain = evaluate_dataset(plain, split.test, c.train).loss;
  const CegisResult r = cegis(make_mlp(c.widths, false, 100), p, data, c, hooks);
  row.iterations = r.history.size();
  row.total = r.seconds;
  for (const CegisIteration& it : r.history) {
    row.train += it.train_seconds;
    row.verify += it.verify_seconds;
    row.repair += it.repair_seconds;
    row.added += it.added;
    row.counterexamples += it.counterexamples;
  }
  row.mse_first = r.history.front().test_loss.value_or(0);
  row.mse_last = r.history.back().test_loss.value_or(0);
  row.certified = r.certified;
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const std::filesystem::path csv = o.data / "not_normallized.csv";
  if (!std::filesystem::exists(csv)) {
    std::cout << "bench_repair: " << csv.string() << " is absent (../shared/data/manners); skipping\n";
    return 0;
  }
  const std::filesystem::path examples = std::filesystem::path(NNCERT_SOURCE_DIR) / "examples" / "manners";
  const DataSplit split = load_csv_split(csv.string(), load_column_spec((examples / "columns.toml").string()), 100);
  const auto anchor = anchor_rows(o.data / "anchor_table.md");
  std::printf("MANNERS-DB CEGIS repair, C = 50, S = 20, seed 100, 100 epochs, patience 20, retrain %s, %d thread(s), %s\n",
              o.retrain.c_str(), o.threads, o.paper ? "the paper's loop" : "nncert's loop");
  std::printf("nncert columns, then the paper's (Zavatteri et al. ECAI'24, 20 Xeon cores + T4, PyTorch + Gurobi)\n");
  std::printf("%-3s %-6s %-7s | %5s %8s %8s %7s %6s %8s %7s %7s %7s %6s %4s | %5s %8s %7s %7s %7s\n", "P", "LxN", "lr",
              "iter", "total s", "train s", "verif s", "rep s", "MSE free", "MSE 1st", "MSE end", "added", "cex", "cert", "iter", "total s",
              "MSE 1st", "MSE end", "added");
  double total = 0;
  std::size_t certified = 0, runs = 0, good = 0;
  for (const std::string& prop : o.properties) {
    const std::string file = (examples / (prop == "P1" ? "p1.vnnlib" : "p2.vnnlib")).string();
    const LinearProperty p = linear_property_from_vnnlib(load_vnnlib(file, 28, 8), file);
    for (const std::string& arch : o.archs)
      for (const std::string& lr : o.lrs) {
        const Row r = run(o, split, p, arch, std::stod(lr));
        total += r.total;
        ++runs;
        certified += r.certified;
        good += r.certified && r.mse_last <= 0.045 && r.mse_last <= 1.1 * r.mse_plain;
        const auto a = anchor.find(prop + " " + arch + " " + lr);
        auto cell = [&](std::size_t i) { return a == anchor.end() ? std::string("-") : a->second[i]; };
        std::printf("%-3s %-6s %-7s | %5zu %8.1f %8.1f %7.2f %6.2f %8.4f %7.4f %7.4f %7zu %6zu %4s | %5s %8s %7s %7s %7s\n",
                    prop.c_str(), arch.c_str(), lr.c_str(), r.iterations, r.total, r.train, r.verify, r.repair,
                    r.mse_plain, r.mse_first, r.mse_last, r.added, r.counterexamples, r.certified ? "yes" : "no", cell(3).c_str(),
                    cell(4).c_str(), cell(8).c_str(), cell(9).c_str(), cell(10).c_str());
        std::fflush(stdout);
      }
  }
  std::printf("\n%zu of %zu runs certified; %zu certified with test MSE <= 0.045 and <= 1.1 x the unconstrained "
              "network's (MSE free: same architecture and training, no property); total %.0f s (paper: all 30 certified, 27 of them no better than the train "
              "mean 0.0661, ~34 h in all)\n",
              certified, runs, good, total);
  return 0;
}
