// The NeVer 2.0 pruning-vs-verification experiment (Guidotti, Pulina, Tacchella, Table 1; issue 7
// benchmark item 2), redone with nncert's own trainer, pruners and float verifiers.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace nncert_bench {

struct NeverOptions {
  double timeout_s = 600;  // budget per problem and method (the paper: 600 CPU seconds)
  std::size_t problems = 20;
  std::size_t first_image = 0;
  std::vector<double> eps{0.01};
  std::size_t epochs = 5, finetune = 2;
  std::size_t sets = 3;  // pruning parameter sets SET1..SETn of increasing magnitude
  std::vector<std::string> methods{"interval", "deeppoly", "milp-cbc", "milp-glpk", "bab", "auto"};
  std::vector<std::string> nets{"NET1", "NET2"};
  std::string cache_dir;  // trained networks as .nnc; empty = <source>/out/bench-never
  int threads = 0;
};

// Trains (or loads from the cache) every network, runs every problem with every method, checks
// each counterexample on the concrete network, and prints the table. Returns 1 on a wrong
// counterexample or a verified/falsified contradiction between methods, else 0.
int never_table(const NeverOptions& options);

}  // namespace nncert_bench
