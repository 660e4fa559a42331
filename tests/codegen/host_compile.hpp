// Compiling generated code with the host C++ compiler inside a test, running it, and reading
// back the integers it prints: the oracle is always the certifier's reference evaluator.
#pragma once

#include "codegen/codegen.hpp"
#include "tests/test_support.hpp"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace nncert::test {

inline void write_text(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_generated(const codegen::Generated& g, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  for (const auto& f : g.files) write_text(dir / f.name, f.text);
}

// Runs a shell command; returns its exit code and leaves its combined output in `log`.
inline int shell(const std::string& command, std::string* log = nullptr) {
  TempDir tmp;
  const int status = std::system(("(" + command + ") >" + (tmp / "log").string() + " 2>&1").c_str());
  if (log) *log = read_text(tmp / "log");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// "N" then the vectors, as the conformance harness reads them.
inline std::string vectors_text(const std::vector<std::vector<std::int64_t>>& xs) {
  std::string s = std::to_string(xs.size()) + "\n";
  for (const auto& x : xs) {
    for (std::size_t i = 0; i < x.size(); ++i) s += (i ? " " : "") + std::to_string(x[i]);
    s += "\n";
  }
  return s;
}

// Every integer in `text` (one line per output vector), lines starting with a letter skipped.
inline std::vector<std::vector<std::int64_t>> parse_outputs(const std::string& text) {
  std::vector<std::vector<std::int64_t>> rows;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || std::isalpha(static_cast<unsigned char>(line[0]))) continue;
    std::istringstream l(line);
    std::vector<std::int64_t> row;
    std::int64_t v;
    while (l >> v) row.push_back(v);
    rows.push_back(row);
  }
  return rows;
}

}  // namespace nncert::test
