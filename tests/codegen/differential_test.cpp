// Differential fuzzing (DESIGN §6): many random QNNs (tests/codegen/random_qnn.hpp) -> generated
// C++ compiled on the host -> every output integer compared with the reference evaluator.
// Nets are batched into one program per build so the suite needs two compiler runs, not hundreds:
// one optimised for vectorisation (-O3) and one with UBSan trapping any signed overflow or bad
// shift, which checks the accumulator proof itself.
#include "certifier/core/error.hpp"
#include "codegen/codegen.hpp"
#include "tests/codegen/host_compile.hpp"
#include "tests/codegen/random_qnn.hpp"

namespace nncert {
namespace {

using test::TempDir;

struct Batch {
  std::vector<QNetwork> nets;
  std::vector<std::vector<std::vector<std::int64_t>>> inputs;
  std::size_t vectors = 0;
  int int64_nets = 0, sparse_layers = 0, nonpositive_shifts = 0;
};

Batch make_batch(std::uint64_t seed, std::size_t nets, std::size_t vectors_per_net) {
  std::mt19937_64 rng(seed);
  Batch b;
  while (b.nets.size() < nets) {
    QNetwork q = test::random_qnn(rng);
    EXPECT_EQ(check_qnetwork(q), "");
    b.inputs.push_back(test::random_inputs(rng, q, vectors_per_net));
    b.vectors += b.inputs.back().size();
    b.nets.push_back(std::move(q));
  }
  return b;
}

// Writes every net's generated code plus one driver that runs net i on vectors_i.txt and prints
// "net i" followed by the output rows.
void run_batch(const Batch& b, const std::string& flags, codegen::Kernel kernel = codegen::Kernel::Blocked) {
  TempDir tmp;
  std::string driver = "#include <stdio.h>\n#include <stdint.h>\n";
  std::string body;
  Batch stats;
  for (std::size_t i = 0; i < b.nets.size(); ++i) {
    Model m;
    m.qnetwork = b.nets[i];
    codegen::Options o;
    o.name = "net" + std::to_string(i);
    o.kernel = kernel;
    const auto g = codegen::generate(m, o);
    for (const auto& f : g.files) test::write_text(tmp / f.name, f.text);
    stats.int64_nets += g.accumulator == codegen::CType::Int64;
    for (const auto& l : g.layers) stats.sparse_layers += l.sparse, stats.nonpositive_shifts += l.shift <= 0;
    test::write_text(tmp / ("vectors_" + std::to_string(i) + ".txt"), test::vectors_text(b.inputs[i]));
    driver += "#include \"" + o.name + ".h\"\n";
    body += "  run(\"vectors_" + std::to_string(i) + ".txt\", " + std::to_string(i) + ", " + o.name + "_infer);\n";
  }
  driver += R"(
template <typename In, typename Out>
static void run(const char* path, int id, void (*infer)(const In*, Out*)) {
  static In x[64];
  static Out y[64];
  FILE* f = fopen(path, "r");
  long n = 0, ni = 0, no = 0;
  if (fscanf(f, "%ld %ld %ld", &n, &ni, &no) != 3) return;
  printf("net %d\n", id);
  for (long v = 0; v < n; ++v) {
    for (long i = 0; i < ni; ++i) { long long t; if (fscanf(f, "%lld", &t) != 1) return; x[i] = (In)t; }
    infer(x, y);
    for (long o = 0; o < no; ++o) printf(o ? " %lld" : "%lld", (long long)y[o]);
    printf("\n");
  }
  fclose(f);
}
int main() {
)" + body + "  return 0;\n}\n";
  // The driver's own header line carries the sizes, after the count the harness format uses.
  for (std::size_t i = 0; i < b.nets.size(); ++i) {
    std::string v = test::vectors_text(b.inputs[i]);
    const auto eol = v.find('\n');
    v.insert(eol, " " + std::to_string(b.nets[i].input_size) + " " + std::to_string(output_size(b.nets[i])));
    test::write_text(tmp / ("vectors_" + std::to_string(i) + ".txt"), v);
  }
  test::write_text(tmp / "driver.cpp", driver);
  const std::string d = "'" + tmp.path().string() + "'";
  std::string log;
  ASSERT_EQ(test::shell("c++ -std=c++11 " + flags + " -Wall -Wextra -Wpedantic -Werror -I" + d + " " + d + "/*.cpp -o " +
                        d + "/driver", &log), 0) << log.substr(0, 4000);
  ASSERT_EQ(test::shell("cd " + d + " && ./driver > out.txt", &log), 0) << log.substr(0, 4000);
  const std::string out = test::read_text(tmp / "out.txt");
  // Split by "net i" markers and compare row by row.
  std::size_t compared = 0, mismatches = 0;
  for (std::size_t i = 0; i < b.nets.size(); ++i) {
    const std::string marker = "net " + std::to_string(i) + "\n";
    const auto start = out.find(marker);
    ASSERT_NE(start, std::string::npos) << "no output for net " << i;
    const auto end = out.find("net ", start + marker.size());
    const auto rows = test::parse_outputs(out.substr(start + marker.size(), end == std::string::npos ? end : end - start - marker.size()));
    ASSERT_EQ(rows.size(), b.inputs[i].size()) << "net " << i;
    for (std::size_t v = 0; v < rows.size(); ++v) {
      const auto expected = evaluate(b.nets[i], b.inputs[i][v]);
      ++compared;
      if (rows[v] != expected && ++mismatches <= 5)
        ADD_FAILURE() << "net " << i << " vector " << v << ": generated code differs from the reference evaluator";
    }
  }
  EXPECT_EQ(mismatches, 0u);
  EXPECT_EQ(compared, b.vectors);
  std::cout << "[differential] " << (kernel == codegen::Kernel::Blocked ? "blocked" : "reference") << " kernel, "
            << flags << ": " << b.nets.size() << " nets, " << compared << " vectors, "
            << mismatches << " mismatches; " << stats.int64_nets << " int64 nets, " << stats.sparse_layers
            << " sparse layers, " << stats.nonpositive_shifts << " layers with s <= 0\n";
}

TEST(CodegenDifferential, OptimisedRandomNetsMatchReference) {
  // 48 nets x 1500 vectors = 72 000 vectors.
  run_batch(make_batch(2024, 48, 1500), "-O3");
}

TEST(CodegenDifferential, ReferenceKernelRandomNetsMatchReference) {
  // The portable one-row kernel stays selectable and exact: 16 nets x 500 vectors.
  run_batch(make_batch(4096, 16, 500), "-O2", codegen::Kernel::Reference);
}

TEST(CodegenDifferential, OsRandomNetsMatchReference) {
  // -Os, the flag the Cortex-M targets ship: the per-layer instantiations must stay exact there too.
  run_batch(make_batch(99, 16, 500), "-Os");
}

TEST(CodegenDifferential, UndefinedBehaviourSanitizedRandomNetsMatchReference) {
  // 32 nets x 1000 vectors = 32 000 more (>= 10^5 in the suite), every operation checked by UBSan.
  std::string log;
  if (test::shell("echo 'int main(){}' | c++ -x c++ -fsanitize=undefined - -o /dev/null", &log) != 0)
    GTEST_SKIP() << "host compiler has no -fsanitize=undefined: " << log;
  run_batch(make_batch(77, 32, 1000), "-O1 -fsanitize=undefined -fno-sanitize-recover=undefined");
}

}  // namespace
}  // namespace nncert
