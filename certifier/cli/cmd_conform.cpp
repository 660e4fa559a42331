// `nncert conform MODEL.nnc --target T`: bit-exact conformance of the generated code on a real
// (or emulated) target (DESIGN §6). Generates the code, builds it with runtime/conform_main.cpp
// through targets/<T>/build.sh, runs it through targets/<T>/run.sh on test vectors and compares
// every output integer with the reference evaluator. The verdict is the mismatch count: 0.
#include "certifier/cli/app.hpp"
#include "certifier/cli/command.hpp"
#include "certifier/cli/progress.hpp"

#include "certifier/core/digest.hpp"
#include "certifier/core/error.hpp"
#include "codegen/codegen.hpp"
#include "codegen/embedded_files.hpp"
#include "formats/atomic_file.hpp"
#include "formats/dataset.hpp"
#include "formats/model_file.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <optional>
#include <random>
#include <sstream>
#include <sys/wait.h>

namespace nncert::cli {

namespace {

namespace fs = std::filesystem;

struct Tool {
  std::string command;  // shell test that succeeds when the tool is there
  std::string package;  // Debian package providing it
};

struct Target {
  std::string name;
  std::vector<Tool> tools;
  std::vector<std::string> extra_files;  // copied from targets/<files_from>/ into the source folder
  std::string files_from;                // default: the target's own folder
  bool emulated = true;                  // runs under QEMU, so --count-instructions can count it
};

const std::vector<Target>& targets() {
  static const std::vector<Target> all{
      {"host", {{"command -v ${CXX:-c++}", "g++"}}, {}, "", false},
      {"armv7",
       {{"command -v arm-linux-gnueabihf-g++", "g++-arm-linux-gnueabihf"}, {"command -v qemu-arm", "qemu-user"}},
       {},
       "",
       true},
      {"riscv64",
       {{"command -v riscv64-linux-gnu-g++", "g++-riscv64-linux-gnu"}, {"command -v qemu-riscv64", "qemu-user"}},
       {},
       "",
       true},
      {"cortex-m3",
       {{"command -v arm-none-eabi-g++", "gcc-arm-none-eabi"},
        {"test -f \"$(arm-none-eabi-gcc -print-file-name=rdimon.specs)\"", "libnewlib-arm-none-eabi"},
        {"test -f \"$(arm-none-eabi-g++ -mcpu=cortex-m3 -mthumb -print-file-name=libstdc++.a)\"",
         "libstdc++-arm-none-eabi-newlib"},
        {"command -v qemu-system-arm", "qemu-system-arm"}},
       {"startup.c", "link.ld"},
       "",
       true},
      // mps2-an386 has mps2-an385's memory map: the Cortex-M3 start-up and linker script serve.
      {"cortex-m4",
       {{"command -v arm-none-eabi-g++", "gcc-arm-none-eabi"},
        {"test -f \"$(arm-none-eabi-gcc -print-file-name=rdimon.specs)\"", "libnewlib-arm-none-eabi"},
        {"test -f \"$(arm-none-eabi-g++ -mcpu=cortex-m4 -mthumb -print-file-name=libstdc++.a)\"",
         "libstdc++-arm-none-eabi-newlib"},
        {"command -v qemu-system-arm", "qemu-system-arm"}},
       {"startup.c", "link.ld"},
       "cortex-m3",
       true},
      // mps3-an547: code and weights in ITCM, data in DTCM; its own start-up enables MVE.
      {"cortex-m55",
       {{"command -v arm-none-eabi-g++", "gcc-arm-none-eabi"},
        {"test -f \"$(arm-none-eabi-gcc -print-file-name=rdimon.specs)\"", "libnewlib-arm-none-eabi"},
        {"test -f \"$(arm-none-eabi-g++ -mcpu=cortex-m55 -mthumb -mfloat-abi=hard -print-file-name=libstdc++.a)\"",
         "libstdc++-arm-none-eabi-newlib"},
        {"command -v qemu-system-arm", "qemu-system-arm"}},
       {"startup.c", "link.ld"},
       "",
       true},
  };
  return all;
}

std::string quote(const fs::path& p) {
  std::string s = "'";
  for (char c : p.string()) s += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return s + "'";
}

// Runs `command` with sh; stdout+stderr go to `log_file`. Returns the exit status.
int sh(const std::string& command, const fs::path& log_file) {
  const int status = std::system(("(" + command + ") >" + quote(log_file) + " 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string tail(const fs::path& file, std::size_t max_chars = 1500) {
  std::string text = read_file(file.string());
  return text.size() > max_chars ? "..." + text.substr(text.size() - max_chars) : text;
}

struct Vectors {
  std::vector<std::vector<std::int64_t>> x;
  std::size_t dataset = 0, corners = 0, random = 0, counterexamples = 0;
};

// Counterexamples from a VNN-COMP-style results file (`nncert verify --results`): lines
// "model,property,sat,seconds,x0 x1 ..." carry the falsifying input as the last field.
std::vector<std::vector<std::int64_t>> read_counterexamples(const std::string& path, const QNetwork& net) {
  std::vector<std::vector<std::int64_t>> out;
  std::istringstream in(read_file(path));
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find(",sat,") == std::string::npos) continue;
    std::istringstream cells(line.substr(line.rfind(',') + 1));
    std::vector<std::int64_t> x;
    std::int64_t v;
    while (cells >> v) x.push_back(v);
    if (x.size() != net.input_size)
      throw InputError(path, "line " + std::to_string(number),
                       "counterexample has " + std::to_string(x.size()) + " values, the network expects " +
                           std::to_string(net.input_size));
    out.push_back(std::move(x));
  }
  return out;
}

Vectors make_vectors(const QNetwork& net, std::size_t n, const std::string& data, const std::string& cex_file,
                     std::uint64_t seed) {
  Vectors v;
  const std::int64_t lo = net.cx.lo(), hi = net.cx.hi();
  if (!data.empty()) {
    const Dataset d = load_dataset(data, "test");
    if (d.features() != net.input_size)
      throw InputError(d.name, "features", "has " + std::to_string(d.features()) + " features, the network expects " +
                                               std::to_string(net.input_size));
    const std::size_t take = std::min(d.size(), (n + 1) / 2);
    for (std::size_t i = 0; i < take; ++i) {
      auto x = d.raw_sample(i);
      for (std::size_t k = 0; k < x.size(); ++k)
        if (x[k] < lo || x[k] > hi)
          throw InputError(d.name, "sample " + std::to_string(i) + " feature " + std::to_string(k),
                           "value " + std::to_string(x[k]) + " is off the input grid " + to_string(net.cx));
      v.x.push_back(std::move(x));
    }
    v.dataset = take;
  }
  // Grid corners: all-min, all-max and both alternating patterns.
  std::vector<std::int64_t> a(net.input_size), b(net.input_size);
  for (std::size_t i = 0; i < net.input_size; ++i) a[i] = i % 2 ? hi : lo, b[i] = i % 2 ? lo : hi;
  for (auto& c : {std::vector<std::int64_t>(net.input_size, lo), std::vector<std::int64_t>(net.input_size, hi), a, b})
    v.x.push_back(c);
  v.corners = 4;
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::int64_t> grid(lo, hi);
  for (; v.dataset + v.random < n; ++v.random) {
    std::vector<std::int64_t> x(net.input_size);
    for (auto& e : x) e = grid(rng);
    v.x.push_back(std::move(x));
  }
  if (!cex_file.empty())
    for (auto& x : read_counterexamples(cex_file, net)) {
      for (std::size_t k = 0; k < x.size(); ++k)
        if (x[k] < lo || x[k] > hi)
          throw InputError(cex_file, "counterexample " + std::to_string(v.counterexamples),
                           "value " + std::to_string(x[k]) + " is off the input grid " + to_string(net.cx));
      v.x.push_back(std::move(x));
      ++v.counterexamples;
    }
  return v;
}

struct TargetResult {
  std::string target;
  std::size_t vectors = 0, mismatches = 0, mismatched_values = 0;
  double build_seconds = 0, run_seconds = 0;
  std::string digest, first_mismatch;
  std::optional<double> instructions;  // executed per inference (--count-instructions)
};

// Shell prefix setting the extra build flags the target scripts read.
std::string cflags_env(const std::string& cflags) { return "NNCERT_CFLAGS=" + quote(cflags) + " "; }

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Executed guest instructions of one inference: the harness built with 1 and with 11 inferences
// per vector runs one vector under the counting plugin (targets/qemu_plugin); start-up, reading
// and printing are the same in both runs, so (n11 - n1) / 10 is inference alone.
double count_instructions(const Target& t, const fs::path& dir, const std::vector<std::int64_t>& x,
                          const fs::path& plugin, const std::string& cflags) {
  std::uint64_t counts[2] = {0, 0};
  const int repeats[2] = {1, 11};
  for (int i = 0; i < 2; ++i) {
    const fs::path run = dir / ("count" + std::to_string(repeats[i]));
    fs::create_directories(run);
    {
      std::ofstream vec(run / "vectors.txt");
      vec << "1\n";
      for (std::size_t k = 0; k < x.size(); ++k) vec << (k ? " " : "") << x[k];
      vec << "\n";
    }
    const std::string flags = cflags + " -DNNCERT_REPEAT=" + std::to_string(repeats[i]);
    if (sh(cflags_env(flags) + "sh " + quote(dir / "build.sh") + " " + quote(dir / "src") + " " + quote(run / "prog"),
           run / "build.log") != 0)
      throw InternalError("conform: building the counting harness for " + t.name + " failed:\n" + tail(run / "build.log"));
    const std::string qemu_args = "-plugin " + plugin.string() + " -d plugin -D " + (run / "insns.log").string();
    if (sh("cd " + quote(run) + " && NNCERT_QEMU_ARGS=" + quote(qemu_args) + " timeout 600 sh ../run.sh ./prog > out.txt",
           run / "run.log") != 0)
      throw InternalError("conform: counting instructions on " + t.name + " failed:\n" + tail(run / "run.log"));
    const std::string log = read_file((run / "insns.log").string());
    const std::size_t at = log.rfind("insns ");
    if (at == std::string::npos)
      throw InternalError("conform: the counting plugin reported nothing on " + t.name + ":\n" + tail(run / "run.log"));
    counts[i] = std::stoull(log.substr(at + 6));
  }
  return (static_cast<double>(counts[1]) - static_cast<double>(counts[0])) / 10.0;
}

TargetResult run_target(const Target& t, const codegen::Generated& g, const codegen::Options& o, const Vectors& v,
                        const std::vector<std::vector<std::int64_t>>& expected, const fs::path& work,
                        const std::string& cflags, const fs::path& plugin) {
  TargetResult r;
  r.target = t.name;
  const fs::path dir = work / t.name, src = dir / "src";
  fs::create_directories(src);
  for (const auto& f : g.files) write_file_atomic((src / f.name).string(), f.text);
  const auto binding = codegen::harness_binding(o);
  write_file_atomic((src / binding.name).string(), binding.text);
  write_file_atomic((src / "conform_main.cpp").string(), codegen::embedded("runtime/conform_main.cpp"));
  for (const auto& extra : t.extra_files)
    write_file_atomic((src / extra).string(),
                      codegen::embedded("targets/" + (t.files_from.empty() ? t.name : t.files_from) + "/" + extra));
  for (const char* script : {"build.sh", "run.sh"})
    write_file_atomic((dir / script).string(), codegen::embedded("targets/" + t.name + "/" + script));
  {
    std::ofstream vec(dir / "vectors.txt");
    vec << v.x.size() << "\n";
    for (const auto& x : v.x) {
      for (std::size_t i = 0; i < x.size(); ++i) vec << (i ? " " : "") << x[i];
      vec << "\n";
    }
  }
  auto start = std::chrono::steady_clock::now();
  if (sh(cflags_env(cflags) + "sh " + quote(dir / "build.sh") + " " + quote(src) + " " + quote(dir / "prog"),
         dir / "build.log") != 0)
    throw InternalError("conform: building the generated code for " + t.name + " failed:\n" + tail(dir / "build.log"));
  r.build_seconds = seconds_since(start);
  start = std::chrono::steady_clock::now();
  const int rc = sh("cd " + quote(dir) + " && timeout 1800 sh ./run.sh ./prog > out.txt", dir / "run.log");
  r.run_seconds = seconds_since(start);
  if (rc != 0)
    throw InternalError("conform: running on " + t.name + " failed (exit " + std::to_string(rc) + "):\n" +
                        tail(dir / "run.log") + tail(dir / "out.txt", 300));
  // Compare every output integer; a missing or extra line counts as a mismatch.
  std::istringstream out(read_file((dir / "out.txt").string()));
  std::string line;
  std::size_t i = 0;
  while (std::getline(out, line)) {
    if (line.rfind("digest ", 0) == 0) {
      r.digest = line.substr(7);
      continue;
    }
    if (line.rfind("vectors ", 0) == 0 || line.empty()) continue;
    std::istringstream cells(line);
    std::vector<std::int64_t> y;
    std::int64_t val;
    while (cells >> val) y.push_back(val);
    if (i >= expected.size()) {
      ++r.mismatches;
      continue;
    }
    std::size_t bad = 0;
    for (std::size_t k = 0; k < std::max(y.size(), expected[i].size()); ++k)
      bad += k >= y.size() || k >= expected[i].size() || y[k] != expected[i][k];
    if (bad) {
      ++r.mismatches;
      r.mismatched_values += bad;
      if (r.first_mismatch.empty()) r.first_mismatch = "vector " + std::to_string(i) + ": target printed '" + line + "'";
    }
    ++i;
  }
  r.vectors = i;
  if (i < expected.size()) r.mismatches += expected.size() - i;
  if (!plugin.empty() && t.emulated && !v.x.empty()) r.instructions = count_instructions(t, dir, v.x.front(), plugin, cflags);
  return r;
}

struct ConformOptions {
  std::string model, target = "host", data, counterexamples, name = "model", work, cflags;
  std::size_t vectors = 1000;
  bool count_instructions = false;
};

// Builds the instruction-counting QEMU plugin with the host C compiler.
fs::path build_plugin(const fs::path& work) {
  const fs::path dir = work / "qemu_plugin";
  fs::create_directories(dir);
  write_file_atomic((dir / "insn_count.c").string(), codegen::embedded("targets/qemu_plugin/insn_count.c"));
  if (sh("${CC:-cc} -shared -fPIC -O2 " + quote(dir / "insn_count.c") + " -o " + quote(dir / "insn_count.so"),
         dir / "build.log") != 0)
    throw InternalError("conform: building the instruction-counting QEMU plugin failed:\n" + tail(dir / "build.log"));
  return dir / "insn_count.so";
}

// Multiply-accumulates of one inference as a dense kernel does them (the figure per-MAC counts
// divide by, as CMSIS-NN's are quoted).
std::size_t dense_macs(const QNetwork& net) {
  std::size_t macs = 0;
  for (const QLayer& l : net.layers) macs += l.inputs * l.outputs;
  return macs;
}

int run_conform(const ConformOptions& o, const Globals& globals) {
  std::vector<const Target*> chosen;
  for (const Target& t : targets())
    if (o.target == "all" || o.target == t.name) chosen.push_back(&t);
  if (chosen.empty())
    throw InputError("--target", "'" + o.target + "'", "expected host, armv7, riscv64, cortex-m3, cortex-m4, cortex-m55 or all");
  // A missing toolchain is bad usage (exit 2), named by the packages that provide it.
  std::vector<std::string> missing;
  for (const Target* t : chosen)
    for (const Tool& tool : t->tools)
      if (std::system(("(" + tool.command + ") >/dev/null 2>&1").c_str()) != 0 &&
          std::find(missing.begin(), missing.end(), tool.package) == missing.end())
        missing.push_back(tool.package);
  if (!missing.empty()) {
    std::string list;
    for (const auto& p : missing) list += (list.empty() ? "" : " ") + p;
    throw InputError("conform", "--target " + o.target, "toolchain missing; install: apt-get install " + list +
                                                            " (or `make deps-targets`)");
  }
  const Model m = load_model(o.model);
  if (!m.qnetwork) throw InputError(o.model, "model", "has no quantized network (run `nncert quantize` first)");
  const QNetwork& net = *m.qnetwork;
  codegen::Options co;
  co.name = o.name;
  const codegen::Generated g = codegen::generate(m, co);
  const Vectors v = make_vectors(net, o.vectors, o.data, o.counterexamples, globals.seed);
  std::vector<std::vector<std::int64_t>> expected;
  expected.reserve(v.x.size());
  for (const auto& x : v.x) expected.push_back(evaluate(net, x));

  fs::path work = o.work;
  std::string tmpl;
  if (work.empty()) {
    tmpl = (fs::temp_directory_path() / "nncert-conform-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw InternalError("conform: cannot create a temporary folder");
    work = tmpl;
  }
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      if (!dir.empty()) fs::remove_all(dir, ec);
    }
  } cleanup{tmpl.empty() ? fs::path() : work};

  const fs::path plugin = o.count_instructions ? build_plugin(work) : fs::path();
  const std::size_t macs = dense_macs(net);
  std::vector<TargetResult> results;
  ProgressBar bar("conform", chosen.size(), !globals.json);
  for (const Target* t : chosen) {
    results.push_back(run_target(*t, g, co, v, expected, work, o.cflags, plugin));
    bar.update(results.size(), t->name);
  }
  bar.finish();

  std::ostringstream text;
  std::size_t total_mismatches = 0;
  text << "model " << o.model << " (sha256:" << g.digest.substr(0, 16) << "...), " << v.x.size() << " vectors: "
       << v.dataset << " dataset, " << v.corners << " corners, " << v.random << " random (seed " << globals.seed
       << "), " << v.counterexamples << " counterexamples\n";
  text << "target       vectors  mismatches  ROM bytes  RAM bytes  build s   run s  output digest\n";
  std::ostringstream counted;
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : results) {
    total_mismatches += r.mismatches;
    text << std::left << std::setw(11) << r.target << std::right << std::setw(9) << r.vectors << std::setw(12)
         << r.mismatches << std::setw(11) << g.rom_bytes << std::setw(11) << g.ram_bytes << std::fixed
         << std::setprecision(1) << std::setw(9) << r.build_seconds << std::setw(8) << r.run_seconds << "  "
         << r.digest << "\n";
    text.unsetf(std::ios::fixed);
    if (!r.first_mismatch.empty()) text << "  first mismatch on " << r.target << ": " << r.first_mismatch << "\n";
    nlohmann::json row{{"target", r.target}, {"vectors", r.vectors}, {"mismatches", r.mismatches},
                       {"mismatched_values", r.mismatched_values}, {"rom_bytes", g.rom_bytes}, {"ram_bytes", g.ram_bytes},
                       {"build_seconds", r.build_seconds}, {"run_seconds", r.run_seconds}, {"output_digest", r.digest}};
    if (o.count_instructions) {
      if (r.instructions) {
        const double per_mac = macs ? *r.instructions / static_cast<double>(macs) : 0.0;
        row["instructions_per_inference"] = *r.instructions;
        row["instructions_per_mac"] = per_mac;
        counted << std::left << std::setw(11) << r.target << std::right << std::fixed << std::setprecision(1)
                << std::setw(16) << *r.instructions << std::setprecision(3) << std::setw(12) << per_mac << "\n";
        counted.unsetf(std::ios::fixed);
      } else {
        row["instructions_per_inference"] = nullptr;
        row["instructions_per_mac"] = nullptr;
        counted << std::left << std::setw(11) << r.target << "  not counted (runs natively, not under QEMU)\n";
      }
    }
    rows.push_back(std::move(row));
  }
  if (o.count_instructions)
    text << "executed instructions (" << macs << " MACs per inference" << (o.cflags.empty() ? "" : ", flags " + o.cflags)
         << ")\ntarget     per inference     per MAC\n" << counted.str();
  text << (total_mismatches ? "MISMATCH: the generated code differs from the verified network\n"
                            : "conformant: every output integer equals the reference evaluator's\n");
  nlohmann::json doc{{"model", o.model},
                     {"digest", g.digest},
                     {"accumulator", codegen::c_name(g.accumulator)},
                     {"vectors", {{"total", v.x.size()}, {"dataset", v.dataset}, {"corners", v.corners},
                                  {"random", v.random}, {"counterexamples", v.counterexamples}}},
                     {"macs_per_inference", macs},
                     {"targets", rows},
                     {"mismatches", total_mismatches},
                     {"conformant", total_mismatches == 0}};
  emit(globals, doc, text.str());
  return total_mismatches ? kFalsified : kOk;
}

}  // namespace

Command add_conform(CLI::App& parent, const Globals& globals) {
  auto* sub = parent.add_subcommand("conform", "Build the generated code for a target and check it bit for bit");
  auto o = std::make_shared<ConformOptions>();
  sub->add_option("model", o->model, "Model file (.nnc with a quantized network)")->required();
  sub->add_option("--target", o->target, "host, armv7, riscv64, cortex-m3, cortex-m4, cortex-m55 or all")->default_val("host");
  sub->add_flag("--count-instructions", o->count_instructions,
                "Also count executed instructions per inference and per MAC under QEMU (a TCG plugin; 1x vs 11x)");
  sub->add_option("--cflags", o->cflags, "Extra compiler flags for the target build, after its own (e.g. -O2)");
  sub->add_option("--vectors", o->vectors, "Dataset + random vectors (corners and counterexamples come on top)")
      ->default_val(1000);
  sub->add_option("--data", o->data, "Dataset for half of the vectors: fashion-mnist or a CSV/IDX path");
  sub->add_option("--counterexamples", o->counterexamples,
                  "Also run every counterexample of a results file written by `nncert verify --results`");
  sub->add_option("--name", o->name, "C identifier of the generated model")->default_val("model");
  sub->add_option("--work", o->work, "Keep the generated sources, builds and outputs in this folder");
  return {sub, [o, &globals] { return run_conform(*o, globals); }};
}

}  // namespace nncert::cli
