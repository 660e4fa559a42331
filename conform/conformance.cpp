#include "conform/conformance.hpp"

#include "certifier/core/error.hpp"
#include "codegen/embedded_files.hpp"
#include "formats/atomic_file.hpp"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/wait.h>

namespace nncert::conform {

namespace {

namespace fs = std::filesystem;

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

// Where one target's build happens and with which extras.
struct BuildPlace {
  fs::path work;    // the target gets work/<name>/
  std::string cflags;
  fs::path plugin;  // the instruction-counting plugin; empty = do not count
};

TargetResult run_target(const Target& t, const codegen::Generated& g, const codegen::Options& o, const Vectors& v,
                        const std::vector<std::vector<std::int64_t>>& expected, const BuildPlace& place) {
  const fs::path& work = place.work;
  const std::string& cflags = place.cflags;
  const fs::path& plugin = place.plugin;
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

// A temporary work folder removed on scope exit, or the caller's folder kept.
class WorkFolder {
 public:
  explicit WorkFolder(const fs::path& given) : path_(given) {
    if (!path_.empty()) return;
    std::string tmpl = (fs::temp_directory_path() / "nncert-conform-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw InternalError("conform: cannot create a temporary folder");
    path_ = tmpl;
    owned_ = true;
  }
  ~WorkFolder() {
    std::error_code ec;
    if (owned_) fs::remove_all(path_, ec);
  }
  WorkFolder(const WorkFolder&) = delete;
  WorkFolder& operator=(const WorkFolder&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  bool owned_ = false;
};

}  // namespace

ConformReport run_conformance(const QNetwork& net, const codegen::Generated& code, const codegen::Options& options,
                              const Vectors& vectors, const ConformRequest& request) {
  std::vector<std::vector<std::int64_t>> expected;
  expected.reserve(vectors.x.size());
  for (const auto& x : vectors.x) expected.push_back(evaluate(net, x));
  const WorkFolder work(request.work);
  BuildPlace place{work.path(), request.cflags, request.count_instructions ? build_plugin(work.path()) : fs::path()};
  ConformReport report;
  report.macs = dense_macs(net);
  for (const Target* t : request.targets) {
    report.targets.push_back(run_target(*t, code, options, vectors, expected, place));
    report.mismatches += report.targets.back().mismatches;
    if (request.on_target) request.on_target(report.targets.size(), t->name);
  }
  return report;
}

}  // namespace nncert::conform
