// A pipeline that runs in seconds, for the certify, check and report tests: a generated
// 4-feature two-class dataset and the six stages on a 4:8:2 network.
#pragma once

#include "tests/test_support.hpp"

#include <cstdlib>
#include <fstream>
#include <random>
#include <string>

namespace nncert::test {

// Label-first CSV rows: four pixel-like features, class 1 iff f0 + f1 > f2 + f3 (a margin kept
// around the boundary so a tiny net learns it).
inline std::filesystem::path write_data(const TempDir& tmp) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> px(0, 255);
  std::ofstream out(tmp / "data.csv");
  for (int n = 0; n < 600;) {
    const int a = px(rng), b = px(rng), c = px(rng), d = px(rng);
    if (std::abs(a + b - c - d) < 40) continue;
    out << (a + b > c + d ? 1 : 0) << "," << a << "," << b << "," << c << "," << d << "\n";
    ++n;
  }
  return tmp / "data.csv";
}

inline std::string pipeline_text(const std::filesystem::path& data, const std::string& verify_extra = "") {
  const std::string d = "\"" + data.string() + "\"";
  return "name = \"tiny\"\nseed = 3\neval_data = " + d + "\n\n" +
         "[[stage]]\nkind = \"train\"\narch = \"4:8:2\"\ndata = " + d + "\nepochs = 20\nbatch = 32\nlr = 0.01\n\n" +
         "[[stage]]\nkind = \"prune\"\nsparsity = 0.25\nfinetune = 2\ndata = " + d + "\n\n" +
         "[[stage]]\nkind = \"quantize\"\nbits = 6\ncalib_data = " + d + "\ncalib_samples = 200\n\n" +
         "[[stage]]\nkind = \"verify\"\nrobust = \"linf:2\"\ndata = " + d + "\nsamples = \"0:29\"\ntimeout = 30\n" +
         verify_extra + "\n" + "[[stage]]\nkind = \"codegen\"\nname = \"tiny\"\n\n" +
         "[[stage]]\nkind = \"conform\"\nvectors = 50\n";
}

}  // namespace nncert::test
