// bench_train: the NeVer 2.0 seed architectures NET1 = 784:64:32:16:10 and NET2 =
// 784:128:64:32:10 with BatchNorm on Fashion-MNIST: baseline, sparse-trained (L1 on gammas),
// weight-pruned at 3 sparsities and slimmed at 3 ratios (each fine-tuned), with neurons, nonzero
// weights, test accuracy and seconds per epoch; then PyTorch (Debian's python3-torch, via
// /usr/bin/python3) on the same architecture, batch size and thread count for the time ratio.
// usage: bench_train [--epochs E] [--finetune F] [--threads T] [--batch B] [--torch-epochs K] [--net 1|2]
#include "certifier/prune/slimming.hpp"
#include "certifier/prune/weight_pruning.hpp"
#include "certifier/train/architecture.hpp"
#include "certifier/train/trainer.hpp"
#include "formats/dataset.hpp"

#include <nlohmann/json.hpp>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>

namespace {

using namespace nncert;

constexpr const char* kFashionMnist = "/usr/share/datasets/fashion-mnist";  // Debian's dataset-fashion-mnist

struct Row {
  std::string net, variant;
  std::size_t neurons, nonzero;
  double accuracy, seconds_per_epoch;
};

double seconds_per_epoch(const TrainResult& r) {
  double s = 0;
  for (const auto& e : r.history) s += e.seconds;
  return r.history.empty() ? 0 : s / static_cast<double>(r.history.size());
}

// Mean seconds per epoch and final test accuracy of the PyTorch run, or {-1, -1} when unavailable.
std::pair<double, double> torch_run(const std::string& arch, int batch, int threads, int epochs) {
  if (std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0) return {-1, -1};
  const std::string cmd = "/usr/bin/python3 " + std::string(NNCERT_SOURCE_DIR) + "/bench/train/torch_train.py " +
                          kFashionMnist + " " + arch + " " + std::to_string(batch) + " " + std::to_string(threads) +
                          " " + std::to_string(epochs) + " 0";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {-1, -1};
  char line[4096];
  double total = 0, acc = -1;
  int n = 0;
  while (std::fgets(line, sizeof line, p)) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;
    total += j["seconds"].get<double>();
    acc = j["test_accuracy"].get<double>();
    ++n;
  }
  pclose(p);
  return n ? std::pair{total / n, acc} : std::pair{-1.0, -1.0};
}

}  // namespace

int main(int argc, char** argv) {
  int epochs = 5, finetune = 2, threads = 2, batch = 64, torch_epochs = 1, only = 0;
  // Every option takes a non-negative integer; anything else stops before the long run starts.
  const char* help = "usage: bench_train [--epochs E] [--finetune F] [--threads T] [--batch B] [--torch-epochs E] [--net 0|1|2]\n";
  for (int i = 1; i < argc; i += 2) {
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      std::printf("%s", help);
      return 0;
    }
    char* end = nullptr;
    const long v = i + 1 < argc ? std::strtol(argv[i + 1], &end, 10) : -1;
    if (i + 1 >= argc || *end != '\0' || v < 0 || v > 1000000) {
      std::fprintf(stderr, "bench_train: %s needs a non-negative integer\n%s", argv[i], help);
      return 2;
    }
    const int n = static_cast<int>(v);
    if (!std::strcmp(argv[i], "--epochs")) epochs = n;
    else if (!std::strcmp(argv[i], "--finetune")) finetune = n;
    else if (!std::strcmp(argv[i], "--threads")) threads = n;
    else if (!std::strcmp(argv[i], "--batch")) batch = n;
    else if (!std::strcmp(argv[i], "--torch-epochs")) torch_epochs = n;
    else if (!std::strcmp(argv[i], "--net")) only = n;
    else {
      std::fprintf(stderr, "bench_train: unknown option %s\n%s", argv[i], help);
      return 2;
    }
  }
  Eigen::setNbThreads(threads);
  Dataset train_set, test_set;
  try {
    train_set = load_dataset("fashion-mnist", "train");
    test_set = load_dataset("fashion-mnist", "test");
    train_set.raw.reset();  // the integer pixels are only for quantized networks
    test_set.raw.reset();
  } catch (const std::exception& e) {
    std::cout << "bench_train: Fashion-MNIST unavailable (" << e.what() << "); install dataset-fashion-mnist\n";
    return 0;
  }
  std::cout << "Fashion-MNIST " << train_set.size() << " train / " << test_set.size() << " test; batch " << batch
            << ", " << threads << " thread(s), " << epochs << " epochs, fine-tune " << finetune
            << " epochs; Adam lr 1e-3\n" << std::flush;

  std::vector<Row> rows;
  std::vector<std::string> torch_lines;
  const std::vector<std::pair<std::string, std::string>> nets{{"NET1", "784:64:32:16:10"}, {"NET2", "784:128:64:32:10"}};
  for (std::size_t k = 0; k < nets.size(); ++k) {
    if (only && static_cast<int>(k + 1) != only) continue;
    const auto& [name, arch] = nets[k];
    const Network init = make_mlp(parse_architecture(arch), true, 1);
    TrainConfig cfg;
    cfg.epochs = static_cast<std::size_t>(epochs);
    cfg.batch = static_cast<std::size_t>(batch);
    cfg.seed = 1;
    auto add = [&](const std::string& variant, const Network& net, double spe) {
      rows.push_back({name, variant, hidden_neurons(net), nonzero_weights(net),
                      evaluate_dataset(net, test_set, cfg).accuracy, spe});
      const Row& r = rows.back();
      std::cerr << name << " " << variant << ": acc " << r.accuracy << ", " << r.seconds_per_epoch << " s/epoch\n";
    };
    const TrainResult base = train(init, train_set, cfg);
    add("baseline", base.network, seconds_per_epoch(base));
    TrainConfig sparse_cfg = cfg;
    sparse_cfg.slim_l1 = 1e-4;
    const TrainResult sparse = train(init, train_set, sparse_cfg);
    add("sparse-trained (L1 gamma 1e-4)", sparse.network, seconds_per_epoch(sparse));

    TrainConfig ft = cfg;
    ft.epochs = static_cast<std::size_t>(finetune);
    for (double s : {0.5, 0.7, 0.9}) {
      Network pruned = base.network;
      WeightPruningOptions wo;
      wo.sparsity = s;
      const auto masks = prune_weights(pruned, wo);
      const TrainResult tuned = train(pruned, train_set, ft, masks);
      std::ostringstream v;
      v << "weight-pruned " << s << " + ft";
      add(v.str(), tuned.network, seconds_per_epoch(tuned));
    }
    for (double ratio : {0.3, 0.5, 0.7}) {
      SlimmingOptions so;
      so.ratio = ratio;
      const Network slimmed = slim(sparse.network, so);
      const TrainResult tuned = train(slimmed, train_set, ft);
      std::ostringstream v;
      v << "slimmed " << ratio << " + ft";
      add(v.str(), tuned.network, seconds_per_epoch(tuned));
    }
    const auto [torch_spe, torch_acc] = torch_run(arch, batch, threads, torch_epochs);
    std::ostringstream t;
    if (torch_spe < 0)
      t << name << ": PyTorch comparison skipped (/usr/bin/python3 cannot import torch)";
    else
      t << std::fixed << std::setprecision(2) << name << ": PyTorch " << torch_spe << " s/epoch (" << torch_epochs
        << " epoch(s), test acc " << std::setprecision(4) << torch_acc << ") vs nncert " << std::setprecision(2)
        << rows[rows.size() - 8].seconds_per_epoch << " s/epoch: nncert is " << torch_spe / rows[rows.size() - 8].seconds_per_epoch
        << "x faster";
    torch_lines.push_back(t.str());
    std::cerr << torch_lines.back() << "\n";
  }

  std::cout << "\n| net  | variant                        | hidden neurons | nonzero weights | test acc | s/epoch |\n"
            << "|------|--------------------------------|---------------:|----------------:|---------:|--------:|\n";
  for (const Row& r : rows)
    std::cout << "| " << r.net << " | " << std::left << std::setw(30) << r.variant << std::right << " | " << std::setw(14)
              << r.neurons << " | " << std::setw(15) << r.nonzero << " | " << std::fixed << std::setprecision(4)
              << std::setw(8) << r.accuracy << " | " << std::setprecision(2) << std::setw(7) << r.seconds_per_epoch
              << " |\n";
  std::cout << "\n";
  for (const auto& l : torch_lines) std::cout << l << "\n";
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::cout << "peak memory (whole bench: train + test sets as doubles, every run): " << usage.ru_maxrss / 1024 << " MiB\n";
  return 0;
}
