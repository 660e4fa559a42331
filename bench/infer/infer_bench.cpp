// bench_infer: what the generated integer code costs (DESIGN §6, issue "Benchmark (bench/infer)").
// For 784:64:10 and 784:128:64:32:10 at Q = 8 and Q = 4 (random weights in the QVIP scheme):
// per-sample latency on the host, single thread, of the generated C++ vs the float Network
// evaluated one sample at a time with Eigen (at the default flags and, both rebuilt, at
// -march=native); codegen's ROM/RAM bytes; and the Cortex-M3 (-Os) .text/.data/.bss from
// arm-none-eabi-size, of the model's own object (what "ROM <= weight bytes + 4 KiB" is about:
// newlib's semihosting printf is the harness's cost, not the model's) and of a whole program.
// Prints one table with the targets as pass/FAIL columns; columns whose tool is missing print "-".
// Then executed instructions per MAC on the qemu Cortex-M targets at -O2 and -Os, counted by
// `nncert conform --count-instructions` (the binary beside this one), beside CMSIS-NN's
// arm_fully_connected_s8 as measured the same way for issue 13.
#include "codegen/codegen.hpp"
#include "formats/nnc.hpp"
#include "codegen/embedded_files.hpp"

#include "certifier/core/network.hpp"
#include "certifier/core/qsemantics.hpp"

#include <nlohmann/json.hpp>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace nncert;

namespace {

// A random float network and its QVIP-scheme QNetwork: Cx = <unsigned,8,8> (raw pixels),
// Cw = <signed,Q,Q-1>, Cb = <signed,Q,Q-2>, hidden Cy = <unsigned,Q,Q-2>, output <signed,Q,Q-2>.
std::pair<Network, QNetwork> make_net(const std::vector<int>& widths, int q, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Network net;
  net.input_size = static_cast<std::size_t>(widths[0]);
  QNetwork qn;
  qn.input_size = net.input_size;
  qn.cx = {false, 8, 8};
  for (std::size_t l = 1; l < widths.size(); ++l) {
    const bool last = l + 1 == widths.size();
    std::normal_distribution<double> normal(0, std::sqrt(2.0 / widths[l - 1]));
    Dense d{Matrix(widths[l], widths[l - 1]), Vector(widths[l])};
    QLayer layer{static_cast<std::size_t>(widths[l - 1]), static_cast<std::size_t>(widths[l]), {}, {},
                 QConfig{true, q, q - 1}, QConfig{true, q, q - 2}, QConfig{last, q, q - 2}, !last};
    for (int r = 0; r < widths[l]; ++r)
      for (int c = 0; c < widths[l - 1]; ++c) {
        layer.W.push_back(quantize_value(normal(rng), layer.cw));
        d.W(r, c) = std::ldexp(static_cast<double>(layer.W.back()), -layer.cw.frac);
      }
    for (int r = 0; r < widths[l]; ++r) {
      layer.b.push_back(quantize_value(normal(rng) / 4, layer.cb));
      d.b[r] = std::ldexp(static_cast<double>(layer.b.back()), -layer.cb.frac);
    }
    net.layers.push_back(d);
    if (!last) net.layers.push_back(ReLU{});
    qn.layers.push_back(layer);
  }
  qn.accumulator = prove_accumulator(qn).type;  // as quantize records it
  return {net, qn};
}

void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

std::string run(const std::string& cmd) {
  std::string out;
  if (FILE* f = popen(cmd.c_str(), "r")) {
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    pclose(f);
  }
  return out;
}

// Host timing program: the generated model plus a loop over `samples` random pixels vectors.
constexpr int kSamples = 256;
const char* kTimingMain = R"(#include "bm.h"
#include <chrono>
#include <cstdio>
#include <random>
int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 100;
  static bm_input_t x[256][BM_INPUTS];
  std::mt19937 rng(1);
  for (auto& row : x) for (auto& v : row) v = static_cast<bm_input_t>(rng() % 256);
  volatile int sink = 0;
  for (int i = 0; i < 256; ++i) sink += bm_predict(x[i]);  // warm-up
  double best = 1e30;
  for (int round = 0; round < 5; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r)
      for (int i = 0; i < 256; ++i) sink += bm_predict(x[i]);
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, ns / (reps * 256.0));
  }
  std::printf("%.1f\n", best);
  return sink == 12345678 ? 1 : 0;
}
)";

// The same float network shape as a stand-alone Eigen program, so the float path can also be
// built with -march=native and compared with the integer code at equal compiler flags. Weights
// are random (GEMV timing does not depend on the values); preallocated, one sample at a time.
const char* kFloatMain = R"(#include <Eigen/Dense>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>
int main(int argc, char** argv) {
  std::vector<int> w;
  for (int i = 1; i < argc; ++i) w.push_back(std::atoi(argv[i]));
  std::vector<Eigen::MatrixXd> W;
  std::vector<Eigen::VectorXd> b, h;
  for (size_t l = 1; l < w.size(); ++l) {
    W.push_back(Eigen::MatrixXd::Random(w[l], w[l - 1]));
    b.push_back(Eigen::VectorXd::Random(w[l]));
    h.push_back(Eigen::VectorXd(w[l]));
  }
  std::vector<Eigen::VectorXd> xs(256, Eigen::VectorXd(w[0]));
  for (auto& x : xs) x = (Eigen::VectorXd::Random(w[0]).array() + 1.0) / 2.0;
  volatile double sink = 0;
  double best = 1e30;
  for (int round = 0; round < 6; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < 20; ++r)
      for (const auto& x : xs) {
        for (size_t i = 0; i < W.size(); ++i) {
          h[i].noalias() = W[i] * (i ? h[i - 1] : x);
          h[i] += b[i];
          if (i + 1 < W.size()) h[i] = h[i].cwiseMax(0.0);
        }
        sink = sink + h.back()[0];
      }
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    if (round) best = std::min(best, ns / (20.0 * 256));
  }
  std::printf("%.1f\n", best);
  return 0;
}
)";

// The generated model's own Cortex-M3 footprint: its object file alone (no harness, no newlib),
// compiled with the cortex-m3 target flags. ROM = .text (incl. .rodata) + .data, RAM = .data +
// .bss + the stack of <name>_predict and the <name>_infer it calls (-fstack-usage).
struct M3Size {
  long text = -1, data = -1, bss = -1, stack = -1;
  std::string undefined;  // symbols the object needs from a library (should be none)
  long rom() const { return text + data; }
  long ram() const { return data + bss + stack; }
};

const char* kM3Flags = "-mcpu=cortex-m3 -mthumb -Os -ffunction-sections -fdata-sections -std=c++11 -fno-exceptions -fno-rtti";

M3Size m3_model_size(const fs::path& dir, const codegen::Generated& g) {
  fs::create_directories(dir);
  for (const auto& f : g.files) write(dir / f.name, f.text);
  const std::string d = dir.string();
  M3Size s;
  if (std::system(("cd " + d + " && arm-none-eabi-g++ " + kM3Flags + " -fstack-usage -I. -c bm.cpp -o bm.o").c_str()) != 0)
    return s;
  std::istringstream in(run("arm-none-eabi-size " + d + "/bm.o"));
  std::string header;
  std::getline(in, header);
  in >> s.text >> s.data >> s.bss;
  std::ifstream su(dir / "bm.su");
  std::string line;
  s.stack = 0;
  while (std::getline(su, line)) {
    const auto tab = line.find('\t');
    if (tab != std::string::npos) s.stack += std::atol(line.c_str() + tab + 1);
  }
  s.undefined = run("arm-none-eabi-nm -u " + d + "/bm.o | awk '{print $2}' | tr '\\n' ' '");
  return s;
}

// The whole bare-metal program (model + a main calling <name>_predict + start-up + newlib with
// semihosting), as `nncert conform --target cortex-m3` links it, for context.
struct ElfSize {
  long text = -1, data = -1, bss = -1;
};

ElfSize m3_elf_size(const fs::path& dir, const codegen::Generated& g) {
  fs::create_directories(dir / "src");
  for (const auto& f : g.files) write(dir / "src" / f.name, f.text);
  write(dir / "src" / "main.cpp",
        "#include \"bm.h\"\nstatic bm_input_t x[BM_INPUTS];\nint main() { return bm_predict(x); }\n");
  write(dir / "src" / "startup.c", codegen::embedded("targets/cortex-m3/startup.c"));
  write(dir / "src" / "link.ld", codegen::embedded("targets/cortex-m3/link.ld"));
  write(dir / "build.sh", codegen::embedded("targets/cortex-m3/build.sh"));
  ElfSize s;
  if (std::system(("sh " + (dir / "build.sh").string() + " " + (dir / "src").string() + " " +
                   (dir / "prog.elf").string() + " >/dev/null 2>&1").c_str()) != 0)
    return s;
  std::istringstream in(run("arm-none-eabi-size " + (dir / "prog.elf").string()));
  std::string header;
  std::getline(in, header);
  in >> s.text >> s.data >> s.bss;
  return s;
}

// Builds and times the generated code on the host with the given flags; < 0 when it fails.
double host_int_ns(const fs::path& dir, const codegen::Generated& g, const std::string& flags) {
  fs::create_directories(dir);
  for (const auto& f : g.files) write(dir / f.name, f.text);
  write(dir / "main.cpp", kTimingMain);
  const std::string d = dir.string();
  if (std::system(("c++ -std=c++11 " + flags + " -I" + d + " " + d + "/bm.cpp " + d + "/main.cpp -o " + d +
                   "/timing").c_str()) != 0)
    return -1;
  return std::atof(run(d + "/timing 200").c_str());
}

std::string cell(double v, int precision = 0) {
  if (v < 0) return "-";
  std::ostringstream o;
  o << std::fixed << std::setprecision(precision) << v;
  return o.str();
}

std::string ok(bool known, bool pass) { return !known ? "-" : pass ? "pass" : "FAIL"; }

// Instructions per MAC of `model` on `target` with `flags`, by `nncert conform --count-instructions`
// (which also checks every output bit for bit); negative when it could not be counted.
double instructions_per_mac(const fs::path& nncert, const fs::path& model, const std::string& target,
                            const std::string& flags) {
  const std::string out = run(nncert.string() + " conform --json --count-instructions --vectors 8 --target " + target +
                              " --cflags='" + flags + "' '" + model.string() + "' 2>/dev/null");
  const auto doc = nlohmann::json::parse(out, nullptr, false);
  if (doc.is_discarded() || !doc.value("conformant", false) || !doc["targets"][0]["instructions_per_mac"].is_number())
    return -1;
  return doc["targets"][0]["instructions_per_mac"].get<double>();
}

}  // namespace

int main(int argc, char** argv) {
  (void)argc;
  omp_set_num_threads(1);
  Eigen::setNbThreads(1);
  std::string tmpl = (fs::temp_directory_path() / "nncert-bench-infer-XXXXXX").string();
  const fs::path work = mkdtemp(tmpl.data());
  const bool have_m3 = std::system("command -v arm-none-eabi-g++ >/dev/null 2>&1 && "
                                   "command -v arm-none-eabi-size >/dev/null 2>&1") == 0;
  const std::string native = "-O3 -march=native";
  const bool have_native = std::system(("echo 'int main(){}' | c++ -x c++ " + native +
                                        " - -o /dev/null >/dev/null 2>&1").c_str()) == 0;
  const std::string eigen_cflags = run("pkg-config --cflags eigen3 2>/dev/null | tr -d '\\n'");
  bool have_float_native = have_native && !eigen_cflags.empty();
  if (have_float_native) {
    write(work / "float.cpp", kFloatMain);
    have_float_native = std::system(("c++ -std=c++17 " + native + " -DNDEBUG " + eigen_cflags + " " +
                                     (work / "float.cpp").string() + " -o " + (work / "float").string())
                                        .c_str()) == 0;
  }
  if (!have_m3)
    std::cout << "note: cortex-m3 columns skipped: arm-none-eabi-g++/arm-none-eabi-size not found (install "
                 "gcc-arm-none-eabi libnewlib-arm-none-eabi, or `make deps-targets`)\n";
  if (!have_native) std::cout << "note: -march=native columns skipped: the host compiler rejects " << native << "\n";
  else if (!have_float_native)
    std::cout << "note: native float column skipped: Eigen headers not found through pkg-config eigen3\n";
  struct Arch {
    std::string name;
    std::vector<int> widths;
  };
  const std::vector<Arch> archs{{"784:64:10", {784, 64, 10}}, {"784:128:64:32:10", {784, 128, 64, 32, 10}}};
  std::cout << "bench_infer: per-sample latency on the host, one thread, one sample at a time (ns, best round)\n";
  std::cout << std::left << std::setw(18) << "network" << std::right << std::setw(3) << "Q" << std::setw(8) << "int"
            << std::setw(8) << "eval" << std::setw(8) << "Eigen" << std::setw(7) << "x" << std::setw(9) << "int nat"
            << std::setw(9) << "Eig nat" << std::setw(7) << "x nat" << std::setw(9) << "weightB" << std::setw(8)
            << "ROM B" << std::setw(6) << "RAM B" << std::setw(8) << ".text" << std::setw(6) << ".data" << std::setw(6)
            << ".bss" << std::setw(6) << "stack" << std::setw(9) << "elf.text" << std::setw(6) << ".data"
            << std::setw(6) << ".bss" << std::setw(7) << ">=2x" << std::setw(7) << "nat2x" << std::setw(6) << "ROM"
            << std::setw(6) << "RAM" << "\n";
  std::string undefined;
  std::vector<fs::path> q8_models;  // for the instruction counts below
  for (const Arch& a : archs)
    for (int q : {8, 4}) {
      const auto [net, qn] = make_net(a.widths, q, 42);
      Model m;
      m.network = net;
      m.qnetwork = qn;
      codegen::Options o;
      o.name = "bm";
      // The dense kernel on every row: He-init weights are ~80% zero on Q = 4's grid (step 1/8),
      // which would pick the CSR layout and time a different kernel than at Q = 8.
      o.allow_sparse = false;
      const codegen::Generated g = codegen::generate(m, o);
      const fs::path dir = work / (a.name + "-q" + std::to_string(q));
      if (q == 8) {
        q8_models.push_back(work / (a.name + "-q8.nnc"));
        save_nnc(m, q8_models.back().string());
      }
      const double int_ns = host_int_ns(dir / "host", g, "-O2");
      if (int_ns < 0) {
        std::cerr << "bench_infer: host build of the generated code failed for " << a.name << "\n";
        return 1;
      }
      const double int_nat = have_native ? host_int_ns(dir / "native", g, native) : -1;

      // Float: the certifier's evaluate() on one sample, and a preallocated Eigen GEMV loop.
      std::mt19937 rng(1);
      std::vector<Vector> xs(kSamples, Vector(a.widths[0]));
      for (auto& x : xs)
        for (Eigen::Index i = 0; i < x.size(); ++i) x[i] = static_cast<double>(rng() % 256) / 256.0;
      auto time_ns = [&](auto&& f) {
        double best = 1e30;
        for (int round = 0; round < 5; ++round) {
          const auto t0 = std::chrono::steady_clock::now();
          for (int r = 0; r < 20; ++r)
            for (const auto& x : xs) f(x);
          best = std::min(best, std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() /
                                    (20.0 * kSamples));
        }
        return best;
      };
      volatile double sink = 0;
      const double float_ns = time_ns([&](const Vector& x) { sink = sink + evaluate(net, x)[0]; });
      std::vector<const Dense*> dense;
      for (const auto& l : net.layers)
        if (const auto* d = std::get_if<Dense>(&l)) dense.push_back(d);
      std::vector<Vector> h(dense.size());
      for (std::size_t i = 0; i < dense.size(); ++i) h[i].resize(dense[i]->W.rows());
      const double eigen_ns = time_ns([&](const Vector& x) {
        for (std::size_t i = 0; i < dense.size(); ++i) {
          h[i].noalias() = dense[i]->W * (i ? h[i - 1] : x);
          h[i] += dense[i]->b;
          if (i + 1 < dense.size()) h[i] = h[i].cwiseMax(0.0);
        }
        sink = sink + h.back()[0];
      });
      double eigen_nat = -1;
      if (have_float_native) {
        std::string args;
        for (int w : a.widths) args += " " + std::to_string(w);
        eigen_nat = std::atof(run((work / "float").string() + args).c_str());
      }

      const M3Size ms = have_m3 ? m3_model_size(dir / "m3-model", g) : M3Size{};
      const ElfSize es = have_m3 ? m3_elf_size(dir / "m3-elf", g) : ElfSize{};
      if (!ms.undefined.empty() && ms.undefined.find_first_not_of(' ') != std::string::npos)
        undefined += a.name + " Q" + std::to_string(q) + ": " + ms.undefined + "\n";
      const int widest = *std::max_element(a.widths.begin() + 1, a.widths.end());
      const double speedup = std::min(float_ns, eigen_ns) / int_ns;
      const double speedup_nat = int_nat > 0 && eigen_nat > 0 ? eigen_nat / int_nat : -1;
      const bool m3_known = ms.text >= 0 && ms.stack >= 0;
      const bool rom_ok = ms.rom() <= static_cast<long>(g.weight_bytes) + 4096;
      // Activations are 1 byte for Q <= 8, 2 for Q <= 16 (codegen picks the narrowest type).
      const long act_bytes = q <= 8 ? 1 : 2;
      const bool ram_ok = ms.ram() <= 2L * widest * act_bytes + 256;
      std::cout << std::left << std::setw(18) << a.name << std::right << std::setw(3) << q << std::setw(8)
                << cell(int_ns) << std::setw(8) << cell(float_ns) << std::setw(8) << cell(eigen_ns) << std::setw(7)
                << cell(speedup, 1) << std::setw(9) << cell(int_nat) << std::setw(9) << cell(eigen_nat) << std::setw(7)
                << cell(speedup_nat, 1) << std::setw(9) << g.weight_bytes << std::setw(8) << g.rom_bytes
                << std::setw(6) << g.ram_bytes << std::setw(8) << ms.text << std::setw(6) << ms.data << std::setw(6)
                << ms.bss << std::setw(6) << ms.stack << std::setw(9) << es.text << std::setw(6) << es.data
                << std::setw(6) << es.bss << std::setw(7) << ok(true, speedup >= 2) << std::setw(7)
                << ok(speedup_nat > 0, speedup_nat >= 2) << std::setw(6) << ok(m3_known, rom_ok) << std::setw(6)
                << ok(m3_known, ram_ok) << "\n";
    }
  std::cout
      << "int = generated code, `c++ -std=c++11 -O2` (targets/host/build.sh flags); eval = nncert evaluate() (double); "
         "Eigen = preallocated double GEMV loop, both in this Release binary (no -march); x = min(eval, Eigen) / int.\n"
         "int nat / Eig nat = the same generated code / a stand-alone Eigen GEMV program, both `"
      << native << "`; x nat = Eig nat / int nat.\n"
         "Layout: dense for every row (codegen --dense), so Q = 4 and Q = 8 time the same kernel.\n"
         "weightB = dense weight + bias payload in the narrowest types; ROM B / RAM B = codegen's report (all const "
         "arrays / the activation buffers).\n"
         ".text/.data/.bss/stack = the model's own object on cortex-m3 (arm-none-eabi-g++ -Os, arm-none-eabi-size; "
         ".text includes .rodata; stack = -fstack-usage of _predict + _infer); elf.* = the whole semihosting program "
         "(model + main + start-up + newlib), for context.\n"
         "Targets: >=2x: x >= 2; nat2x: x nat >= 2; ROM: model .text+.data <= weightB + 4096; RAM: model "
         ".data+.bss+stack <= 2 x widest layer (bytes) + 256.\n";
  if (!undefined.empty()) std::cout << "WARNING: the model object needs library symbols:\n" << undefined;

  // Executed instructions per MAC (Q = 8, dense), counted under qemu; CMSIS-NN beside them.
  const fs::path nncert = fs::absolute(fs::path(argv[0])).parent_path() / "nncert";
  const bool can_count = have_m3 && fs::exists(nncert) &&
                         std::system("command -v qemu-system-arm >/dev/null 2>&1 && command -v cc >/dev/null 2>&1") == 0;
  struct Core {
    std::string target, cmsis_nn;  // CMSIS-NN arm_fully_connected_s8, -O2 / -Os, issue 13's table
    double goal_o2, goal_os;       // the issue's targets for nncert
  };
  const std::vector<Core> cores{{"cortex-m3", "3.44 / 5.81 (plain C)", 2.8, 2.8},
                                {"cortex-m4", "1.95-1.98 / 2.70 (SMLAD)", 1.6, 2.0},
                                {"cortex-m55", "0.50 gcc, 0.18 clang (MVE)", 0.25, 0.25}};
  std::cout << "\nexecuted instructions per MAC, Q = 8, dense (nncert conform --count-instructions; 1x vs 11x)\n";
  if (!can_count) {
    std::cout << "note: skipped: needs arm-none-eabi-g++, qemu-system-arm, cc and " << nncert.string() << "\n";
  } else {
    std::cout << std::left << std::setw(11) << "target" << std::setw(18) << "network" << std::right << std::setw(8)
              << "-O2" << std::setw(8) << "-Os" << std::setw(11) << "goal" << std::setw(7) << "pass"
              << "   CMSIS-NN -O2 / -Os\n";
    for (const Core& c : cores)
      for (std::size_t i = 0; i < archs.size(); ++i) {
        const double o2 = instructions_per_mac(nncert, q8_models[i], c.target, "-O2");
        const double os = instructions_per_mac(nncert, q8_models[i], c.target, "-Os");
        const bool known = o2 > 0 && os > 0;
        std::cout << std::left << std::setw(11) << c.target << std::setw(18) << archs[i].name << std::right
                  << std::setw(8) << cell(o2, 3) << std::setw(8) << cell(os, 3) << std::setw(11)
                  << (cell(c.goal_o2, 2) + "/" + cell(c.goal_os, 2)) << std::setw(7)
                  << ok(known, o2 <= c.goal_o2 && os <= c.goal_os) << "   " << c.cmsis_nn << "\n";
      }
    std::cout << "CMSIS-NN figures: issue 13 (qemu mps2-an385/an386, TCG plugin count, its best path, same int8 "
                 "weights); Cortex-M55 goal 0.25 is the issue's for GCC.\n";
  }
  std::error_code ec;
  if (std::getenv("NNCERT_BENCH_KEEP")) std::cout << "kept " << work.string() << "\n";
  else fs::remove_all(work, ec);
  return 0;
}
