// CPython's random.seed + random.shuffle reproduced: against the python3 on this machine (small n,
// seeds of one and two 32-bit words) and against the published MANNERS-DB seed-100 permutation.
#include "formats/python_random.hpp"

#include "tests/test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace nncert {
namespace {

bool have_python3() { return std::system("python3 -c 'import random' >/dev/null 2>&1") == 0; }

const std::vector<std::uint64_t> kSeeds{0, 1, 100, 4294967295ULL, 4294967296ULL, 123456789012345ULL};
const std::vector<std::size_t> kSizes{0, 1, 2, 7, 64, 1000};

// One python3 run printing one line per (seed, n), seeds outer: "p x[0] x[1] ...".
std::vector<std::vector<std::size_t>> python_oracle() {
  test::TempDir dir;
  const auto script = dir / "shuffle.py";
  {
    std::ofstream py(script);
    py << "import random\nfor s in [";
    for (const auto s : kSeeds) py << s << ",";
    py << "]:\n    for n in [";
    for (const auto n : kSizes) py << n << ",";
    py << "]:\n        x = list(range(n)); random.seed(s); random.shuffle(x); print('p', *x)\n";
  }
  std::vector<std::vector<std::size_t>> out;
  FILE* p = popen(("python3 " + test::q(script)).c_str(), "r");
  if (!p) return out;
  std::string text;
  char buf[4096];
  for (std::size_t got; (got = std::fread(buf, 1, sizeof buf, p)) > 0;) text.append(buf, got);
  pclose(p);
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream in(line.substr(1));
    out.emplace_back();
    for (std::size_t v; in >> v;) out.back().push_back(v);
  }
  return out;
}

TEST(PythonShuffle, MatchesCPython) {
  if (!have_python3()) GTEST_SKIP() << "python3 is not on PATH; skipping the CPython oracle";
  // Seeds: 0 (the key {0}), small, 2^32 - 1 (one full word), >= 2^32 (two words).
  const auto want = python_oracle();
  ASSERT_EQ(want.size(), kSeeds.size() * kSizes.size()) << "python3 did not print every permutation";
  std::size_t k = 0;
  for (const auto seed : kSeeds)
    for (const auto n : kSizes) {
      ASSERT_EQ(want[k].size(), n);
      EXPECT_EQ(python_shuffled_indices(n, seed), want[k++]) << "n=" << n << " seed=" << seed;
    }
}

TEST(PythonShuffle, IsAPermutationAndDependsOnTheSeed) {
  auto a = python_shuffled_indices(500, 3);
  const auto b = python_shuffled_indices(500, 4);
  EXPECT_NE(a, b);
  std::sort(a.begin(), a.end());
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], i);
}

TEST(PythonShuffle, MannersSeed100Split) {
  NNCERT_REQUIRE_SHARED_DATA("manners/split_seed100_indices.txt");
  std::ifstream in(test::shared_data() / "manners" / "split_seed100_indices.txt");
  std::vector<std::size_t> want;
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') want.push_back(std::stoul(line));
  ASSERT_EQ(want.size(), 11050u);
  EXPECT_EQ(python_shuffled_indices(want.size(), 100), want);
}

}  // namespace
}  // namespace nncert
