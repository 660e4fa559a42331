// Helpers shared by the tests: locating ../shared/data (skip cleanly when absent), temp
// folders, running the `nncert` binary, and small random networks.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <sys/wait.h>

namespace nncert::test {

inline std::filesystem::path source_dir() { return NNCERT_SOURCE_DIR; }

// ../shared/data beside the repository; empty when absent (callers GTEST_SKIP with a message).
inline std::filesystem::path shared_data() {
  auto p = source_dir().parent_path() / "shared" / "data";
  return std::filesystem::exists(p) ? p : std::filesystem::path();
}

#define NNCERT_REQUIRE_SHARED_DATA(sub)                                                        \
  do {                                                                                         \
    if (::nncert::test::shared_data().empty() ||                                              \
        !std::filesystem::exists(::nncert::test::shared_data() / (sub)))                      \
      GTEST_SKIP() << "../shared/data/" << (sub) << " is absent; skipping real-data check";   \
  } while (0)

inline const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";
#define NNCERT_REQUIRE_FASHION_MNIST()                                                         \
  do {                                                                                         \
    if (!std::filesystem::exists(std::string(::nncert::test::kFashionMnistDir) +             \
                                 "/t10k-images-idx3-ubyte.gz"))                               \
      GTEST_SKIP() << "Debian's dataset-fashion-mnist is not installed; skipping";            \
  } while (0)

// A fresh temporary folder per call, removed by the destructor.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "nncert-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// A path quoted for the shell command line run_nncert builds.
inline std::string q(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

// Runs `nncert <args>` (args are passed to the shell as written; quote as needed).
inline CliResult run_nncert(const std::string& args) {
  TempDir tmp;
  const auto out = tmp / "out", err = tmp / "err";
  const std::string cmd = std::string(NNCERT_BINARY) + " " + args + " >" + out.string() + " 2>" + err.string();
  const int status = std::system(cmd.c_str());
  auto slurp = [](const std::filesystem::path& p) {
    std::string s;
    if (FILE* f = std::fopen(p.c_str(), "rb")) {
      std::array<char, 4096> buf;
      std::size_t n;
      while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) s.append(buf.data(), n);
      std::fclose(f);
    }
    return s;
  };
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), slurp(out), slurp(err)};
}

}  // namespace nncert::test
